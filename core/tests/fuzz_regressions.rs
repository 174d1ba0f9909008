//! Bugs found by the fuzz targets (`fuzz/`), each kept as a named test. The inputs that
//! found them are in `fuzz/regressions/<target>/` and are replayed by the fuzz crate's
//! tests as well. (The `mask` target's finding is tested in `src/mask.rs`.)

mod common;

use std::time::Duration;

use common::*;
use websock_core::{Bytes, Config, Connection, Error, Event, Limits, Role, SendError, Timeouts};

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
