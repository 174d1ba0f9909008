//! Peers that misbehave: one that stops reading (backpressure, bounded memory) and
//! one that goes silent (keepalive).

mod common;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::{raw_client, raw_server, within};
use websock_std::{
    accept_with, connect_with, ClientOptions, Decision, Error, Limits, Message, SendError,
    ServerOptions, Timeouts,
};

const LIMIT: usize = 1 << 20;
const CHUNK: usize = 256 << 10;

#[test]
fn peer_that_stops_reading_bounds_the_queue_and_blocks_the_sender() {
    within(30, || {
        let (close_tx, close_rx) = mpsc::channel::<()>();
        let (addr, server) = raw_server(move |s| {
            // Never read; hang up when told.
            let _ = close_rx.recv_timeout(Duration::from_secs(20));
            drop(s);
        });
        let options = ClientOptions::default().limits(Limits {
            max_send_queue: LIMIT,
            ..Limits::default()
        });
        let ws = connect_with(&format!("ws://{addr}"), options).unwrap();
        let (tx, _rx) = ws.split();
        let chunk = Message::binary(vec![0u8; CHUNK]);
        let mut accepted = 0usize;
        let full = loop {
            match tx.try_send(chunk.clone()) {
                Ok(()) => accepted += 1,
                Err(e) => break e,
            }
            assert!(accepted < 1000, "the queue never filled");
        };
        assert!(matches!(full, Error::Send(SendError::Full)), "{full:?}");
        // Memory stays bounded: the queue holds at most the limit plus one message.
        assert!(
            tx.send_queue_len() <= LIMIT + CHUNK + 64,
            "{}",
            tx.send_queue_len()
        );
        assert!(tx.buffered_amount() <= LIMIT + CHUNK);

        // A blocking send waits for room instead of growing the queue.
        let (done_tx, done_rx) = mpsc::channel();
        let blocked = tx.clone();
        let sender = thread::spawn(move || {
            let r = blocked.send(Message::binary(vec![1u8; CHUNK]));
            let _ = done_tx.send(());
            r
        });
        assert!(
            done_rx.recv_timeout(Duration::from_millis(500)).is_err(),
            "send returned although the peer reads nothing"
        );
        assert!(tx.send_queue_len() <= LIMIT + CHUNK + 64);
        // The peer disappears: the blocked sender learns it.
        close_tx.send(()).unwrap();
        server.join().unwrap();
        let r = sender.join().unwrap();
        assert!(matches!(r, Err(Error::Io(_)) | Err(Error::Closed)), "{r:?}");
    });
}

fn keepalive() -> Timeouts {
    Timeouts {
        keepalive_interval: Some(Duration::from_millis(100)),
        keepalive_timeout: Duration::from_millis(200),
        ..Timeouts::default()
    }
}

#[test]
fn keepalive_detects_a_silent_server() {
    within(20, || {
        let (addr, _server) = raw_server(|s| {
            // Complete the handshake, then never answer (and never close).
            thread::sleep(Duration::from_secs(10));
            drop(s);
        });
        let options = ClientOptions::default().timeouts(keepalive());
        let mut ws = connect_with(&format!("ws://{addr}"), options).unwrap();
        let started = Instant::now();
        match ws.recv() {
            Some(Err(Error::Protocol(websock_core::Error::KeepaliveTimeout))) => {}
            other => panic!("expected a keepalive timeout, got {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(ws.recv().is_none());
        let c = ws.close_event().unwrap();
        assert_eq!((c.code, c.was_clean), (1006, false));
    });
}

#[test]
fn keepalive_detects_a_silent_client() {
    within(20, || {
        let (l, addr) = common::listener();
        let server = thread::spawn(move || {
            let (tcp, _) = l.accept().unwrap();
            let options = ServerOptions::default().timeouts(keepalive());
            let mut ws = accept_with(tcp, options, |_| Decision::accept()).unwrap();
            let first = ws.recv();
            let rest = ws.recv();
            (
                first.map(|r| r.map_err(|e| e.to_string())),
                rest.is_none(),
                ws.close_event(),
            )
        });
        let silent = raw_client(addr);
        let (first, ended, close) = server.join().unwrap();
        drop(silent);
        match first {
            Some(Err(e)) => assert!(e.contains("keepalive"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(ended);
        assert_eq!(close.unwrap().code, 1006);
    });
}

#[test]
fn a_client_that_never_completes_the_handshake_is_dropped() {
    within(20, || {
        let (l, addr) = common::listener();
        let _client = std::net::TcpStream::connect(addr).unwrap();
        let (tcp, _) = l.accept().unwrap();
        // Half a request, then nothing.
        use std::io::Write;
        let mut c = _client.try_clone().unwrap();
        c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
        let options = ServerOptions::default().timeouts(Timeouts {
            handshake: Some(Duration::from_millis(300)),
            ..Timeouts::default()
        });
        let started = Instant::now();
        let r = accept_with(tcp, options, |_| Decision::accept());
        assert!(
            matches!(
                r,
                Err(Error::Protocol(websock_core::Error::HandshakeTimeout))
            ),
            "{r:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
    });
}

/// A server connection to a raw client that never reads; its send queue capped at
/// 1 MiB so it fills fast.
fn server_to_a_peer_that_never_reads(
    timeouts: impl FnOnce(&mut websock_std::Timeouts),
) -> (
    websock_std::WebSocketStream<std::net::TcpStream>,
    thread::JoinHandle<()>,
) {
    let (l, addr) = common::listener();
    let (hang_up, wait) = mpsc::channel::<()>();
    let client = thread::spawn(move || {
        let _s = raw_client(addr);
        let _ = wait.recv_timeout(Duration::from_secs(15));
    });
    let (tcp, _) = l.accept().unwrap();
    let mut options = websock_std::ServerOptions::default();
    options.limits.max_send_queue = 1 << 20;
    timeouts(&mut options.timeouts);
    let ws = websock_std::accept_with(tcp, options, |_| websock_std::Decision::accept()).unwrap();
    // The client thread hangs up when the sender is dropped.
    let client = thread::spawn(move || {
        client.join().unwrap();
        drop(hang_up);
    });
    (ws, client)
}

/// Queue until the send queue is full (the socket buffers are full before that).
fn fill(ws: &mut websock_std::WebSocketStream<std::net::TcpStream>) {
    let chunk = Message::binary(vec![0u8; 256 << 10]);
    loop {
        match ws.try_send(chunk.clone()) {
            Ok(()) => {}
            Err(Error::Send(websock_std::SendError::Full)) => return,
            Err(e) => panic!("{e:?}"),
        }
    }
}

#[test]
fn close_is_bounded_by_the_close_timeout_when_the_peer_stops_reading() {
    within(30, || {
        let (mut ws, _client) = server_to_a_peer_that_never_reads(|t| {
            t.close = Some(Duration::from_millis(300));
        });
        fill(&mut ws);
        let started = Instant::now();
        let closed = ws.close(Some(1000), "bye");
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(1500),
            "close() held for {took:?}"
        );
        if let Ok(event) = closed {
            assert!(!event.was_clean, "{event:?}");
        }
    });
}

#[test]
fn a_blocked_send_ends_when_the_peer_takes_nothing_for_the_write_stall_timeout() {
    within(30, || {
        let (mut ws, _client) = server_to_a_peer_that_never_reads(|t| {
            t.write_stall = Some(Duration::from_millis(500));
        });
        fill(&mut ws);
        let started = Instant::now();
        let sent = ws.send(Message::binary(vec![1u8; 1 << 20]));
        let took = started.elapsed();
        assert!(sent.is_err(), "the send cannot complete");
        assert!(
            took < Duration::from_millis(2000),
            "send() held for {took:?}"
        );
        assert!(
            matches!(
                ws.recv(),
                Some(Err(Error::Protocol(websock_core::Error::WriteStalled)))
            ),
            "the receiver learns why"
        );
        assert!(ws.recv().is_none());
    });
}
