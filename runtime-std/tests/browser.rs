//! What only websock-std's browser `WebSocket` can show, through its `#[doc(hidden)]`
//! test hooks: its background thread does not busy-loop while idle (`driver_reads`),
//! and the events nobody takes stop at the queue's exact bounds (`queued_events`).
//!
//! The browser behaviour the three runtimes share is in `tests/tests/browser_api.rs`,
//! `browser_conformance.rs` and `behaviour.rs` (package websock-tests).

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{echo_server, within};
use websock_std::{BrowserEvent, MessageData, WebSocket};

const WAIT: Duration = Duration::from_secs(10);

fn next(ws: &WebSocket) -> BrowserEvent {
    ws.next_event_timeout(WAIT).expect("an event in time")
}

#[test]
fn idle_connection_does_not_busy_loop() {
    within(20, || {
        let (addr, _server) = echo_server();
        let ws = WebSocket::new(&format!("ws://{addr}"), &[]).unwrap();
        assert_eq!(next(&ws), BrowserEvent::Open);
        let before = ws.driver_reads();
        thread::sleep(Duration::from_secs(1));
        let reads = ws.driver_reads() - before;
        // The read timeout is capped at 250 ms: about 4 wake-ups per second.
        assert!(reads <= 10, "{reads} reads in one idle second");
        ws.send("still there").unwrap();
        assert!(matches!(next(&ws), BrowserEvent::Message(_)));
    });
}

/// A socket nobody reads: a peer sends `count` binary messages of `size` bytes (with
/// one write: a light peer). The events no handler took wait in a bounded queue
/// (websock-core's `EventQueue`): it fills up to `bound` events, then the socket stops
/// reading and the rest waits in the kernel's buffers, not in our memory. Pulling the
/// events lets it read on: nothing is lost.
fn queue_stops_at(count: usize, size: usize, bound: usize) {
    use std::io::{Read, Write};
    let mut frame = vec![0x82u8];
    match size {
        0..=125 => frame.push(size as u8),
        126..=0xFFFF => {
            frame.push(126);
            frame.extend((size as u16).to_be_bytes());
        }
        _ => {
            frame.push(127);
            frame.extend((size as u64).to_be_bytes());
        }
    }
    frame.resize(frame.len() + size, 1);
    let frames = frame.repeat(count);
    let (addr, server) = common::raw_server(move |mut s| {
        s.write_all(&frames).unwrap();
        // The client's Close: answer it (1000), then wait for the end of the stream.
        let mut buf = [0u8; 64];
        let _ = s.read(&mut buf);
        s.write_all(&[0x88, 0x02, 0x03, 0xE8]).unwrap();
        while s.read(&mut buf).is_ok_and(|n| n > 0) {}
    });
    let ws = WebSocket::new(&format!("ws://{addr}"), &[]).unwrap();
    let deadline = Instant::now() + WAIT;
    while ws.queued_events() < bound {
        assert!(Instant::now() < deadline, "{} queued", ws.queued_events());
        thread::sleep(Duration::from_millis(5));
    }
    // Time to read on, if the socket did (the peer has sent more than the bound).
    thread::sleep(Duration::from_millis(300));
    assert_eq!(ws.queued_events(), bound, "the queue stopped at its bound");

    assert_eq!(next(&ws), BrowserEvent::Open);
    for i in 0..count {
        match next(&ws) {
            BrowserEvent::Message(MessageData::Blob(b)) if b.len() == size => {}
            other => panic!("message {i}: {other:?}"),
        }
    }
    ws.close(Some(1000), None).unwrap();
    assert!(matches!(next(&ws), BrowserEvent::Close(c) if c.code == 1000 && c.was_clean));
    server.join().unwrap();
}

#[test]
fn a_socket_nobody_reads_queues_a_bounded_number_of_events() {
    // Empty messages: the bound is the count, 4096 events (the open event and 4095
    // messages).
    within(60, || queue_stops_at(6_000, 0, 4096));
}

#[test]
fn a_socket_nobody_reads_queues_a_bounded_number_of_bytes() {
    // 64 KiB messages: the bound is 1 MiB, which the 16th message crosses (each event
    // costs its payload and 64 bytes of bookkeeping): the open event and 16 messages.
    within(60, || queue_stops_at(24, 64 << 10, 17));
}
