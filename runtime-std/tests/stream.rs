//! What only websock-std's idiomatic API has: handshakes over any `Transport` (the
//! trait's defaults), halves whose types do not name the transport, a `Clone` sender half with the receiver's `incoming()` iterator,
//! the send batching of an echo loop (a `send` after a `recv` that left messages
//! waiting only queues), and `wss://` refused without the `tls` feature.
//!
//! The behaviour the three runtimes share is in `tests/tests/stream_api.rs` and
//! `tests/tests/robustness.rs` (package websock-tests), run on all three.

mod common;

use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use common::{echo_server, within};
#[cfg(not(feature = "tls"))]
use websock_std::Error;
use websock_std::{
    accept, client_handshake, connect, ClientOptions, Message, MessageReader, Transport,
    WebSocketReceiver, WebSocketSender,
};

fn url(addr: std::net::SocketAddr, path: &str) -> String {
    format!("ws://{addr}{path}")
}

#[test]
#[cfg(not(feature = "tls"))]
fn wss_without_the_tls_feature_is_refused_as_a_bad_url() {
    assert!(matches!(
        connect("wss://127.0.0.1:4443/"),
        Err(Error::Url(websock_std::ApiError::Syntax))
    ));
    assert_eq!(
        websock_std::WebSocket::new("wss://127.0.0.1:4443/", &[]).unwrap_err(),
        websock_std::ApiError::Syntax
    );
}

/// A custom transport: a `TcpStream` behind a newtype with only the default
/// `Transport` methods plus read timeouts.
struct Custom(TcpStream);

impl std::io::Read for Custom {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf)
    }
}

impl std::io::Write for Custom {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl Transport for Custom {
    fn shutdown_write(&mut self) -> std::io::Result<()> {
        self.0.shutdown(std::net::Shutdown::Write)
    }

    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> std::io::Result<()> {
        self.0.set_read_timeout(timeout)
    }
}

#[test]
fn handshakes_run_over_any_transport() {
    within(20, || {
        let (l, addr) = common::listener();
        let server = thread::spawn(move || {
            let (tcp, _) = l.accept().unwrap();
            common::echo_custom(accept(Custom(tcp)).unwrap())
        });
        let tcp = TcpStream::connect(addr).unwrap();
        let mut ws = client_handshake(
            Custom(tcp),
            "ws://example.com/custom",
            ClientOptions::default(),
        )
        .unwrap();
        ws.send(Message::text("over a custom transport")).unwrap();
        assert_eq!(
            ws.recv().unwrap().unwrap(),
            Message::text("over a custom transport")
        );
        ws.close(None, "").unwrap();
        assert!(ws.recv().is_none());
        // No code in the Close frame: reported as 1005.
        assert_eq!(ws.close_event().unwrap().code, 1005);
        assert_eq!(server.join().unwrap(), 1005);
    });
}

#[test]
fn halves_over_different_transports_have_one_type() {
    within(20, || {
        // One connection over a transport that clones (`connect`'s `MaybeTlsStream`:
        // the sender gets its own handle), one over one that does not (`Custom`: the
        // halves take turns on one handle).
        let (addr_a, server_a) = echo_server();
        let (addr_b, server_b) = echo_server();
        let over_maybe_tls = connect(&url(addr_a, "/a")).unwrap();
        let tcp = TcpStream::connect(addr_b).unwrap();
        let over_custom =
            client_handshake(Custom(tcp), &url(addr_b, "/b"), ClientOptions::default()).unwrap();
        let (tx_a, rx_a) = over_maybe_tls.split();
        let (tx_b, rx_b) = over_custom.split();
        let senders: Vec<WebSocketSender> = vec![tx_a, tx_b];
        let mut receivers: Vec<WebSocketReceiver> = vec![rx_a, rx_b];
        for (i, (tx, rx)) in senders.iter().zip(&mut receivers).enumerate() {
            tx.send(Message::text(format!("to {i}"))).unwrap();
            let mut reader: MessageReader<'_> = rx.recv_stream().unwrap().unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut reader, &mut text).unwrap();
            assert_eq!(text, format!("to {i}"));
        }
        // Nobody receives: each sender's `close` drives its connection to the end.
        for tx in &senders {
            assert_eq!(tx.close(Some(1000), "done").unwrap().code, 1000);
        }
        assert_eq!(server_a.join().unwrap().flatten().unwrap().0, 1000);
        assert_eq!(server_b.join().unwrap().flatten().unwrap().0, 1000);
    });
}

#[test]
fn cloned_senders_and_the_incoming_iterator_work_from_three_threads() {
    within(30, || {
        let (addr, server) = echo_server();
        let ws = connect(&url(addr, "/")).unwrap();
        let (tx, mut rx) = ws.split();
        let reader = thread::spawn(move || {
            let mut got = Vec::new();
            for m in rx.incoming() {
                got.push(m.unwrap());
            }
            (got, rx.close_event())
        });
        let tx2 = tx.clone();
        let writer = thread::spawn(move || {
            for i in 0..100 {
                tx2.send(Message::text(format!("b{i}"))).unwrap();
            }
        });
        for i in 0..100 {
            tx.send(Message::text(format!("a{i}"))).unwrap();
        }
        writer.join().unwrap();
        // Let the echoes arrive before closing (messages are dropped once closing).
        thread::sleep(Duration::from_millis(300));
        // Waits for the receiver thread to see the peer's Close.
        let ev = tx.close(Some(1000), "enough").unwrap();
        assert_eq!((ev.code, ev.was_clean), (1000, true));
        let (got, close) = reader.join().unwrap();
        assert_eq!(got.len(), 200);
        let a: Vec<_> = got
            .iter()
            .filter_map(|m| match m {
                Message::Text(t) if t.as_str().starts_with('a') => Some(t.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(a, (0..100).map(|i| format!("a{i}")).collect::<Vec<_>>());
        assert_eq!(close.unwrap().code, 1000);
        assert_eq!(server.join().unwrap().unwrap().unwrap().0, 1000);
    });
}

/// A `TcpStream` that counts its `write`/`write_vectored` calls (the syscalls a
/// server makes to answer).
struct WriteCalls {
    inner: TcpStream,
    calls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl std::io::Read for WriteCalls {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl std::io::Write for WriteCalls {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.write(buf)
    }

    fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.write_vectored(bufs)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Transport for WriteCalls {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> std::io::Result<()> {
        Transport::set_read_timeout(&mut self.inner, timeout)
    }
}

/// `n` masked binary frames of one byte each (payload `i`), in one buffer.
fn pipelined_frames(n: u8) -> Vec<u8> {
    (0..n).flat_map(|i| [0x82, 0x81, 0, 0, 0, 0, i]).collect()
}

/// Read `n` unmasked one-byte binary frames; returns their payloads.
fn read_echoes(s: &mut TcpStream, n: usize) -> Vec<u8> {
    use std::io::Read;
    let mut frames = vec![0u8; n * 3];
    s.read_exact(&mut frames).unwrap();
    frames
        .chunks(3)
        .map(|f| {
            assert_eq!(&f[..2], &[0x82, 0x01]);
            f[2]
        })
        .collect()
}

#[test]
fn an_echo_loop_answers_a_pipelined_burst_with_few_writes() {
    use std::io::Write;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    within(20, || {
        let (l, addr) = common::listener();
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        let server = thread::spawn(move || {
            let (tcp, _) = l.accept().unwrap();
            let stream = WriteCalls {
                inner: tcp,
                calls: counted.clone(),
            };
            let mut ws = accept(stream).unwrap();
            let after_handshake = counted.load(SeqCst);
            for _ in 0..100 {
                let m = ws.recv().unwrap().unwrap();
                ws.send(m).unwrap();
            }
            let burst = counted.load(SeqCst) - after_handshake;
            // The next burst: two messages, answered by two sends with no `recv`
            // between them: the second send writes both.
            let m1 = ws.recv().unwrap().unwrap();
            let m2 = ws.recv().unwrap().unwrap();
            ws.send(m1.clone()).unwrap();
            ws.send(m2).unwrap();
            // One deferred reply, then `flush` (not `recv`) writes it.
            let m3 = ws.recv().unwrap().unwrap();
            ws.send(m3).unwrap();
            ws.flush().unwrap();
            // Keep the connection (and its queue) alive until the client has read.
            let end = ws.recv();
            (burst, end.map(|r| r.is_ok()))
        });
        let mut client = common::raw_client(addr);
        client.write_all(&pipelined_frames(100)).unwrap();
        assert_eq!(read_echoes(&mut client, 100), (0..100).collect::<Vec<u8>>());
        // Two messages and a third in one segment: the server sends two replies
        // back to back, then receives the third and flushes.
        client.write_all(&pipelined_frames(3)).unwrap();
        assert_eq!(read_echoes(&mut client, 3), vec![0, 1, 2]);
        drop(client);
        let (burst, _) = server.join().unwrap();
        assert!(burst <= 4, "100 pipelined echoes took {burst} writes");
    });
}
