//! Bounds the engine keeps on its own: events per input, and a peer that stops reading.

mod common;

use std::time::Duration;

use common::{client_frame, open_server};
use websock_core::{Connection, Error, Event, Message};

const SEC: Duration = Duration::from_secs(1);

#[test]
fn a_flood_of_pings_in_one_input_is_answered_in_full_a_bounded_batch_at_a_time() {
    let mut s = open_server();
    let input: Vec<u8> = (0..10_000)
        .flat_map(|_| client_frame(0x9, true, b""))
        .collect();
    s.handle_input(Duration::ZERO, &input);
    let mut pings = 0;
    while let Some(event) = s.poll_event() {
        assert!(matches!(event, Event::Ping(_)), "{event:?}");
        pings += 1;
        let n = s.transmit_len();
        s.advance_transmit(n);
    }
    assert_eq!(pings, 10_000, "every ping is reported");
    assert_eq!(s.receive_buffered(), 0);
    assert!(s.wants_read());
}

#[test]
fn events_waiting_after_one_input_are_capped() {
    let mut s = open_server();
    let input: Vec<u8> = (0..1000)
        .flat_map(|_| client_frame(0xA, true, b""))
        .collect();
    s.handle_input(Duration::ZERO, &input);
    // Count what is ready without processing more input: the first batch only.
    let before = s.receive_buffered();
    assert!(
        before > 0,
        "input is held back, not turned into 1000 events"
    );
    let mut first_batch = 0;
    while s.receive_buffered() == before {
        let Some(Event::Pong(_)) = s.poll_event() else {
            panic!("expected pongs")
        };
        first_batch += 1;
    }
    assert!(first_batch <= 33, "{first_batch} events from one input");
}

/// A server that queued a big message and writes nothing (the peer does not read).
fn stalled_server() -> Connection {
    let mut s = open_server();
    s.send(Message::binary(vec![7u8; 1 << 20])).unwrap();
    s
}

/// The driver: fire due timers at `now`, as every runtime does.
fn tick(s: &mut Connection, now: Duration) {
    if s.poll_timeout().is_some_and(|d| d <= now) {
        s.handle_timeout(now);
    }
}

/// What the driver offers to write (the engine arms its stall timer when asked).
fn offer(s: &mut Connection) -> usize {
    let mut slices = [&[][..]; 8];
    s.poll_transmit(&mut slices);
    s.transmit_len()
}

fn errors(s: &mut Connection) -> Vec<Error> {
    std::iter::from_fn(|| s.poll_event())
        .filter_map(|e| match e {
            Event::Error(e) => Some(e),
            _ => None,
        })
        .collect()
}

#[test]
fn a_peer_that_takes_nothing_for_the_write_stall_timeout_fails_the_connection() {
    let mut s = stalled_server();
    assert!(offer(&mut s) > 0);
    // The driver's first tick gives the timer its real deadline: 60 s from now.
    tick(&mut s, 5 * SEC);
    assert_eq!(s.poll_timeout(), Some(65 * SEC));
    tick(&mut s, 64 * SEC);
    assert!(!s.is_finished());
    tick(&mut s, 65 * SEC);
    assert!(s.is_finished());
    assert_eq!(errors(&mut s), vec![Error::WriteStalled]);
    assert_eq!(
        s.transmit_len(),
        0,
        "the queue is dropped with the connection"
    );
}

#[test]
fn any_write_progress_restarts_the_write_stall_timer() {
    let mut s = stalled_server();
    offer(&mut s);
    tick(&mut s, SEC);
    // The peer takes a little at 50 s, then nothing.
    s.handle_input(50 * SEC, &[]);
    offer(&mut s);
    s.advance_transmit(1000);
    tick(&mut s, 50 * SEC);
    assert_eq!(s.poll_timeout(), Some(110 * SEC));
    tick(&mut s, 100 * SEC);
    assert!(!s.is_finished(), "progress at 50 s: not stalled at 100 s");
    tick(&mut s, 110 * SEC);
    assert_eq!(errors(&mut s), vec![Error::WriteStalled]);
}

#[test]
fn a_drained_queue_stops_the_write_stall_timer_and_none_disables_it() {
    let mut s = stalled_server();
    let n = offer(&mut s);
    s.advance_transmit(n);
    assert_eq!(s.poll_timeout(), None, "nothing to write: no timer");

    let mut config = common::config(3);
    config.timeouts.write_stall = None;
    let mut s = Connection::upgraded(websock_core::Role::Server, None, config, Duration::ZERO);
    s.poll_event();
    s.send(Message::binary(vec![1u8; 1000])).unwrap();
    offer(&mut s);
    assert_eq!(s.poll_timeout(), None);
    tick(&mut s, 3600 * SEC);
    assert!(!s.is_finished());
}

#[test]
fn a_peer_that_keeps_sending_after_a_rejected_handshake_is_drained_for_64_kib_at_most() {
    let mut s = Connection::server(common::config(5), Duration::ZERO);
    // A head over the 16 KiB limit: refused with an HTTP error.
    let mut head = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
    head.extend(std::iter::repeat_n(b'a', 20 << 10));
    s.handle_input(Duration::ZERO, &head);
    assert!(s.transmit_len() > 0, "the refusal is queued");
    let n = s.transmit_len();
    s.advance_transmit(n);
    assert!(
        !s.is_finished(),
        "it drains a little, so the peer sees the answer"
    );
    let chunk = vec![b'x'; 16 << 10];
    let mut fed = 0;
    while s.poll_event().is_some() {}
    while !s.is_finished() && s.wants_read() {
        s.handle_input(Duration::from_millis(1), &chunk);
        fed += chunk.len();
        assert!(fed <= 128 << 10, "still reading after {fed} bytes");
    }
    assert!(
        s.is_finished(),
        "the peer's flood ends the drain, not the close timeout"
    );
}
