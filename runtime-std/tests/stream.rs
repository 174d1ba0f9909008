//! The idiomatic API over loopback TCP: messages, fragments, pings, closing, handshakes.

mod common;

use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use common::{echo_server, server, within};
use websock_std::{
    accept, client_handshake, connect, connect_with, ClientOptions, Decision, Error,
    HandshakeError, Incoming, Message, MessageKind, ReadyState, Role, SendError, ServerOptions,
    Timeouts, Transport,
};

fn url(addr: std::net::SocketAddr, path: &str) -> String {
    format!("ws://{addr}{path}")
}

#[test]
fn text_and_binary_of_many_sizes_round_trip() {
    within(30, || {
        let (addr, server) = echo_server();
        let mut ws = connect(&url(addr, "/")).unwrap();
        assert_eq!(ws.ready_state(), ReadyState::Open);
        assert_eq!(ws.role(), Role::Client);
        ws.send(Message::text("hello")).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text("hello"));
        ws.send(Message::text("")).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text(""));
        for size in [0usize, 1, 125, 126, 65_535, 65_536, 100_000, 5 << 20] {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            ws.send(Message::binary(data.clone())).unwrap();
            match ws.recv().unwrap().unwrap() {
                Message::Binary(b) => assert!(b == data, "size {size} differs"),
                other => panic!("expected binary, got {other:?}"),
            }
        }
        ws.close(Some(1000), "done").unwrap();
        assert!(ws.recv().is_none());
        let c = ws.close_event().unwrap();
        // The close event carries the peer's Close frame: its echo has no reason.
        assert_eq!((c.code, c.reason.as_str(), c.was_clean), (1000, "", true));
        assert_eq!(ws.ready_state(), ReadyState::Closed);
        let seen = server.join().unwrap().unwrap().unwrap();
        assert_eq!(seen, (1000, "done".to_string(), true));
    });
}

#[test]
fn fragmented_messages_are_reassembled() {
    within(20, || {
        let (addr, _server) = echo_server();
        let mut ws = connect(&url(addr, "/")).unwrap();
        ws.send_fragment(MessageKind::Text, "Hel", false).unwrap();
        ws.ping("between fragments").unwrap();
        ws.send_fragment(MessageKind::Text, "lo, ", false).unwrap();
        ws.send_fragment(MessageKind::Text, "world", true).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text("Hello, world"));
        ws.send_fragment(MessageKind::Binary, vec![1u8; 70_000], false)
            .unwrap();
        // Another message may not start in the middle of one.
        match ws.send(Message::text("no")) {
            Err(Error::Send(SendError::FragmentOrder)) => {}
            other => panic!("expected FragmentOrder, got {other:?}"),
        }
        ws.send_fragment(MessageKind::Binary, vec![2u8; 10], true)
            .unwrap();
        match ws.recv().unwrap().unwrap() {
            Message::Binary(b) => {
                assert_eq!(b.len(), 70_010);
                assert_eq!(b[69_999], 1);
                assert_eq!(b[70_000], 2);
            }
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn ping_payload_over_125_bytes_is_refused() {
    within(20, || {
        let (addr, _server) = echo_server();
        let mut ws = connect(&url(addr, "/")).unwrap();
        match ws.ping(vec![0u8; 126]) {
            Err(Error::Send(SendError::ControlFrameTooLong)) => {}
            other => panic!("{other:?}"),
        }
        ws.ping(vec![0u8; 125]).unwrap();
        ws.send(Message::text("still fine")).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text("still fine"));
    });
}

#[test]
fn keepalive_pings_are_answered_and_keep_the_connection_open() {
    within(20, || {
        let timeouts = Timeouts {
            keepalive_interval: Some(Duration::from_millis(50)),
            keepalive_timeout: Duration::from_millis(300),
            ..Timeouts::default()
        };
        let (addr, server) = server(
            ServerOptions::default().timeouts(timeouts),
            |_| Decision::accept(),
            common::echo,
        );
        let ws = connect(&url(addr, "/")).unwrap();
        let (tx, mut rx) = ws.split();
        // Idle for a while: the server pings every 50 ms, our receiver answers.
        let reader = thread::spawn(move || {
            let first = rx.recv().map(|m| m.unwrap());
            while rx.recv().is_some() {}
            (first, rx.close_event())
        });
        thread::sleep(Duration::from_millis(800));
        tx.send(Message::text("alive")).unwrap();
        thread::sleep(Duration::from_millis(100));
        tx.close(Some(1000), "").unwrap();
        let (first, close) = reader.join().unwrap();
        assert_eq!(first, Some(Message::text("alive")));
        assert!(close.unwrap().was_clean);
        assert_eq!(server.join().unwrap().unwrap().unwrap().0, 1000);
    });
}

#[test]
fn server_closes_with_code_and_reason() {
    within(20, || {
        let (addr, server) = server(
            ServerOptions::default(),
            |_| Decision::accept(),
            |mut ws| {
                let first = ws.recv().unwrap().unwrap();
                ws.close(Some(4001), "server says bye").unwrap();
                while ws.recv().is_some() {}
                (first, ws.close_event())
            },
        );
        let mut ws = connect(&url(addr, "/")).unwrap();
        ws.send(Message::text("hi")).unwrap();
        assert!(ws.recv().is_none());
        let c = ws.close_event().unwrap();
        assert_eq!(
            (c.code, c.reason.as_str(), c.was_clean),
            (4001, "server says bye", true)
        );
        assert!(matches!(ws.send(Message::text("late")), Err(Error::Closed)));
        let (first, close) = server.join().unwrap().unwrap();
        assert_eq!(first, Message::text("hi"));
        assert_eq!(close.unwrap().code, 4001);
    });
}

#[test]
fn close_rejects_codes_the_wire_forbids() {
    within(20, || {
        let (addr, _server) = echo_server();
        let mut ws = connect(&url(addr, "/")).unwrap();
        assert!(matches!(ws.close(Some(1005), ""), Err(Error::Api(_))));
        assert!(matches!(
            ws.close(Some(1000), &"x".repeat(124)),
            Err(Error::Api(_))
        ));
        assert_eq!(ws.ready_state(), ReadyState::Open);
    });
}

#[test]
fn callback_sees_the_request_and_selects_a_protocol() {
    within(20, || {
        let (addr, server) = server(
            ServerOptions::default(),
            |req| {
                assert_eq!(req.path, "/chat?room=1");
                assert_eq!(req.origin(), Some("https://example.com"));
                assert_eq!(req.header_str("authorization"), Some("Bearer t"));
                assert_eq!(req.protocols(), ["v2", "v1"]);
                Decision::Accept {
                    protocol: Some("v1".into()),
                    headers: vec![("X-Server".into(), "websock".into())],
                }
            },
            |ws| ws.request().map(|r| r.path.clone()),
        );
        let options = ClientOptions::default()
            .protocol("v2")
            .protocol("v1")
            .header("Origin", "https://example.com")
            .header("Authorization", "Bearer t");
        let ws = connect_with(&url(addr, "/chat?room=1"), options).unwrap();
        assert_eq!(ws.protocol(), Some("v1"));
        assert_eq!(
            ws.response().unwrap().header_str("x-server"),
            Some("websock")
        );
        assert_eq!(
            server.join().unwrap().unwrap().as_deref(),
            Some("/chat?room=1")
        );
    });
}

#[test]
fn rejection_reaches_the_client_as_its_status() {
    within(20, || {
        let (addr, server) = server(ServerOptions::default(), |_| Decision::reject(403), |_| ());
        match connect(&url(addr, "/")) {
            Err(Error::Handshake(HandshakeError::UnexpectedStatus(403))) => {}
            other => panic!("expected a 403, got {other:?}"),
        }
        assert!(server.join().unwrap().is_none());
    });
}

#[test]
fn selecting_a_protocol_the_client_did_not_offer_is_an_error() {
    within(20, || {
        let (l, addr) = common::listener();
        let server = thread::spawn(move || {
            let (tcp, _) = l.accept().unwrap();
            websock_std::accept_with(tcp, ServerOptions::default(), |_| {
                Decision::accept_protocol("nope")
            })
            .err()
        });
        let err = connect_with(&url(addr, "/"), ClientOptions::default().protocol("yes"));
        assert!(
            matches!(
                err,
                Err(Error::Handshake(HandshakeError::UnexpectedStatus(500)))
            ),
            "{err:?}"
        );
        assert!(matches!(server.join().unwrap(), Some(Error::Api(_))));
    });
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

#[test]
fn bad_urls_and_ports_are_refused_before_connecting() {
    assert!(matches!(
        connect("ftp://x"),
        Err(Error::Url(websock_std::ApiError::Syntax))
    ));
    assert!(matches!(
        connect("ws://x/#f"),
        Err(Error::Url(websock_std::ApiError::Syntax))
    ));
    assert!(matches!(
        connect_with(
            "ws://127.0.0.1:25",
            ClientOptions::default().check_bad_ports(true)
        ),
        Err(Error::Url(websock_std::ApiError::Security))
    ));
    let bad = connect_with(
        "ws://127.0.0.1:1/",
        ClientOptions::default().check_bad_ports(false),
    );
    assert!(matches!(bad, Err(Error::Io(_))), "{bad:?}");
}

#[test]
fn connection_refused_is_an_io_error() {
    let (l, addr) = common::listener();
    drop(l);
    assert!(matches!(connect(&url(addr, "/")), Err(Error::Io(_))));
}

#[test]
fn server_handshake_deadline_is_enforced() {
    within(20, || {
        let (l, addr) = common::listener();
        let _silent = TcpStream::connect(addr).unwrap();
        let (tcp, _) = l.accept().unwrap();
        let started = Instant::now();
        let timeouts = Timeouts {
            handshake: Some(Duration::from_millis(200)),
            ..Timeouts::default()
        };
        let result =
            websock_std::accept_with(tcp, ServerOptions::default().timeouts(timeouts), |_| {
                Decision::accept()
            });
        assert!(
            matches!(
                result,
                Err(Error::Protocol(websock_core::Error::HandshakeTimeout))
            ),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
    });
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
fn split_halves_work_from_two_threads() {
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

#[test]
fn killed_server_is_reported_as_an_error_then_1006() {
    within(20, || {
        let (addr, server) = server(
            ServerOptions::default(),
            |_| Decision::accept(),
            |ws| {
                // Drop the stream abruptly, without a closing handshake.
                drop(ws);
            },
        );
        let mut ws = connect(&url(addr, "/")).unwrap();
        server.join().unwrap();
        match ws.recv() {
            Some(Err(Error::Protocol(websock_core::Error::ConnectionLost)))
            | Some(Err(Error::Io(_))) => {}
            other => panic!("expected a lost connection, got {other:?}"),
        }
        assert!(ws.recv().is_none());
        let c = ws.close_event().unwrap();
        assert_eq!((c.code, c.was_clean), (1006, false));
    });
}

#[test]
fn from_upgraded_takes_over_a_stream_upgraded_elsewhere() {
    within(20, || {
        // The HTTP upgrade is done by hand (as hyper would), then the stream is handed
        // over, open from the start.
        let (addr, server) = common::raw_server(|tcp| {
            let ws = websock_std::from_upgraded(
                tcp,
                Role::Server,
                Some("chat".into()),
                websock_std::Config::default(),
            );
            assert_eq!(ws.protocol(), Some("chat"));
            assert_eq!(ws.ready_state(), ReadyState::Open);
            assert_eq!(common::echo_custom(ws), 1000);
        });
        let mut ws = connect(&url(addr, "/")).unwrap();
        ws.send(Message::binary(vec![9u8; 1000])).unwrap();
        assert_eq!(
            ws.recv().unwrap().unwrap(),
            Message::binary(vec![9u8; 1000])
        );
        ws.close(Some(1000), "").unwrap();
        assert!(ws.recv().is_none());
        server.join().unwrap();
    });
}

#[test]
fn permessage_deflate_is_negotiated_by_default_and_can_be_declined() {
    within(20, || {
        let (addr, _server) = echo_server();
        let mut ws = connect(&url(addr, "/")).unwrap();
        assert!(
            ws.extensions().starts_with("permessage-deflate"),
            "{}",
            ws.extensions()
        );
        let text = "compress me ".repeat(10_000);
        ws.send(Message::text(text.as_str())).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text(text.as_str()));

        let (addr, _server) = echo_server();
        let off = websock_std::DeflateConfig {
            enabled: false,
            ..Default::default()
        };
        let mut ws = connect_with(&url(addr, "/"), ClientOptions::default().deflate(off)).unwrap();
        assert_eq!(ws.extensions(), "");
        ws.send(Message::text("plain")).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text("plain"));
    });
}

#[test]
fn a_ping_is_answered_and_the_pong_seen_by_recv_incoming() {
    within(20, || {
        let (addr, _server) = echo_server();
        let mut ws = connect(&url(addr, "/")).unwrap();
        ws.ping("are you there").unwrap();
        match ws.recv_incoming() {
            Some(Ok(Incoming::Pong(p))) => assert_eq!(p.as_ref(), b"are you there"),
            other => panic!("expected a pong, got {other:?}"),
        }
    });
}

#[test]
fn close_waits_for_the_closing_handshake_and_returns_the_event() {
    within(20, || {
        let (addr, server) = echo_server();
        let mut ws = connect(&url(addr, "/")).unwrap();
        let ev = ws.close(Some(3001), "see you").unwrap();
        assert_eq!((ev.code, ev.was_clean), (3001, true));
        assert_eq!(ws.ready_state(), ReadyState::Closed);
        assert!(ws.recv().is_none());
        // Closing again returns the same event.
        assert_eq!(ws.close(Some(1000), "").unwrap(), ev);
        let seen = server.join().unwrap().unwrap().unwrap();
        assert_eq!(seen, (3001, "see you".to_string(), true));
    });
}

/// A transport that counts the bytes written through it (what the peer receives).
struct CountingStream {
    inner: TcpStream,
    written: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl std::io::Read for CountingStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf)
    }
}

impl std::io::Write for CountingStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written
            .fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl Transport for CountingStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> std::io::Result<()> {
        Transport::set_read_timeout(&mut self.inner, timeout)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> std::io::Result<()> {
        Transport::set_write_timeout(&mut self.inner, timeout)
    }

    fn shutdown_write(&mut self) -> std::io::Result<()> {
        self.inner.shutdown_write()
    }

    fn try_clone_handle(&self) -> Option<Self> {
        Some(CountingStream {
            inner: self.inner.try_clone_handle()?,
            written: self.written.clone(),
        })
    }
}

#[test]
fn send_uncompressed_skips_permessage_deflate() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    within(20, || {
        let (addr, _server) = echo_server();
        let written = Arc::new(AtomicUsize::new(0));
        let stream = CountingStream {
            inner: TcpStream::connect(addr).unwrap(),
            written: written.clone(),
        };
        let mut ws = client_handshake(stream, &url(addr, "/"), ClientOptions::default()).unwrap();
        assert!(
            ws.extensions().starts_with("permessage-deflate"),
            "{}",
            ws.extensions()
        );
        // 64 KiB that deflate shrinks to a few hundred bytes.
        let message = Message::binary(vec![b'z'; 64 * 1024]);

        let before = written.load(SeqCst);
        ws.send(message.clone()).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), message);
        let compressed = written.load(SeqCst) - before;
        assert!(compressed < 4096, "send wrote {compressed} bytes");

        let before = written.load(SeqCst);
        ws.send_uncompressed(message.clone()).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), message);
        let plain = written.load(SeqCst) - before;
        assert!(plain > 64 * 1024, "send_uncompressed wrote {plain} bytes");
        assert_eq!(ws.buffered_amount(), 0);

        let before = written.load(SeqCst);
        ws.try_send_uncompressed(message.clone()).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), message);
        assert!(written.load(SeqCst) - before > 64 * 1024);

        let (tx, mut rx) = ws.split();
        let before = written.load(SeqCst);
        tx.send_uncompressed(message.clone()).unwrap();
        tx.try_send_uncompressed(message.clone()).unwrap();
        for _ in 0..2 {
            assert_eq!(rx.recv().unwrap().unwrap(), message);
        }
        assert!(written.load(SeqCst) - before > 2 * 64 * 1024);
        assert_eq!(tx.buffered_amount(), 0);
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
