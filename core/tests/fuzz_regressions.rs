//! Bugs found by the fuzz targets (`fuzz/`), each kept as a named test. The inputs that
//! found them are in `fuzz/regressions/<target>/` and are replayed by the fuzz crate's
//! tests as well. (The `mask` target's finding is tested in `src/mask.rs`.)

mod common;

use std::time::Duration;

use common::*;
use websock_core::{
    Bytes, Config, Connection, Error, Event, HandshakeError, Limits, Role, SendError, Timeouts,
};

fn small_queue(timeouts: Timeouts) -> Config {
    Config {
        limits: Limits {
            max_send_queue: 1000,
            ..Limits::default()
        },
        timeouts,
        ..config(5)
    }
}

/// `server_connection`: pings commanded while the peer does not read grew the send queue
/// past `max_send_queue` without bound; control frames now count against it.
#[test]
fn ping_and_pong_respect_the_send_queue_limit() {
    let mut s = Connection::upgraded(
        Role::Server,
        None,
        small_queue(Timeouts::default()),
        Duration::ZERO,
    );
    s.send_binary(vec![0u8; 2000]).unwrap(); // an empty queue takes any one message
    let queued = s.send_queue_len();
    for _ in 0..100 {
        assert_eq!(
            s.ping(Bytes::from_static(b"are you there")),
            Err(SendError::Full)
        );
        assert_eq!(s.pong(Bytes::from_static(b"here")), Err(SendError::Full));
    }
    assert_eq!(s.send_queue_len(), queued);
    drain(&mut s);
    s.ping(Bytes::from_static(b"now")).unwrap();
    s.pong(Bytes::new()).unwrap();
    assert!(s.send_queue_len() > 0);
}

/// Keepalive pings were queued whatever the queue held; over the limit they are now
/// skipped, and the peer must still be heard from in time.
#[test]
fn keepalive_queues_no_ping_over_the_limit_but_still_times_out() {
    let timeouts = Timeouts {
        keepalive_interval: Some(Duration::from_secs(30)),
        keepalive_timeout: Duration::from_secs(20),
        ..Timeouts::default()
    };
    let mut s = Connection::upgraded(Role::Server, None, small_queue(timeouts), Duration::ZERO);
    assert!(matches!(s.poll_event(), Some(Event::Open(_))));
    s.send_binary(vec![0u8; 2000]).unwrap();
    let queued = s.send_queue_len();
    let mut now = Duration::ZERO;
    for _ in 0..50 {
        // The peer keeps sending (re-arming the keepalive) but never reads.
        now += Duration::from_secs(31);
        s.handle_timeout(now);
        s.handle_input(now, &client_frame(0xA, true, b""));
        assert_eq!(s.send_queue_len(), queued);
    }
    now += Duration::from_secs(31);
    s.handle_timeout(now);
    now += Duration::from_secs(21);
    s.handle_timeout(now);
    let events = events(&mut s);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Error(Error::KeepaliveTimeout))),
        "{events:?}"
    );
}

const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

fn server_with_request() -> Connection {
    let config = Config {
        limits: Limits {
            max_frame_size: 1000,
            ..Limits::default()
        },
        ..config(6)
    };
    let mut s = Connection::server(config, Duration::ZERO);
    s.handle_input(Duration::ZERO, REQUEST);
    assert!(matches!(s.poll_event(), Some(Event::Request(_))));
    s
}

/// `server_connection`: bytes arriving while the application decided on the request
/// were buffered without bound. One frame's worth is kept for after `accept`.
#[test]
fn early_frame_is_kept_until_accept() {
    let mut s = server_with_request();
    s.handle_input(Duration::ZERO, &client_frame(0x1, true, b"early"));
    assert!(s.poll_event().is_none());
    s.accept(None, &[]).unwrap();
    let events = events(&mut s);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Message(m) if m.as_bytes() == b"early")),
        "{events:?}"
    );
}

/// Whether `events` report a handshake refused as too large.
fn refused_too_large(events: &[Event]) -> bool {
    events
        .iter()
        .any(|e| matches!(e, Event::Error(Error::Handshake(HandshakeError::TooLarge))))
}

/// ...and a client that keeps sending before the response is refused, its bytes
/// dropped, instead of growing the buffer.
#[test]
fn flood_before_accept_is_refused() {
    let mut s = server_with_request();
    for _ in 0..100 {
        s.handle_input(Duration::ZERO, &[0x81; 100]);
        assert!(s.receive_buffered() <= 1000 + 14);
    }
    let events = events(&mut s);
    assert!(refused_too_large(&events), "{events:?}");
    assert!(matches!(events.last(), Some(Event::Close(_))));
    assert_eq!(
        s.accept(None, &[]),
        Err(websock_core::ApiError::InvalidState)
    );
    let out = drain(&mut s);
    assert!(
        out.starts_with(b"HTTP/1.1 4"),
        "{:?}",
        String::from_utf8_lossy(&out)
    );
}

/// `server_connection`: a head refused as too large counted its own bytes toward the
/// 64 KiB drain budget when it arrived in the same read as what followed it, and not
/// when it came in pieces, so whether the connection finished after writing the refusal
/// depended on how the input was split. Only the bytes after the head's 16 KiB count.
#[test]
fn the_drain_budget_after_a_refused_head_does_not_depend_on_the_split() {
    const HEAD_LIMIT: usize = 16 << 10;
    const BUDGET: usize = 64 << 10;
    for total in [HEAD_LIMIT + BUDGET - 4096, HEAD_LIMIT + BUDGET + 4096] {
        let input = vec![b'a'; total];
        for chunk in [total, 4096, 1000, 63] {
            let mut s = Connection::server(config(5), Duration::ZERO);
            for piece in input.chunks(chunk) {
                s.handle_input(Duration::ZERO, piece);
            }
            let events = events(&mut s);
            assert!(refused_too_large(&events), "{events:?}");
            let out = drain(&mut s);
            assert!(out.starts_with(b"HTTP/1.1 431"), "{out:?}");
            assert_eq!(
                s.is_finished(),
                total - HEAD_LIMIT > BUDGET,
                "{total} bytes in reads of {chunk}"
            );
        }
    }
}
