//! Full conversations between an in-memory client and server, with simulated time.

mod common;

use std::time::Duration;

use common::*;
use websock_core::dom::ReadyState;
use websock_core::handshake::ClientRequest;
use websock_core::{
    Bytes, CloseEvent, Error, Event, Limits, Message, MessageKind, SendError, Timeouts,
};

fn close_event(events: &[Event]) -> Option<CloseEvent> {
    events.iter().find_map(|e| match e {
        Event::Close(c) => Some(c.clone()),
        _ => None,
    })
}

fn opened(chunk: usize) -> Pair {
    let mut p = Pair::with_defaults(chunk);
    p.pump();
    assert_eq!(p.client.ready_state(), ReadyState::Open);
    assert_eq!(p.server.ready_state(), ReadyState::Open);
    assert!(matches!(p.take_client_events()[..], [Event::Open(_)]));
    let server = p.take_server_events();
    assert!(
        matches!(server[..], [Event::Request(_), Event::Open(_)]),
        "{server:?}"
    );
    p
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + 7) as u8).collect()
}

fn text(len: usize) -> String {
    "aé€𝄞"
        .chars()
        .cycle()
        .scan(0, |n, c| {
            *n += c.len_utf8();
            (*n <= len).then_some(c)
        })
        .collect()
}

#[test]
fn handshake_opens_both_sides_with_a_subprotocol() {
    let mut req = ClientRequest::new("example.com", "/chat?room=1");
    req.protocols = vec!["chat".into(), "superchat".into()];
    let mut p = Pair::new(req, config(1), config(2), 4096);
    p.accept_protocol = Some("superchat".into());
    p.pump();
    let server = p.take_server_events();
    let Event::Request(r) = &server[0] else {
        panic!("{server:?}")
    };
    assert_eq!(r.path, "/chat?room=1");
    assert_eq!(
        r.protocols(),
        vec!["chat".to_string(), "superchat".to_string()]
    );
    assert_eq!(p.client.protocol(), Some("superchat"));
    assert_eq!(p.server.protocol(), Some("superchat"));
    let client = p.take_client_events();
    let Event::Open(open) = &client[0] else {
        panic!()
    };
    assert_eq!(open.protocol.as_deref(), Some("superchat"));
    assert_eq!(open.response.as_ref().unwrap().status, 101);
}

#[test]
fn messages_of_many_sizes_both_ways() {
    for chunk in [1, 7, 4096, usize::MAX] {
        let mut p = opened(chunk);
        let sizes: &[usize] = if chunk == 1 {
            &[0, 1, 125, 126, 127, 1000, 65535, 65536]
        } else {
            &[0, 1, 125, 126, 127, 65535, 65536, 1 << 20, 3 << 20]
        };
        for &len in sizes {
            p.client.send_binary(payload(len)).unwrap();
            p.server.send_binary(payload(len)).unwrap();
            p.client.send_text(&text(len)).unwrap();
            p.server.send_text(&text(len)).unwrap();
        }
        p.pump();
        let expected: Vec<Message> = sizes
            .iter()
            .flat_map(|&l| [Message::binary(payload(l)), Message::text(text(l).as_str())])
            .collect();
        assert_eq!(messages(&p.take_server_events()), expected, "chunk {chunk}");
        assert_eq!(messages(&p.take_client_events()), expected, "chunk {chunk}");
    }
}

#[test]
fn client_frames_are_masked_and_server_frames_are_not() {
    let mut p = opened(usize::MAX);
    p.client_wire.clear();
    p.server_wire.clear();
    p.client.send_text("hi").unwrap();
    p.server.send_text("ho").unwrap();
    p.pump();
    assert!(decode_frames(&p.client_wire).iter().all(|f| f.masked));
    assert!(decode_frames(&p.server_wire).iter().all(|f| !f.masked));
}

#[test]
fn fragmented_messages_with_interleaved_pings() {
    for chunk in [1, 3, usize::MAX] {
        let mut p = opened(chunk);
        p.client
            .send_fragment(
                MessageKind::Text,
                Bytes::from_static("frag".as_bytes()),
                false,
            )
            .unwrap();
        p.client.ping(Bytes::from_static(b"mid")).unwrap();
        p.client
            .send_fragment(
                MessageKind::Text,
                Bytes::from_static("é-".as_bytes()),
                false,
            )
            .unwrap();
        p.client
            .send_fragment(MessageKind::Text, Bytes::new(), false)
            .unwrap();
        p.client
            .send_fragment(MessageKind::Text, Bytes::from_static(b"end"), true)
            .unwrap();
        p.server
            .send_fragment(MessageKind::Binary, Bytes::from_static(b"\x00\x01"), false)
            .unwrap();
        p.server
            .send_fragment(MessageKind::Binary, Bytes::from_static(b"\x02"), true)
            .unwrap();
        p.pump();
        let server = p.take_server_events();
        assert_eq!(messages(&server), vec![Message::text("fragé-end")]);
        assert!(server
            .iter()
            .any(|e| matches!(e, Event::Ping(b) if b == "mid")));
        let client = p.take_client_events();
        assert_eq!(messages(&client), vec![Message::binary(vec![0u8, 1, 2])]);
        // the automatic pong
        assert!(client
            .iter()
            .any(|e| matches!(e, Event::Pong(b) if b == "mid")));
    }
}

#[test]
fn a_new_message_inside_a_fragmented_one_is_refused_locally() {
    let mut p = opened(usize::MAX);
    p.client
        .send_fragment(MessageKind::Text, Bytes::from_static(b"a"), false)
        .unwrap();
    // A continuation is what follows; `send` of a whole message would interleave.
    assert_eq!(p.client.send_text("b"), Err(SendError::FragmentOrder));
}

#[test]
fn client_initiated_close_is_clean_on_both_sides() {
    let mut p = opened(5);
    p.client.close(p.now, Some(4000), "bye").unwrap();
    assert_eq!(p.client.ready_state(), ReadyState::Closing);
    p.pump();
    assert_eq!(
        close_event(&p.take_server_events()),
        Some(CloseEvent {
            code: 4000,
            reason: "bye".into(),
            was_clean: true
        })
    );
    assert_eq!(
        close_event(&p.take_client_events()).map(|c| (c.code, c.was_clean)),
        Some((4000, true))
    );
    assert_eq!(p.client.ready_state(), ReadyState::Closed);
    assert_eq!(p.server.ready_state(), ReadyState::Closed);
    assert!(p.client.is_finished() && p.server.is_finished());
}

#[test]
fn server_initiated_close_and_empty_close_reports_1005() {
    let mut p = opened(usize::MAX);
    p.server.close(p.now, None, "").unwrap();
    p.pump();
    let c = close_event(&p.take_client_events()).unwrap();
    assert_eq!((c.code, c.was_clean), (1005, true));
    let s = close_event(&p.take_server_events()).unwrap();
    assert_eq!((s.code, s.was_clean), (1005, true));
}

#[test]
fn simultaneous_close() {
    let mut p = opened(usize::MAX);
    p.client.close(p.now, Some(1000), "a").unwrap();
    p.server.close(p.now, Some(1001), "b").unwrap();
    p.pump();
    let c = close_event(&p.take_client_events()).unwrap();
    let s = close_event(&p.take_server_events()).unwrap();
    assert_eq!((c.code, c.reason.as_str(), c.was_clean), (1001, "b", true));
    assert_eq!((s.code, s.reason.as_str(), s.was_clean), (1000, "a", true));
}

#[test]
fn nothing_but_the_close_goes_out_after_close() {
    let mut p = opened(usize::MAX);
    p.server_wire.clear();
    p.server.close(p.now, Some(1000), "").unwrap();
    assert_eq!(p.server.send_text("late"), Err(SendError::Closed));
    assert_eq!(p.server.ping(Bytes::new()), Err(SendError::Closed));
    // a ping from the client after our close gets no pong
    p.client.ping(Bytes::from_static(b"x")).unwrap();
    p.pump();
    let frames = decode_frames(&p.server_wire);
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(close_code(&frames), Some(1000));
}

#[test]
fn close_timeout_reports_1006() {
    let mut p = opened(usize::MAX);
    p.client.close(p.now, Some(1000), "").unwrap();
    // The server never sees anything: drop the client's bytes.
    let _ = drain(&mut p.client);
    let deadline = p.client.poll_timeout().unwrap();
    assert_eq!(deadline, Duration::from_secs(10));
    p.client.handle_timeout(deadline);
    let ev = events(&mut p.client);
    assert!(
        matches!(
            ev[..],
            [
                Event::Error(Error::CloseTimeout),
                Event::Close(CloseEvent {
                    code: 1006,
                    was_clean: false,
                    ..
                })
            ]
        ),
        "{ev:?}"
    );
    assert!(p.client.is_finished());
}

#[test]
fn handshake_timeout() {
    let mut p = Pair::with_defaults(usize::MAX);
    let _ = drain(&mut p.client);
    p.client.handle_timeout(Duration::from_secs(10));
    p.server.handle_timeout(Duration::from_secs(10));
    for conn in [&mut p.client, &mut p.server] {
        let ev = events(conn);
        assert!(
            matches!(
                ev[..],
                [
                    Event::Error(Error::HandshakeTimeout),
                    Event::Close(CloseEvent { code: 1006, .. })
                ]
            ),
            "{ev:?}"
        );
        assert!(conn.is_finished());
    }
}

#[test]
fn keepalive_pings_and_detects_a_dead_peer() {
    let mut cfg = config(3);
    cfg.timeouts = Timeouts {
        keepalive_interval: Some(Duration::from_secs(20)),
        keepalive_timeout: Duration::from_secs(5),
        ..Timeouts::default()
    };
    let mut p = Pair::new(ClientRequest::new("h", "/"), cfg, config(4), usize::MAX);
    p.pump();
    p.take_client_events();
    p.take_server_events();
    // A live peer answers: the keepalive ping gets a pong and nothing fails.
    assert_eq!(p.client.poll_timeout(), Some(Duration::from_secs(20)));
    p.advance_to(Duration::from_secs(20));
    assert!(p
        .take_client_events()
        .iter()
        .any(|e| matches!(e, Event::Pong(_))));
    assert_eq!(p.client.ready_state(), ReadyState::Open);
    // A dead peer: the ping goes nowhere.
    let next = p.client.poll_timeout().unwrap();
    assert_eq!(next, Duration::from_secs(40));
    p.client.handle_timeout(next);
    let _ = drain(&mut p.client);
    p.client.handle_timeout(next + Duration::from_secs(5));
    let ev = events(&mut p.client);
    assert!(
        matches!(
            ev[..],
            [
                Event::Error(Error::KeepaliveTimeout),
                Event::Close(CloseEvent { code: 1006, .. })
            ]
        ),
        "{ev:?}"
    );
}

#[test]
fn message_over_the_limit_closes_with_1009_before_buffering() {
    let mut server_cfg = config(2);
    server_cfg.limits = Limits {
        max_message_size: 1000,
        ..Limits::default()
    };
    let mut p = Pair::new(
        ClientRequest::new("h", "/"),
        config(1),
        server_cfg,
        usize::MAX,
    );
    p.pump();
    p.take_server_events();
    // Uncompressed: the wire size itself is over the limit.
    p.client
        .send_fragment_with(
            MessageKind::Binary,
            Bytes::from(vec![0u8; 600]),
            false,
            false,
        )
        .unwrap();
    p.client
        .send_fragment(MessageKind::Binary, Bytes::from(vec![0u8; 600]), true)
        .unwrap();
    p.pump();
    let ev = p.take_server_events();
    assert!(
        ev.iter().any(|e| matches!(
            e,
            Event::Error(Error::Protocol(
                websock_core::ProtocolError::MessageTooLarge
            ))
        )),
        "{ev:?}"
    );
    assert_eq!(
        close_code(&decode_frames(after_head(&p.server_wire))),
        Some(1009)
    );
    assert!(messages(&ev).is_empty());
}

#[test]
fn byte_at_a_time_gives_the_same_events_as_whole() {
    let run = |chunk: usize| {
        let mut p = Pair::with_defaults(chunk);
        p.pump();
        p.client.send_text("hello").unwrap();
        p.client.send_binary(payload(70_000)).unwrap();
        p.client
            .send_fragment(MessageKind::Text, Bytes::from_static("€".as_bytes()), false)
            .unwrap();
        p.client.ping(Bytes::from_static(b"p")).unwrap();
        p.client
            .send_fragment(MessageKind::Text, Bytes::from_static(b"!"), true)
            .unwrap();
        p.server.send_text("world").unwrap();
        p.pump();
        p.server.close(p.now, Some(3001), "done").unwrap();
        p.pump();
        let fmt = |v: Vec<Event>| v.iter().map(|e| format!("{e:?}")).collect::<Vec<_>>();
        (fmt(p.take_client_events()), fmt(p.take_server_events()))
    };
    let whole = run(usize::MAX);
    assert_eq!(whole.1.len(), 7);
    assert_eq!(whole.0.len(), 4);
    for chunk in [1, 2, 5, 13] {
        assert!(run(chunk) == whole, "chunk {chunk} differs");
    }
}

#[test]
fn buffered_amount_follows_the_browser() {
    let mut p = opened(usize::MAX);
    p.client.send_text("12345").unwrap();
    p.client.send_binary(vec![0u8; 10]).unwrap();
    p.client.ping(Bytes::from_static(b"not counted")).unwrap();
    assert_eq!(p.client.buffered_amount(), 15);
    p.pump();
    assert_eq!(p.client.buffered_amount(), 0);
    p.client.close(p.now, Some(1000), "").unwrap();
    // After close, sends are dropped but still counted.
    assert_eq!(p.client.send_text("abc"), Err(SendError::Closed));
    p.pump();
    assert_eq!(p.client.send_binary(vec![0u8; 4]), Err(SendError::Closed));
    assert_eq!(p.client.buffered_amount(), 7);
}

#[test]
fn send_while_connecting_is_invalid_state() {
    let mut p = Pair::with_defaults(usize::MAX);
    assert_eq!(p.client.send_text("x"), Err(SendError::Connecting));
    assert_eq!(
        SendError::Connecting.as_api_error().unwrap().name(),
        "InvalidStateError"
    );
    assert_eq!(p.client.buffered_amount(), 0);
}

#[test]
fn send_queue_cap_reports_full_without_queueing() {
    let mut cfg = config(1);
    cfg.limits = Limits {
        max_send_queue: 1000,
        ..Limits::default()
    };
    let mut p = Pair::new(ClientRequest::new("h", "/"), cfg, config(2), usize::MAX);
    p.pump();
    // One message of any size is accepted when the queue is empty.
    p.client.send_binary(random_bytes(5000, 1)).unwrap();
    assert_eq!(p.client.send_binary(vec![1u8; 10]), Err(SendError::Full));
    assert_eq!(p.client.buffered_amount(), 5000);
    p.pump();
    p.client.send_binary(vec![1u8; 10]).unwrap();
}

#[test]
fn eof_without_close_is_1006() {
    let mut p = opened(usize::MAX);
    p.client.handle_eof(p.now);
    let ev = p.client.poll_event();
    assert!(matches!(ev, Some(Event::Error(Error::ConnectionLost))));
    assert!(matches!(
        p.client.poll_event(),
        Some(Event::Close(CloseEvent {
            code: 1006,
            was_clean: false,
            ..
        }))
    ));
    assert!(p.client.is_finished());
}

#[test]
fn close_while_connecting_fails_the_connection() {
    let mut p = Pair::with_defaults(usize::MAX);
    p.client.close(p.now, None, "").unwrap();
    let ev = events(&mut p.client);
    assert!(
        matches!(
            ev[..],
            [
                Event::Error(Error::Aborted),
                Event::Close(CloseEvent {
                    code: 1006,
                    was_clean: false,
                    ..
                })
            ]
        ),
        "{ev:?}"
    );
    assert_eq!(p.client.ready_state(), ReadyState::Closed);
}

#[test]
fn close_argument_rules() {
    let mut p = opened(usize::MAX);
    assert_eq!(
        p.client.close(p.now, Some(1005), ""),
        Err(websock_core::ApiError::InvalidAccess)
    );
    assert_eq!(
        p.client.close(p.now, Some(999), ""),
        Err(websock_core::ApiError::InvalidAccess)
    );
    assert_eq!(
        p.client.close(p.now, Some(1000), &"x".repeat(124)),
        Err(websock_core::ApiError::Syntax)
    );
    assert_eq!(p.client.ready_state(), ReadyState::Open);
    p.client.close(p.now, Some(1000), &"x".repeat(123)).unwrap();
}

#[test]
fn server_rejection_is_an_http_response() {
    let mut p = Pair::with_defaults(usize::MAX);
    let req = drain(&mut p.client);
    p.server.handle_input(p.now, &req);
    assert!(matches!(p.server.poll_event(), Some(Event::Request(_))));
    p.server.reject(403, &[], b"no").unwrap();
    let resp = drain(&mut p.server);
    assert!(
        resp.starts_with(b"HTTP/1.1 403"),
        "{}",
        String::from_utf8_lossy(&resp)
    );
    assert!(p.server.should_shutdown());
    p.client.handle_input(p.now, &resp);
    let ev = events(&mut p.client);
    assert!(
        matches!(
            ev[..],
            [
                Event::Error(Error::Handshake(
                    websock_core::HandshakeError::UnexpectedStatus(403)
                )),
                Event::Close(_)
            ]
        ),
        "{ev:?}"
    );
}

#[test]
fn frames_in_the_same_read_as_the_response_are_kept() {
    let mut p = Pair::with_defaults(usize::MAX);
    let req = drain(&mut p.client);
    p.server.handle_input(p.now, &req);
    assert!(matches!(p.server.poll_event(), Some(Event::Request(_))));
    p.server.accept(None, &[]).unwrap();
    p.server.send_text("early").unwrap();
    let bytes = drain(&mut p.server);
    p.client.handle_input(p.now, &bytes);
    let ev = events(&mut p.client);
    assert!(
        matches!(&ev[..], [Event::Open(_), Event::Message(m)] if *m == Message::text("early")),
        "{ev:?}"
    );
}

/// Pongs taken from everything `conn` writes.
fn pongs_written(conn: &mut websock_core::Connection) -> Vec<Vec<u8>> {
    decode_frames(&drain(conn))
        .into_iter()
        .filter(|f| f.opcode == websock_core::frame::OpCode::Pong)
        .map(|f| f.payload)
        .collect()
}

#[test]
fn every_ping_in_one_read_gets_its_pong_while_the_queue_has_room() {
    let mut s = open_server();
    let mut input = Vec::new();
    for i in 0..10 {
        input.extend(client_frame(0x9, true, format!("payload-{i}").as_bytes()));
    }
    s.handle_input(Duration::ZERO, &input);
    let want: Vec<Vec<u8>> = (0..10)
        .map(|i| format!("payload-{i}").into_bytes())
        .collect();
    assert_eq!(pongs_written(&mut s), want);
}

#[test]
fn a_ping_flood_against_a_full_send_queue_gets_only_the_latest_pong() {
    let mut config = config(9);
    config.limits.max_send_queue = 100;
    let mut s = websock_core::Connection::upgraded(
        websock_core::Role::Server,
        None,
        config,
        Duration::ZERO,
    );
    assert!(matches!(s.poll_event(), Some(Event::Open(_))));
    s.send_binary(vec![0u8; 1000]).unwrap();
    let mut input = Vec::new();
    for i in 0..10 {
        input.extend(client_frame(0x9, true, format!("payload-{i}").as_bytes()));
    }
    s.handle_input(Duration::ZERO, &input);
    assert_eq!(pongs_written(&mut s), vec![b"payload-9".to_vec()]);
}
