//! Every RFC 6455 violation closes with the right code, and nothing panics.

mod common;

use std::time::Duration;

use common::*;
use websock_core::{CloseEvent, Connection, Error, Event, ProtocolError};

/// Feed `input` to an open server; return its events and the close code it sent.
fn server_reaction(input: &[u8]) -> (Vec<Event>, Option<u16>) {
    let mut s = open_server();
    s.handle_input(Duration::ZERO, input);
    let out = drain(&mut s);
    (events(&mut s), close_code(&decode_frames(&out)))
}

fn client_reaction(input: &[u8]) -> (Vec<Event>, Option<u16>) {
    let mut c = open_client();
    c.handle_input(Duration::ZERO, input);
    let out = drain(&mut c);
    (events(&mut c), close_code(&decode_frames(&out)))
}

fn assert_fails(conn_events: &(Vec<Event>, Option<u16>), err: ProtocolError) {
    let (ev, code) = conn_events;
    assert_eq!(*code, Some(err.close_code()), "{ev:?}");
    assert!(
        matches!(&ev[..], [.., Event::Error(Error::Protocol(e)), Event::Close(CloseEvent { code: 1006, was_clean: false, .. })] if *e == err),
        "{ev:?}"
    );
}

#[test]
fn unmasked_frame_to_server_is_1002() {
    assert_fails(
        &server_reaction(&frame(0x1, true, None, b"hi")),
        ProtocolError::UnmaskedFrame,
    );
}

#[test]
fn masked_frame_to_client_is_1002() {
    assert_fails(
        &client_reaction(&client_frame(0x1, true, b"hi")),
        ProtocolError::MaskedFrame,
    );
}

#[test]
fn rsv_bits_without_extension_are_1002() {
    for rsv in [0x40u8, 0x20, 0x10] {
        let mut f = client_frame(0x1, true, b"x");
        f[0] |= rsv;
        assert_fails(&server_reaction(&f), ProtocolError::ReservedBits);
    }
}

#[test]
fn reserved_opcodes_are_1002() {
    for op in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
        assert_fails(
            &server_reaction(&client_frame(op, true, b"")),
            ProtocolError::ReservedOpcode,
        );
    }
}

#[test]
fn control_frame_rules_are_1002() {
    assert_fails(
        &server_reaction(&client_frame(0x9, true, &[0u8; 126])),
        ProtocolError::ControlFrameTooLong,
    );
    assert_fails(
        &server_reaction(&client_frame(0x9, false, b"")),
        ProtocolError::FragmentedControlFrame,
    );
}

#[test]
fn fragmentation_order_is_1002() {
    assert_fails(
        &server_reaction(&client_frame(0x0, true, b"x")),
        ProtocolError::UnexpectedContinuation,
    );
    let mut input = client_frame(0x1, false, b"a");
    input.extend(client_frame(0x1, true, b"b"));
    assert_fails(
        &server_reaction(&input),
        ProtocolError::ExpectedContinuation,
    );
}

#[test]
fn sixty_four_bit_length_with_top_bit_is_1002() {
    let mut f = vec![0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1];
    f.extend_from_slice(&[1, 2, 3, 4]);
    assert_fails(&server_reaction(&f), ProtocolError::InvalidLength);
}

#[test]
fn invalid_close_codes_are_1002() {
    for code in [
        0u16, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535,
    ] {
        let f = client_frame(0x8, true, &code.to_be_bytes());
        assert_fails(&server_reaction(&f), ProtocolError::InvalidCloseCode);
    }
    assert_fails(
        &server_reaction(&client_frame(0x8, true, &[3])),
        ProtocolError::InvalidCloseBody,
    );
}

#[test]
fn valid_close_codes_are_echoed() {
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999,
    ] {
        let (ev, sent) = server_reaction(&client_frame(0x8, true, &code.to_be_bytes()));
        assert_eq!(sent, Some(code));
        assert!(
            matches!(&ev[..], [Event::Close(CloseEvent { code: c, was_clean: true, .. })] if *c == code),
            "{ev:?}"
        );
    }
}

#[test]
fn invalid_utf8_close_reason_is_1007() {
    assert_fails(
        &server_reaction(&client_frame(0x8, true, b"\x03\xe8\xff")),
        ProtocolError::InvalidUtf8,
    );
}

#[test]
fn invalid_utf8_text_is_1007() {
    assert_fails(
        &server_reaction(&client_frame(0x1, true, b"ab\xc0\xaf")),
        ProtocolError::InvalidUtf8,
    );
}

#[test]
fn invalid_utf8_fails_fast_mid_frame_and_mid_message() {
    // Only part of a frame has arrived; the invalid byte is already there.
    let f = client_frame(0x1, true, "κόσμε\u{0}\u{0}\u{0}".as_bytes());
    let mut bad = f.clone();
    let at = 6 + "κόσμε".len();
    bad[at] ^= 0xf4; // masked byte becomes 0xf4
    bad[at + 1] ^= 0x90;
    let (ev, code) = server_reaction(&bad[..at + 2]);
    assert_eq!(code, Some(1007), "{ev:?}");
    // Second fragment of a message invalid, message unfinished.
    let mut input = client_frame(0x1, false, "κό".as_bytes());
    input.extend(client_frame(0x0, false, b"\xed\xa0\x80"));
    let (_, code) = server_reaction(&input);
    assert_eq!(code, Some(1007));
}

#[test]
fn code_point_split_across_fragments_is_accepted() {
    let mut input = client_frame(0x1, false, b"\xf0\x9f");
    input.extend(client_frame(0x0, false, b"\x98"));
    input.extend(client_frame(0x0, true, b"\x80"));
    let (ev, code) = server_reaction(&input);
    assert_eq!(code, None);
    assert!(
        matches!(&ev[..], [Event::Message(m)] if m.as_bytes() == "😀".as_bytes()),
        "{ev:?}"
    );
}

#[test]
fn frame_over_the_limit_is_1009_before_its_payload_arrives() {
    let mut cfg = config(1);
    cfg.limits.max_frame_size = 100;
    let mut s = Connection::upgraded(websock_core::Role::Server, None, cfg, Duration::ZERO);
    let f = client_frame(0x2, true, &[0u8; 101]);
    s.handle_input(Duration::ZERO, &f[..8]); // header only
    let out = drain(&mut s);
    assert_eq!(close_code(&decode_frames(&out)), Some(1009));
}

#[test]
fn too_many_fragments_is_1009() {
    let mut cfg = config(1);
    cfg.limits.max_fragments = 3;
    let mut s = Connection::upgraded(websock_core::Role::Server, None, cfg, Duration::ZERO);
    let mut input = client_frame(0x2, false, b"");
    for _ in 0..3 {
        input.extend(client_frame(0x0, false, b""));
    }
    s.handle_input(Duration::ZERO, &input);
    assert_eq!(close_code(&decode_frames(&drain(&mut s))), Some(1009));
}

/// Every ping is answered while the send queue has room (Autobahn 2.10); past
/// `max_send_queue` only the latest ping keeps a pending pong, so a flood cannot grow
/// the queue.
#[test]
fn ping_flood_is_bounded_by_the_send_queue() {
    let mut config = config(7);
    config.limits.max_send_queue = 60;
    let mut s = websock_core::Connection::upgraded(
        websock_core::Role::Server,
        None,
        config,
        Duration::ZERO,
    );
    assert!(matches!(s.poll_event(), Some(Event::Open(_))));
    let mut input = Vec::new();
    for i in 0..1000u32 {
        input.extend(client_frame(0x9, true, &i.to_be_bytes()));
    }
    s.handle_input(Duration::ZERO, &input);
    // The application takes the events (one input raises a bounded batch at a time).
    assert_eq!(events(&mut s).len(), 1000);
    assert!(s.send_queue_len() <= 60, "{}", s.send_queue_len());
    let frames = decode_frames(&drain(&mut s));
    assert!(frames.len() <= 12, "{} pongs", frames.len());
    assert_eq!(frames[0].payload, 0u32.to_be_bytes());
    assert_eq!(frames.last().unwrap().payload, 999u32.to_be_bytes());
}

#[test]
fn no_pong_after_close() {
    let mut s = open_server();
    s.close(Duration::ZERO, Some(1000), "").unwrap();
    s.handle_input(Duration::ZERO, &client_frame(0x9, true, b"x"));
    let frames = decode_frames(&drain(&mut s));
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].opcode, websock_core::frame::OpCode::Close);
}

#[test]
fn no_panic_on_garbage_in_any_state() {
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..2000 {
        let len = (next() % 300) as usize;
        let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        let mut conns = vec![
            open_server(),
            open_client(),
            Connection::server(config(round), Duration::ZERO),
        ];
        for c in &mut conns {
            for chunk in data.chunks(1 + (next() % 17) as usize) {
                c.handle_input(Duration::ZERO, chunk);
            }
            let _ = drain(c);
            let _ = events(c);
            c.handle_timeout(Duration::from_secs(100));
            let _ = drain(c);
        }
    }
}
