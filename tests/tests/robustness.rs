//! Peers that misbehave, one suite for the three runtimes (each test runs the same body
//! with `websock-tokio`, `websock-smol` and `websock-std` through
//! `websock_tests::facade`): a peer that stops reading (backpressure, bounded memory,
//! the close and write-stall timeouts on the server's side), one that goes silent
//! (keepalive, on either side), one that never finishes the handshake, and a message
//! over the size limit.
//!
//! Over TLS, and the client's side of the close and write-stall timeouts, see
//! `time_accounting.rs` and `behaviour.rs`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use websock_core::{Decision, Limits, Message, SendError, Timeouts};
use websock_tests::facade::{
    accept, connect, each_runtime, raw_client, serve_echo, serve_once, Conn, Error, Options,
    RawListener, ServerOptions,
};
use websock_tests::Runtime;

/// A listener on 127.0.0.1:0 and its address.
fn listen() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local addr");
    (listener, addr)
}

/// Bytes deflate cannot shrink (no extension is agreed with the raw peers anyway).
fn incompressible(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn a_peer_that_stops_reading_bounds_the_queue_and_blocks_the_sender() {
    each_runtime("peer stops reading", |rt| {
        let raw = RawListener::bind();
        let url = raw.url();
        let (hang_up, hold) = mpsc::channel::<()>();
        let server = thread::spawn(move || {
            let peer = raw.accept().unwrap();
            // Never read; hang up when told.
            let _ = hold.recv_timeout(Duration::from_secs(30));
            drop(peer);
        });
        let limit = 256 << 10;
        let chunk = incompressible(64 << 10);
        let options = Options::new().limits(Limits {
            max_send_queue: limit,
            ..Limits::default()
        });
        let ws = connect(rt, &url, &options).unwrap();
        let (mut tx, _rx) = ws.split();
        // Without waiting, the queue fills up to its limit and then reports Full.
        let mut accepted = 0usize;
        let full = loop {
            match tx.try_send(Message::binary(chunk.clone())) {
                Ok(()) => accepted += 1,
                Err(e) => break e,
            }
            assert!(accepted < 4096, "{rt}: the queue never filled");
        };
        assert!(
            matches!(full, Error::Send(SendError::Full)),
            "{rt}: {full:?}"
        );
        // Memory stays bounded: the queue holds at most the limit plus one message.
        assert!(
            tx.send_queue_len() <= limit + chunk.len() + 64,
            "{rt}: {}",
            tx.send_queue_len()
        );
        assert!(
            tx.buffered_amount() <= limit + chunk.len(),
            "{rt}: {}",
            tx.buffered_amount()
        );

        // A waiting send waits for room instead of growing the queue (once the socket
        // buffers are full too: the driver may still be filling them).
        let (done, returned) = mpsc::channel();
        let sender = thread::spawn(move || {
            for _ in 0..4096 {
                let r = tx.send(Message::binary(incompressible(64 << 10)));
                if r.is_err() || done.send(()).is_err() {
                    return (r, tx);
                }
            }
            (Ok(()), tx)
        });
        let mut waited = false;
        for _ in 0..4096 {
            match returned.recv_timeout(Duration::from_millis(500)) {
                Ok(()) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    waited = true;
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        assert!(
            waited,
            "{rt}: send never waited although the peer reads nothing"
        );
        // The peer disappears: the waiting sender learns it.
        hang_up.send(()).unwrap();
        server.join().unwrap();
        let (r, tx) = sender.join().unwrap();
        assert!(
            matches!(
                r,
                Err(Error::Io(_)) | Err(Error::Closed) | Err(Error::Protocol(_))
            ),
            "{rt}: {r:?}"
        );
        assert!(tx.send_queue_len() <= limit + chunk.len() + 64, "{rt}");
    });
}

#[test]
fn keepalive_detects_a_silent_server() {
    each_runtime("keepalive silent server", |rt| {
        let raw = RawListener::bind();
        let url = raw.url();
        let (hang_up, hold) = mpsc::channel::<()>();
        let server = thread::spawn(move || {
            let mut peer = raw.accept().unwrap();
            // Read (and ignore) everything, answer nothing.
            let mut sink = [0u8; 1024];
            let _ = peer.tcp.set_read_timeout(Some(Duration::from_millis(100)));
            while hold.try_recv() == Err(mpsc::TryRecvError::Empty) {
                if let Ok(0) = peer.tcp.read(&mut sink) {
                    break;
                }
            }
        });
        let options = Options::new().timeouts(Timeouts {
            keepalive_interval: Some(Duration::from_millis(100)),
            keepalive_timeout: Duration::from_millis(200),
            ..Timeouts::default()
        });
        let mut ws = connect(rt, &url, &options).unwrap();
        let started = Instant::now();
        let got = ws.recv();
        assert!(
            matches!(
                got,
                Some(Err(Error::Protocol(websock_core::Error::KeepaliveTimeout)))
            ),
            "{rt}: {got:?}"
        );
        assert!(started.elapsed() >= Duration::from_millis(250), "{rt}");
        assert!(ws.recv().is_none(), "{rt}");
        let ev = ws.close_event().unwrap();
        assert_eq!((ev.code, ev.was_clean), (1006, false), "{rt}");
        drop(hang_up);
        server.join().unwrap();
    });
}

fn keepalive() -> Timeouts {
    Timeouts {
        keepalive_interval: Some(Duration::from_millis(50)),
        keepalive_timeout: Duration::from_millis(300),
        ..Timeouts::default()
    }
}

#[test]
fn keepalive_detects_a_silent_client() {
    each_runtime("keepalive silent client", |rt| {
        let (addr, server) = serve_once(
            rt,
            ServerOptions::default().timeouts(keepalive()),
            |_| Decision::accept(),
            move |ws| {
                let mut ws = ws.unwrap();
                let first = ws.recv();
                let rest = ws.recv();
                (first, rest.is_none(), ws.close_event())
            },
        );
        let silent = raw_client(addr);
        let (first, ended, close) = server.join().unwrap();
        drop(silent);
        assert!(
            matches!(
                first,
                Some(Err(Error::Protocol(websock_core::Error::KeepaliveTimeout)))
            ),
            "{rt}: {first:?}"
        );
        assert!(ended, "{rt}");
        assert_eq!(close.unwrap().code, 1006, "{rt}");
    });
}

#[test]
fn keepalive_pings_are_answered_and_keep_the_connection_open() {
    each_runtime("keepalive live", |rt| {
        // Both sides ping every 50 ms; each answers the other's pings while receiving.
        let (addr, server) = serve_once(
            rt,
            ServerOptions::default().timeouts(keepalive()),
            |_| Decision::accept(),
            move |ws| {
                let mut ws = ws.unwrap();
                while let Some(Ok(m)) = ws.recv() {
                    ws.send(m).unwrap();
                }
                ws.close_event()
            },
        );
        let options = Options::new().timeouts(keepalive());
        let ws = connect(rt, &format!("ws://{addr}/"), &options).unwrap();
        let (mut tx, mut rx) = ws.split();
        let reader = thread::spawn(move || {
            let first = rx.recv().map(|m| m.unwrap());
            while rx.recv().is_some() {}
            (first, rx.close_event())
        });
        // Idle for several keepalive rounds.
        thread::sleep(Duration::from_millis(800));
        tx.send(Message::text("alive")).unwrap();
        thread::sleep(Duration::from_millis(100));
        tx.close(Some(1000), "").unwrap();
        let (first, close) = reader.join().unwrap();
        assert_eq!(first, Some(Message::text("alive")), "{rt}");
        assert!(close.unwrap().was_clean, "{rt}");
        assert_eq!(server.join().unwrap().unwrap().code, 1000, "{rt}");
    });
}

#[test]
fn a_server_that_never_answers_hits_the_handshake_deadline() {
    each_runtime("silent server handshake", |rt| {
        let raw = RawListener::bind();
        let url = raw.url();
        let (hang_up, hold) = mpsc::channel::<()>();
        let server = thread::spawn(move || {
            let _tcp = raw.accept_tcp().unwrap();
            let _ = hold.recv_timeout(Duration::from_secs(30));
        });
        let options = Options::new().timeouts(Timeouts {
            handshake: Some(Duration::from_millis(300)),
            ..Timeouts::default()
        });
        let started = Instant::now();
        let e = connect(rt, &url, &options).err();
        assert!(
            matches!(
                e,
                Some(Error::Protocol(websock_core::Error::HandshakeTimeout))
            ),
            "{rt}: {e:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{rt}");
        drop(hang_up);
        server.join().unwrap();
    });
}

#[test]
fn a_client_that_never_completes_its_request_hits_the_handshake_deadline() {
    each_runtime("silent client handshake", |rt| {
        for half in [&b""[..], b"GET / HTTP/1.1\r\nHost: x\r\n"] {
            let (listener, addr) = listen();
            let mut client = TcpStream::connect(addr).unwrap();
            client.write_all(half).unwrap();
            let (tcp, _) = listener.accept().unwrap();
            let options = ServerOptions::default().timeouts(Timeouts {
                handshake: Some(Duration::from_millis(300)),
                ..Timeouts::default()
            });
            let started = Instant::now();
            let result = accept(rt, tcp, &options, |_| Decision::accept()).err();
            assert!(
                matches!(
                    result,
                    Some(Error::Protocol(websock_core::Error::HandshakeTimeout))
                ),
                "{rt}: {result:?}"
            );
            assert!(started.elapsed() < Duration::from_secs(3), "{rt}");
        }
    });
}

#[test]
fn an_oversized_message_fails_the_connection_with_1009() {
    each_runtime("oversized", |rt| {
        let (addr, server) = serve_once(
            rt,
            ServerOptions::default().limits(Limits {
                max_message_size: 1000,
                ..Limits::default()
            }),
            |_| Decision::accept(),
            move |ws| {
                let mut ws = ws.unwrap();
                ws.recv()
            },
        );
        let mut ws = connect(rt, &format!("ws://{addr}/"), &Options::new()).unwrap();
        ws.send(Message::binary(vec![0u8; 1001])).unwrap();
        assert!(ws.recv().is_none(), "{rt}");
        assert_eq!(ws.close_event().unwrap().code, 1009, "{rt}");
        let got = server.join().unwrap();
        assert!(
            matches!(got, Some(Err(Error::Protocol(_)))),
            "{rt}: {got:?}"
        );
    });
}

/// `rt`'s server connection to a raw client that never reads, its send queue capped at
/// 1 MiB so that it fills fast; the client hangs up when the returned sender is dropped.
fn server_to_a_peer_that_never_reads(
    rt: Runtime,
    timeouts: impl FnOnce(&mut Timeouts),
) -> (Box<dyn Conn>, mpsc::Sender<()>, JoinHandle<()>) {
    let (listener, addr) = listen();
    let (hang_up, wait) = mpsc::channel::<()>();
    let client = thread::spawn(move || {
        let _s = raw_client(addr);
        let _ = wait.recv_timeout(Duration::from_secs(15));
    });
    let (tcp, _) = listener.accept().unwrap();
    let mut options = ServerOptions::default();
    options.limits.max_send_queue = 1 << 20;
    timeouts(&mut options.timeouts);
    let ws = accept(rt, tcp, &options, |_| Decision::accept()).unwrap();
    (ws, hang_up, client)
}

/// Queues until the send queue is full (the socket buffers are full before that).
fn fill(rt: Runtime, ws: &mut dyn Conn) {
    let chunk = Message::binary(incompressible(256 << 10));
    for _ in 0..4096 {
        match ws.try_send(chunk.clone()) {
            Ok(()) => {}
            Err(Error::Send(SendError::Full)) => return,
            Err(e) => panic!("{rt}: {e:?}"),
        }
    }
    panic!("{rt}: the send queue never filled");
}

#[test]
fn server_close_is_bounded_by_the_close_timeout_when_the_peer_stops_reading() {
    each_runtime("server close timeout", |rt| {
        let (mut ws, hang_up, client) = server_to_a_peer_that_never_reads(rt, |t| {
            t.close = Some(Duration::from_millis(300));
        });
        fill(rt, &mut *ws);
        let started = Instant::now();
        let closed = ws.close(Some(1000), "bye");
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(1500),
            "{rt}: close() held for {took:?}"
        );
        if let Ok(event) = closed {
            assert!(!event.was_clean, "{rt}: {event:?}");
        }
        drop((ws, hang_up));
        client.join().unwrap();
    });
}

#[test]
fn server_sends_to_a_peer_that_never_reads_end_at_the_write_stall_timeout() {
    each_runtime("server write stall", |rt| {
        let (mut ws, hang_up, client) = server_to_a_peer_that_never_reads(rt, |t| {
            t.write_stall = Some(Duration::from_millis(500));
        });
        fill(rt, &mut *ws);
        // tokio's and smol's `send` returns once queued (room appears as the driver
        // fills the socket buffers); std's once written. Either way the sends end, with
        // an error, within the write-stall timeout of the peer taking nothing.
        let started = Instant::now();
        let mut sent = 0;
        while ws.send(Message::binary(vec![1u8; 1 << 20])).is_ok() {
            sent += 1;
            assert!(sent < 64, "{rt}: the sends never failed");
        }
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(2000),
            "{rt}: sends went on for {took:?}"
        );
        let why = ws.recv();
        assert!(
            matches!(
                why,
                Some(Err(Error::Protocol(websock_core::Error::WriteStalled)))
            ),
            "{rt}: the receiver learns why: {why:?}"
        );
        assert!(ws.recv().is_none(), "{rt}");
        drop((ws, hang_up));
        client.join().unwrap();
    });
}

/// The echo server answers the client's keepalive pings while it waits in `recv`; the
/// client receives on another thread meanwhile (std's receiver drives its connection).
#[test]
fn client_keepalive_with_a_live_server_keeps_the_connection_open() {
    each_runtime("client keepalive live", |rt| {
        let addr = serve_echo(rt, ServerOptions::default(), |_| Decision::accept());
        let options = Options::new().timeouts(Timeouts {
            keepalive_interval: Some(Duration::from_millis(50)),
            keepalive_timeout: Duration::from_millis(300),
            ..Timeouts::default()
        });
        let mut ws = connect(rt, &format!("ws://{addr}/"), &options).unwrap();
        ws.send(Message::text("first")).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text("first"));
        let (mut tx, mut rx) = ws.split();
        let reader = thread::spawn(move || rx.recv().map(|m| m.unwrap()));
        thread::sleep(Duration::from_millis(500));
        tx.send(Message::text("still here")).unwrap();
        assert_eq!(
            reader.join().unwrap(),
            Some(Message::text("still here")),
            "{rt}"
        );
    });
}
