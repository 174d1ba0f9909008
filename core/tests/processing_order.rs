//! Input is processed up to the end of a message, the rest as events are polled: the
//! application can answer a message before a later frame closes the connection.

mod common;

use std::time::Duration;

use common::{client_frame, close_code, decode_frames, drain, open_server};
use websock_core::frame::OpCode;
use websock_core::{Event, Message, ProtocolError};

#[test]
fn a_message_is_answered_before_a_violation_behind_it_closes() {
    let mut s = open_server();
    let mut input = client_frame(0x1, true, b"Hello");
    // RSV2 set: a protocol violation. Then a ping that must not be answered.
    let mut bad = client_frame(0x1, true, b"bad");
    bad[0] |= 0x20;
    input.extend(bad);
    input.extend(client_frame(0x9, true, b"ping"));
    s.handle_input(Duration::ZERO, &input);
    // Nothing is acted on behind the message yet.
    assert!(drain(&mut s).is_empty());

    let Some(Event::Message(m)) = s.poll_event() else {
        panic!("expected the message first");
    };
    s.send(m).unwrap();
    assert!(matches!(
        s.poll_event(),
        Some(Event::Error(websock_core::Error::Protocol(
            ProtocolError::ReservedBits
        )))
    ));
    assert!(matches!(s.poll_event(), Some(Event::Close(c)) if c.code == 1006));
    assert!(s.poll_event().is_none());

    let frames = decode_frames(&drain(&mut s));
    let kinds: Vec<OpCode> = frames.iter().map(|f| f.opcode).collect();
    assert_eq!(
        kinds,
        [OpCode::Text, OpCode::Close],
        "the echo goes out first"
    );
    assert_eq!(frames[0].payload, b"Hello");
    assert_eq!(close_code(&frames), Some(1002));
}

#[test]
fn several_messages_in_one_read_arrive_in_order() {
    let mut s = open_server();
    let mut input = Vec::new();
    for i in 0..5 {
        input.extend(client_frame(0x1, true, format!("m{i}").as_bytes()));
    }
    input.extend(client_frame(0x9, true, b"p"));
    s.handle_input(Duration::ZERO, &input);
    let mut got = Vec::new();
    while let Some(ev) = s.poll_event() {
        got.push(ev);
    }
    assert_eq!(got.len(), 6, "{got:?}");
    for (i, ev) in got[..5].iter().enumerate() {
        assert!(matches!(ev, Event::Message(m) if *m == Message::text(format!("m{i}").as_str())));
    }
    assert!(matches!(&got[5], Event::Ping(p) if p.as_ref() == b"p"));
    let frames = decode_frames(&drain(&mut s));
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].opcode, OpCode::Pong);
}

#[test]
fn end_of_stream_still_honours_a_close_frame_not_yet_polled() {
    let mut s = open_server();
    let mut input = client_frame(0x1, true, b"last words");
    input.extend(client_frame(0x8, true, &[0x03, 0xE8])); // Close 1000
    s.handle_input(Duration::ZERO, &input);
    s.handle_eof(Duration::ZERO);
    let mut got = Vec::new();
    while let Some(ev) = s.poll_event() {
        got.push(ev);
    }
    assert!(matches!(&got[0], Event::Message(_)), "{got:?}");
    assert!(
        matches!(got.last(), Some(Event::Close(c)) if c.code == 1000 && c.was_clean),
        "{got:?}"
    );
}
