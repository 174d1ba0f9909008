//! The idiomatic API (`WebSocketStream` and its halves), one suite for the three
//! runtimes: each test runs the same body with `websock-tokio`, `websock-smol` and
//! `websock-std` as both client and server (through `websock_tests::facade`), over
//! loopback TCP: messages of every size, fragments, pings, closing from either side,
//! the server's decision on the request, permessage-deflate, the split halves,
//! `client_handshake` and `from_upgraded`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use websock_core::deflate::DeflateConfig;
use websock_core::dom::ReadyState;
use websock_core::session::Incoming;
use websock_core::{
    ApiError, Bytes, Config, Decision, HandshakeError, Message, MessageKind, Role, SendError,
    Timeouts,
};
use websock_tests::facade::{
    self, connect, each_runtime, serve_echo, serve_once, serve_one, Conn, Error, Frame, Options,
    RawListener, ServerOptions,
};
use websock_tests::Runtime;

/// `rt`'s echo server, accepting every request; the URL of `/echo` on it.
fn echo_url(rt: Runtime) -> String {
    let addr = serve_echo(rt, ServerOptions::default(), |_| Decision::accept());
    format!("ws://{addr}/echo")
}

/// Connects with the default options, or panics naming the runtime.
fn must_connect(rt: Runtime, url: &str) -> Box<dyn Conn> {
    connect(rt, url, &Options::new()).unwrap_or_else(|e| panic!("{rt}: connect {url}: {e:?}"))
}

/// A listener on 127.0.0.1:0 and its address.
fn listen() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local addr");
    (listener, addr)
}

#[test]
fn text_and_binary_of_many_sizes_round_trip() {
    each_runtime("round trip", |rt| {
        let mut ws = must_connect(rt, &echo_url(rt));
        ws.send(Message::text("héllo wörld")).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text("héllo wörld"));
        for size in [0usize, 1, 125, 126, 65_535, 65_536, 3 << 20] {
            let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            ws.send(Message::binary(data.clone())).unwrap();
            let got = ws.recv().unwrap().unwrap();
            assert!(got == Message::binary(data), "{rt}: size {size}");
        }
        ws.send(Message::text("")).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text(""));
        assert_eq!(ws.ready_state(), ReadyState::Open, "{rt}");
    });
}

#[test]
fn fragments_are_reassembled_with_a_ping_between() {
    each_runtime("fragments", |rt| {
        let mut ws = must_connect(rt, &echo_url(rt));
        let frag = |s: &'static str| Bytes::from_static(s.as_bytes());
        ws.send_fragment(MessageKind::Text, frag("frag"), false)
            .unwrap();
        ws.ping(frag("in between")).unwrap();
        ws.send_fragment(MessageKind::Text, frag("men"), false)
            .unwrap();
        // A new message while one is unfinished is refused.
        let refused = ws.send(Message::text("no"));
        assert!(
            matches!(refused, Err(Error::Send(SendError::FragmentOrder))),
            "{rt}: {refused:?}"
        );
        ws.send_fragment(MessageKind::Text, frag("ted"), true)
            .unwrap();
        let mut got = None;
        while got.is_none() {
            match ws.recv_incoming().unwrap().unwrap() {
                Incoming::Message(m) => got = Some(m),
                Incoming::Pong(p) => assert_eq!(p.as_ref(), b"in between", "{rt}"),
                other => panic!("{rt}: {other:?}"),
            }
        }
        assert_eq!(got.unwrap(), Message::text("fragmented"), "{rt}");
        // And once a binary message is unfinished, too.
        ws.send_fragment(MessageKind::Binary, frag("a"), false)
            .unwrap();
        let refused = ws.send(Message::text("x"));
        assert!(
            matches!(refused, Err(Error::Send(SendError::FragmentOrder))),
            "{rt}: {refused:?}"
        );
    });
}

#[test]
fn a_ping_gets_its_pong_and_payloads_over_125_bytes_are_refused() {
    each_runtime("ping", |rt| {
        let mut ws = must_connect(rt, &echo_url(rt));
        ws.ping(Bytes::from_static(b"are you there")).unwrap();
        let got = ws.recv_incoming();
        assert!(
            matches!(&got, Some(Ok(Incoming::Pong(p))) if p.as_ref() == b"are you there"),
            "{rt}: {got:?}"
        );
        let refused = ws.ping(Bytes::from(vec![0u8; 126]));
        assert!(
            matches!(refused, Err(Error::Send(SendError::ControlFrameTooLong))),
            "{rt}: {refused:?}"
        );
        ws.ping(Bytes::from(vec![7u8; 125])).unwrap();
        ws.send(Message::text("still open")).unwrap();
        let mut next = ws.recv_incoming().unwrap().unwrap();
        if matches!(next, Incoming::Pong(_)) {
            next = ws.recv_incoming().unwrap().unwrap();
        }
        assert_eq!(next, Incoming::Message(Message::text("still open")), "{rt}");
    });
}

#[test]
fn the_server_pings_and_sees_the_clients_pong() {
    each_runtime("server ping", |rt| {
        let (url, server) = serve_one(rt, |mut ws| {
            ws.ping(Bytes::from_static(b"are you there")).unwrap();
            // The client's automatic pong is reported, then its message.
            (ws.recv_incoming(), ws.recv_incoming())
        });
        let mut ws = must_connect(rt, &url);
        let ping = ws.recv_incoming();
        assert!(
            matches!(&ping, Some(Ok(Incoming::Ping(p))) if p.as_ref() == b"are you there"),
            "{rt}: {ping:?}"
        );
        ws.send(Message::text("after the ping")).unwrap();
        let (pong, message) = server.join().unwrap();
        assert!(
            matches!(&pong, Some(Ok(Incoming::Pong(p))) if p.as_ref() == b"are you there"),
            "{rt}: {pong:?}"
        );
        assert!(
            matches!(&message, Some(Ok(Incoming::Message(m))) if *m == Message::text("after the ping")),
            "{rt}: {message:?}"
        );
    });
}

#[test]
fn the_client_closes_with_code_and_reason() {
    each_runtime("client close", |rt| {
        let (url, server) = serve_one(rt, |mut ws| {
            let next = ws.recv();
            (next.is_none(), ws.close_event())
        });
        let mut ws = must_connect(rt, &url);
        let mine = ws.close(Some(4000), "bye now").unwrap();
        assert_eq!((mine.code, mine.was_clean), (4000, true), "{rt}");
        assert_eq!(ws.ready_state(), ReadyState::Closed, "{rt}");
        assert!(ws.recv().is_none(), "{rt}");
        assert_eq!(ws.close_event(), Some(mine.clone()), "{rt}");
        // Closing again returns the same event.
        assert_eq!(ws.close(Some(1000), "").unwrap(), mine, "{rt}");
        let late = ws.send(Message::text("late"));
        assert!(matches!(late, Err(Error::Closed)), "{rt}: {late:?}");
        let (ended, theirs) = server.join().unwrap();
        assert!(ended, "{rt}: the server's recv ends");
        let theirs = theirs.unwrap();
        assert_eq!(
            (theirs.code, theirs.reason.as_str(), theirs.was_clean),
            (4000, "bye now", true),
            "{rt}"
        );
    });
}

#[test]
fn the_server_closes_with_code_and_reason() {
    each_runtime("server close", |rt| {
        let (url, server) = serve_one(rt, |mut ws| {
            let first = ws.recv().unwrap().unwrap();
            ws.send(Message::text("last words")).unwrap();
            let closed = ws.close(Some(4001), "server says bye");
            assert!(ws.recv().is_none());
            (first, closed.map_err(|e| e.to_string()), ws.close_event())
        });
        let mut ws = must_connect(rt, &url);
        ws.send(Message::text("hi")).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text("last words"));
        assert!(ws.recv().is_none(), "{rt}");
        let event = ws.close_event().unwrap();
        assert_eq!(
            (event.code, event.reason.as_str(), event.was_clean),
            (4001, "server says bye", true),
            "{rt}"
        );
        let late = ws.send(Message::text("late"));
        assert!(matches!(late, Err(Error::Closed)), "{rt}: {late:?}");
        let (first, closed, theirs) = server.join().unwrap();
        assert_eq!(first, Message::text("hi"), "{rt}");
        let closed = closed.unwrap();
        assert_eq!((closed.code, closed.was_clean), (4001, true), "{rt}");
        assert_eq!(theirs, Some(closed), "{rt}");
    });
}

#[test]
fn invalid_close_arguments_are_refused() {
    each_runtime("close arguments", |rt| {
        let mut ws = must_connect(rt, &echo_url(rt));
        let e = ws.close(Some(1005), "");
        assert!(
            matches!(e, Err(Error::Api(ApiError::InvalidAccess))),
            "{rt}: {e:?}"
        );
        let e = ws.close(Some(1000), &"x".repeat(124));
        assert!(
            matches!(e, Err(Error::Api(ApiError::Syntax))),
            "{rt}: {e:?}"
        );
        assert_eq!(ws.ready_state(), ReadyState::Open, "{rt}");
    });
}

#[test]
fn the_server_sees_the_request_and_picks_a_protocol() {
    each_runtime("server decision", |rt| {
        let (addr, server) = serve_once(
            rt,
            ServerOptions::default(),
            |req| {
                assert_eq!(req.path, "/chat?room=1");
                assert_eq!(req.origin(), Some("https://example.test"));
                assert_eq!(req.header_str("authorization"), Some("Bearer t"));
                assert_eq!(req.protocols(), ["chat.v2", "chat.v1"]);
                Decision::Accept {
                    protocol: Some("chat.v1".into()),
                    headers: vec![("X-Served-By".into(), "websock".into())],
                }
            },
            |ws| {
                let ws = ws.unwrap();
                let request = ws.request().unwrap();
                (
                    ws.protocol(),
                    request.path.clone(),
                    request.header_str("authorization").map(str::to_owned),
                )
            },
        );
        let options = Options::new()
            .protocols(["chat.v2", "chat.v1"])
            .header("Origin", "https://example.test")
            .header("Authorization", "Bearer t");
        let ws = connect(rt, &format!("ws://{addr}/chat?room=1"), &options).unwrap();
        assert_eq!(ws.protocol().as_deref(), Some("chat.v1"), "{rt}");
        let response = ws.response().unwrap();
        assert_eq!(response.status, 101, "{rt}");
        assert_eq!(response.header_str("x-served-by"), Some("websock"), "{rt}");
        let (protocol, path, authorization) = server.join().unwrap();
        assert_eq!(protocol.as_deref(), Some("chat.v1"), "{rt}");
        assert_eq!(path, "/chat?room=1", "{rt}");
        assert_eq!(authorization.as_deref(), Some("Bearer t"), "{rt}");
    });
}

#[test]
fn a_rejection_with_403_is_an_error_on_both_sides() {
    each_runtime("rejection", |rt| {
        let (addr, server) = serve_once(
            rt,
            ServerOptions::default(),
            |req| {
                if req.origin() == Some("https://evil.test") {
                    Decision::reject(403)
                } else {
                    Decision::accept()
                }
            },
            |ws| ws.err(),
        );
        let options = Options::new().header("Origin", "https://evil.test");
        let e = connect(rt, &format!("ws://{addr}/"), &options).err();
        assert!(
            matches!(
                e,
                Some(Error::Handshake(HandshakeError::UnexpectedStatus(403)))
            ),
            "{rt}: {e:?}"
        );
        let theirs = server.join().unwrap();
        assert!(
            matches!(
                theirs,
                Some(Error::Handshake(HandshakeError::Rejected(403)))
            ),
            "{rt}: {theirs:?}"
        );
    });
}

#[test]
fn selecting_a_protocol_the_client_did_not_offer_is_an_error_on_both_sides() {
    each_runtime("unoffered protocol", |rt| {
        let (addr, server) = serve_once(
            rt,
            ServerOptions::default(),
            |_| Decision::accept_protocol("nope"),
            |ws| ws.err(),
        );
        let e = connect(
            rt,
            &format!("ws://{addr}/"),
            &Options::new().protocol("yes"),
        )
        .err();
        assert!(
            matches!(
                e,
                Some(Error::Handshake(HandshakeError::UnexpectedStatus(500)))
            ),
            "{rt}: {e:?}"
        );
        let theirs = server.join().unwrap();
        assert!(matches!(theirs, Some(Error::Api(_))), "{rt}: {theirs:?}");
    });
}

#[test]
fn a_plain_http_request_gets_an_http_error() {
    each_runtime("plain http", |rt| {
        let (addr, server) = serve_once(
            rt,
            ServerOptions::default(),
            |_| Decision::accept(),
            |ws| ws.err(),
        );
        let mut tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && tcp.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head);
        assert!(head.starts_with("HTTP/1.1 4"), "{rt}: {head}");
        let theirs = server.join().unwrap();
        assert!(
            matches!(theirs, Some(Error::Handshake(_))),
            "{rt}: {theirs:?}"
        );
    });
}

#[test]
fn permessage_deflate_is_negotiated_by_default_and_can_be_declined() {
    each_runtime("deflate", |rt| {
        let mut ws = must_connect(rt, &echo_url(rt));
        let extensions = ws.extensions();
        assert!(
            extensions.starts_with("permessage-deflate"),
            "{rt}: {extensions}"
        );
        let text = "compress me ".repeat(10_000);
        ws.send(Message::text(text.as_str())).unwrap();
        assert!(ws.recv().unwrap().unwrap() == Message::text(text.as_str()));

        let off = DeflateConfig {
            enabled: false,
            ..Default::default()
        };
        let mut ws = connect(rt, &echo_url(rt), &Options::new().deflate(off)).unwrap();
        assert_eq!(ws.extensions(), "", "{rt}");
        ws.send(Message::text("plain")).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text("plain"));
    });
}

/// A relay from a local port to `to`, counting the bytes the client sends through it.
fn counting_relay(to: SocketAddr) -> (SocketAddr, Arc<AtomicUsize>) {
    let (listener, addr) = listen();
    let written = Arc::new(AtomicUsize::new(0));
    let count = written.clone();
    thread::spawn(move || {
        let (mut client, _) = listener.accept().expect("accept");
        let mut server = TcpStream::connect(to).expect("connect");
        let (mut client_r, mut server_w) =
            (client.try_clone().unwrap(), server.try_clone().unwrap());
        thread::spawn(move || io::copy(&mut server, &mut client));
        let mut buf = [0u8; 16 << 10];
        while let Ok(n) = client_r.read(&mut buf) {
            if n == 0 {
                break;
            }
            // Counted before it is forwarded: the echo cannot come back uncounted.
            count.fetch_add(n, SeqCst);
            if server_w.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = server_w.shutdown(std::net::Shutdown::Write);
    });
    (addr, written)
}

#[test]
fn send_uncompressed_skips_permessage_deflate() {
    each_runtime("send_uncompressed", |rt| {
        let echo = serve_echo(rt, ServerOptions::default(), |_| Decision::accept());
        let (relay, written) = counting_relay(echo);
        let tcp = TcpStream::connect(relay).unwrap();
        // The opening handshake over a stream the caller opened.
        let mut ws =
            facade::client_handshake(rt, tcp, "ws://example.test/custom", &Options::new()).unwrap();
        assert!(ws.extensions().starts_with("permessage-deflate"), "{rt}");
        let wait_for = |want: usize| {
            // The relay counts what it forwarded: the echo came back, so it is counted.
            written.load(SeqCst) - want
        };
        // 64 KiB that deflate shrinks to a few hundred bytes.
        let message = Message::binary(vec![b'z'; 64 * 1024]);

        let before = written.load(SeqCst);
        ws.send(message.clone()).unwrap();
        assert!(ws.recv().unwrap().unwrap() == message, "{rt}");
        let compressed = wait_for(before);
        assert!(compressed < 4096, "{rt}: send wrote {compressed} bytes");

        let before = written.load(SeqCst);
        ws.send_uncompressed(message.clone()).unwrap();
        assert!(ws.recv().unwrap().unwrap() == message, "{rt}");
        let plain = wait_for(before);
        assert!(
            plain > 64 * 1024,
            "{rt}: send_uncompressed wrote {plain} bytes"
        );
        assert_eq!(ws.buffered_amount(), 0, "{rt}");

        let before = written.load(SeqCst);
        ws.try_send_uncompressed(message.clone()).unwrap();
        assert!(ws.recv().unwrap().unwrap() == message, "{rt}");
        let plain = wait_for(before);
        assert!(
            plain > 64 * 1024,
            "{rt}: try_send_uncompressed wrote {plain}"
        );

        let (mut tx, mut rx) = ws.split();
        let before = written.load(SeqCst);
        tx.send_uncompressed(message.clone()).unwrap();
        tx.try_send_uncompressed(message.clone()).unwrap();
        for _ in 0..2 {
            assert!(rx.recv().unwrap().unwrap() == message, "{rt}");
        }
        let plain = wait_for(before);
        assert!(plain > 2 * 64 * 1024, "{rt}: the halves wrote {plain}");
        assert_eq!(tx.buffered_amount(), 0, "{rt}");
    });
}

#[test]
fn split_halves_work_from_two_threads() {
    each_runtime("split", |rt| {
        let ws = must_connect(rt, &echo_url(rt));
        let (mut tx, mut rx) = ws.split();
        let n = 2000;
        let sender = thread::spawn(move || {
            for i in 0..n {
                tx.send(Message::text(format!("{i}"))).unwrap();
            }
            tx
        });
        let (seen, seen_all) = std::sync::mpsc::channel();
        let receiver = thread::spawn(move || {
            for i in 0..n {
                let m = rx.recv().unwrap().unwrap();
                assert_eq!(m, Message::text(format!("{i}")));
            }
            seen.send(()).unwrap();
            // Receives on while the sender half closes (tokio's and std's `close` wait
            // for the peer's Close, which std's receiver reads).
            let rest = rx.recv();
            (rest.is_none(), rx.close_event())
        });
        let mut tx = sender.join().unwrap();
        seen_all.recv_timeout(Duration::from_secs(30)).unwrap();
        tx.close(Some(1000), "done").unwrap();
        let (ended, close) = receiver.join().unwrap();
        assert!(ended, "{rt}: the receiver's recv ends");
        let close = close.unwrap();
        assert_eq!((close.code, close.was_clean), (1000, true), "{rt}");
    });
}

/// Dropping every handle of an open connection closes it with 1001 (going away), in
/// every runtime: here the server drops its stream, and the client's `recv` ends with
/// a clean 1001.
#[test]
fn dropping_the_stream_closes_with_1001() {
    each_runtime("dropping the stream", |rt| {
        let (url, server) = serve_one(rt, |mut ws| {
            let first = ws.recv();
            drop(ws);
            first
        });
        let mut ws = must_connect(rt, &url);
        ws.send(Message::text("hi")).unwrap();
        let end = ws.recv();
        assert!(
            end.is_none(),
            "{rt}: after the server dropped its stream: {end:?}"
        );
        let event = ws.close_event();
        assert!(
            matches!(&event, Some(c) if c.code == 1001 && c.was_clean),
            "{rt}: close event {event:?}"
        );
        let first = server.join().unwrap();
        assert!(
            matches!(&first, Some(Ok(m)) if *m == Message::text("hi")),
            "{rt}: the server received {first:?}"
        );
    });
}

/// A split pair closes with 1001 only when both halves are gone: dropping the sender
/// while another thread is inside the receiver's `recv` changes nothing (a message
/// still arrives there); dropping the receiver then closes with 1001.
#[test]
fn dropping_both_halves_closes_with_1001() {
    each_runtime("dropping both halves", |rt| {
        let (go, sender_gone) = std::sync::mpsc::channel::<()>();
        let (url, server) = serve_one(rt, move |mut ws| {
            sender_gone.recv_timeout(Duration::from_secs(10)).unwrap();
            ws.send(Message::text("after the sender")).unwrap();
            let end = ws.recv();
            (end.is_none(), ws.close_event())
        });
        let ws = must_connect(rt, &url);
        let (tx, mut rx) = ws.split();
        let receiver = thread::spawn(move || {
            let first = rx.recv();
            (first, rx)
        });
        // Let the receiver get into `recv` (not required for the outcome).
        thread::sleep(Duration::from_millis(50));
        drop(tx);
        go.send(()).unwrap();
        let (first, rx) = receiver.join().unwrap();
        assert!(
            matches!(&first, Some(Ok(m)) if *m == Message::text("after the sender")),
            "{rt}: with the sender dropped, the receiver got {first:?}"
        );
        drop(rx);
        let (ended, event) = server.join().unwrap();
        assert!(ended, "{rt}: the server's recv ends");
        assert!(
            matches!(&event, Some(c) if c.code == 1001 && c.was_clean),
            "{rt}: the server's close event {event:?}"
        );
    });
}

/// websock-std: dropping the stream never waits for the peer. The peer here reads our
/// Close 1001 and never answers; the drop still returns at once, and the closing
/// thread gives up after the close timeout (300 ms here) and drops the transport.
#[test]
fn std_dropping_the_stream_returns_at_once_when_the_peer_never_answers() {
    let listener = RawListener::bind();
    let url = listener.url();
    let peer = thread::spawn(move || -> io::Result<(Frame, bool)> {
        let mut p = listener.accept()?;
        let (_, close) = p.read_until_close()?;
        // Never answer; wait (generously) for the client to drop TCP.
        p.tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut buf = [0u8; 1024];
        let ended = loop {
            match p.tcp.read(&mut buf) {
                Ok(0) => break true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => break true,
                Err(_) => break false,
            }
        };
        Ok((close, ended))
    });
    let timeouts = Timeouts {
        close: Some(Duration::from_millis(300)),
        ..Timeouts::default()
    };
    let options = websock_std::ClientOptions::default().timeouts(timeouts);
    let ws = websock_std::connect_with(&url, options).unwrap();
    let started = Instant::now();
    drop(ws);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "the drop took {took:?}");
    let (close, ended) = peer.join().unwrap().unwrap();
    assert_eq!(close.close_code(), Some(1001), "{close:?}");
    assert!(ended, "the closing thread never dropped the transport");
}

#[test]
fn from_upgraded_streams_talk_to_each_other() {
    each_runtime("from_upgraded", |rt| {
        // The upgrade is done elsewhere (no HTTP here): both ends start open.
        let (listener, addr) = listen();
        let server = thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let mut ws = facade::from_upgraded(
                rt,
                tcp,
                Role::Server,
                Some("chat".into()),
                Config::default(),
            )
            .unwrap();
            let state = (ws.protocol(), ws.ready_state());
            while let Some(Ok(m)) = ws.recv() {
                ws.send(m).unwrap();
            }
            (state, ws.close_event())
        });
        let tcp = TcpStream::connect(addr).unwrap();
        let mut ws = facade::from_upgraded(
            rt,
            tcp,
            Role::Client,
            Some("chat".into()),
            Config::default(),
        )
        .unwrap();
        assert_eq!(ws.protocol().as_deref(), Some("chat"), "{rt}");
        assert_eq!(ws.ready_state(), ReadyState::Open, "{rt}");
        ws.send(Message::binary(vec![9u8; 1000])).unwrap();
        assert_eq!(
            ws.recv().unwrap().unwrap(),
            Message::binary(vec![9u8; 1000])
        );
        ws.close(None, "").unwrap();
        assert!(ws.recv().is_none(), "{rt}");
        // No code in the Close frame: reported as 1005, on both sides.
        assert_eq!(ws.close_event().unwrap().code, 1005, "{rt}");
        let ((protocol, state), theirs) = server.join().unwrap();
        assert_eq!(protocol.as_deref(), Some("chat"), "{rt}");
        assert_eq!(state, ReadyState::Open, "{rt}");
        assert_eq!(theirs.unwrap().code, 1005, "{rt}");
    });
}

#[test]
fn bad_urls_are_refused_before_connecting() {
    each_runtime("bad urls", |rt| {
        for url in ["ftp://x", "ws://x/#frag"] {
            let e = connect(rt, url, &Options::new()).err();
            assert!(
                matches!(e, Some(Error::Url(ApiError::Syntax))),
                "{rt}: {url}: {e:?}"
            );
        }
        // The bad-port check is the browser's; `connect` applies it when asked to.
        let checked = Options::new().check_bad_ports(true);
        let e = connect(rt, "ws://127.0.0.1:25/", &checked).err();
        assert!(
            matches!(e, Some(Error::Url(ApiError::Security))),
            "{rt}: {e:?}"
        );
        // And not when told not to: port 1 is tried (and refused).
        let unchecked = Options::new().check_bad_ports(false);
        let e = connect(rt, "ws://127.0.0.1:1/", &unchecked).err();
        assert!(matches!(e, Some(Error::Io(_))), "{rt}: {e:?}");
    });
}

/// How long a closing handshake with a local echo server may take here (a generous
/// bound: it takes milliseconds).
const CLOSE_BOUND: Duration = Duration::from_secs(5);

/// The sender half's `close` drives the closing handshake itself while nobody
/// receives (the async runtimes' driver task reads the peer's Close; std's sender reads
/// it in the receiver's place): it returns the peer's close event, and the idle
/// receiver then gets the message that arrived first, the end and the same event.
#[test]
fn the_sender_half_closes_while_the_receiver_is_idle() {
    each_runtime("sender close, idle receiver", |rt| {
        let ws = must_connect(rt, &echo_url(rt));
        let (mut tx, mut rx) = ws.split();
        tx.send(Message::text("before the close")).unwrap();
        let started = Instant::now();
        let closed = tx.close(Some(1000), "bye");
        let took = started.elapsed();
        let close = closed.unwrap_or_else(|e| panic!("{rt}: close: {e:?}"));
        assert_eq!(
            (close.code, close.was_clean),
            (1000, true),
            "{rt}: {close:?}"
        );
        assert!(took < CLOSE_BOUND, "{rt}: close took {took:?}");
        let first = rx.recv();
        assert!(
            matches!(&first, Some(Ok(m)) if *m == Message::text("before the close")),
            "{rt}: the echo that came before the Close: {first:?}"
        );
        let end = rx.recv();
        assert!(end.is_none(), "{rt}: after the close: {end:?}");
        assert_eq!(rx.close_event(), Some(close), "{rt}");
    });
}

/// The sender half's `close` while the receiver is receiving on another thread: the
/// close returns the peer's close event and the receiver ends with the same.
#[test]
fn the_sender_half_closes_while_the_receiver_receives() {
    each_runtime("sender close, busy receiver", |rt| {
        let ws = must_connect(rt, &echo_url(rt));
        let (mut tx, mut rx) = ws.split();
        let receiver = thread::spawn(move || {
            let mut got = Vec::new();
            while let Some(Ok(m)) = rx.recv() {
                got.push(m);
            }
            (got, rx.close_event())
        });
        tx.send(Message::text("one")).unwrap();
        // Give the receiver time to be inside `recv` (either way the outcome is the
        // same; this is the case under test).
        thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        let close = tx
            .close(Some(1000), "bye")
            .unwrap_or_else(|e| panic!("{rt}: close: {e:?}"));
        assert!(started.elapsed() < CLOSE_BOUND, "{rt}: close took too long");
        assert_eq!(
            (close.code, close.was_clean),
            (1000, true),
            "{rt}: {close:?}"
        );
        let (got, theirs) = receiver.join().unwrap();
        assert_eq!(got, vec![Message::text("one")], "{rt}");
        assert_eq!(theirs, Some(close), "{rt}");
    });
}

/// A receiver that starts receiving while the sender half's `close` may be driving the
/// connection (a race either way): both end as one, with the same clean close.
#[test]
fn the_sender_half_closes_while_the_receiver_starts_receiving() {
    each_runtime("sender close, receiver joining", |rt| {
        for _ in 0..5 {
            let ws = must_connect(rt, &echo_url(rt));
            let (mut tx, mut rx) = ws.split();
            let closing = thread::spawn(move || tx.close(Some(1000), "bye"));
            let end = rx.recv();
            assert!(end.is_none(), "{rt}: {end:?}");
            let close = closing
                .join()
                .unwrap()
                .unwrap_or_else(|e| panic!("{rt}: close: {e:?}"));
            assert_eq!(
                (close.code, close.was_clean),
                (1000, true),
                "{rt}: {close:?}"
            );
            assert_eq!(rx.close_event(), Some(close), "{rt}");
        }
    });
}

/// `role()` on the stream: the client's side and the server's.
/// Split halves are driven whether or not anyone receives (tokio and smol: the
/// driver task; std: the keeper thread): with the receiver idle, the peer's ping is
/// answered. The ping then waits for the receiver (a received event that waits stops
/// reading, in every runtime: that is the backpressure), which gets the end and the
/// close event once the peer closes.
#[test]
fn split_halves_answer_pings_while_nobody_receives() {
    each_runtime("split, nobody receives", |rt| {
        let listener = RawListener::bind();
        let url = listener.url();
        let (ponged, pong_seen) = std::sync::mpsc::channel();
        let (split, was_split) = std::sync::mpsc::channel::<()>();
        let peer = thread::spawn(move || -> io::Result<Frame> {
            let mut p = listener.accept()?;
            // After the handshake's own reads are over.
            let _ = was_split.recv_timeout(Duration::from_secs(10));
            p.send_frame(websock_tests::facade::opcode::PING, b"are you there")?;
            let pong = p.read_frame();
            let _ = ponged.send(pong.as_ref().map(|f| (f.opcode, f.payload.clone())).ok());
            pong?;
            p.send_close(1000)?;
            p.read_frame()
        });
        let ws = must_connect(rt, &url);
        let (tx, mut rx) = ws.split();
        split.send(()).unwrap();
        // Nobody receives until the peer has its pong.
        let pong = pong_seen.recv_timeout(Duration::from_secs(10));
        assert_eq!(
            pong,
            Ok(Some((
                websock_tests::facade::opcode::PONG,
                b"are you there".to_vec()
            ))),
            "{rt}: the pong, with nobody receiving"
        );
        let end = rx.recv();
        assert!(end.is_none(), "{rt}: {end:?}");
        let event = rx.close_event();
        assert_eq!(
            event.map(|e| (e.code, e.was_clean)),
            Some((1000, true)),
            "{rt}"
        );
        let close = peer.join().unwrap();
        assert!(
            matches!(&close, Ok(f) if f.close_code() == Some(1000)),
            "{rt}: {close:?}"
        );
        drop(tx);
    });
}

#[test]
fn the_stream_knows_its_role() {
    each_runtime("role", |rt| {
        let (url, server) = serve_one(rt, |mut ws| {
            let role = ws.role();
            while let Some(Ok(_)) = ws.recv() {}
            role
        });
        let mut ws = must_connect(rt, &url);
        assert_eq!(ws.role(), Role::Client, "{rt}");
        ws.close(Some(1000), "").unwrap();
        assert_eq!(server.join().unwrap(), Role::Server, "{rt}");
    });
}

/// The payload of message `i` of sender `who` in [`two_sender_clones_wait_for_room_and_lose_nothing`]:
/// `who`, `i` (4 bytes), then padding up to `len`.
fn numbered(who: u8, i: u32, len: usize) -> Message {
    let mut payload = vec![who];
    payload.extend_from_slice(&i.to_be_bytes());
    payload.resize(len, who);
    Message::binary(payload)
}

/// The sender half is `Clone` in every runtime, and its clones may send at once: two
/// clones on two threads, a send queue of 16 KiB, no compression, and a peer that reads nothing until
/// both are stuck waiting for room (the sent count stops moving, with far more than
/// the socket buffers hold still to send), then reads everything: every message
/// arrives, each clone's in order, and neither hangs (a waiting clone whose wake-up
/// were lost would). Dropping one clone keeps the connection open (the other still
/// sends); dropping every handle closes it with 1001.
#[test]
fn two_sender_clones_wait_for_room_and_lose_nothing() {
    // 2 × 600 × 8 KiB: more than twice what loopback's socket buffers take.
    const N: u32 = 600;
    const LEN: usize = 8 << 10;
    each_runtime("two sender clones", |rt| {
        let (go, read_now) = std::sync::mpsc::channel::<()>();
        let (url, server) = serve_one(rt, move |mut ws| {
            read_now.recv_timeout(Duration::from_secs(20)).unwrap();
            let mut next = [0u32; 2];
            for _ in 0..2 * N {
                let m = ws.recv().expect("a message").expect("no failure");
                let bytes = m.as_bytes();
                let who = usize::from(bytes[0] - b'a');
                let i = u32::from_be_bytes(bytes[1..5].try_into().unwrap());
                assert_eq!(i, next[who], "sender {who}: out of order");
                assert_eq!(m, numbered(bytes[0], i, LEN));
                next[who] += 1;
            }
            let after = ws.recv();
            let end = ws.recv();
            (next, after, end.is_none(), ws.close_event())
        });
        // Uncompressed, so that the bytes on the wire are the bytes sent.
        let mut options = Options::new().deflate(DeflateConfig {
            enabled: false,
            ..Default::default()
        });
        options.limits.max_send_queue = 16 << 10;
        let ws = connect(rt, &url, &options).unwrap_or_else(|e| panic!("{rt}: connect: {e:?}"));
        let (tx, rx) = ws.split();
        let tx_b = tx.clone_half();
        let sent = Arc::new(AtomicUsize::new(0));
        let (done, finished) = std::sync::mpsc::channel();
        for (who, mut tx) in [(b'a', tx), (b'b', tx_b)] {
            let (done, sent) = (done.clone(), sent.clone());
            thread::spawn(move || {
                let outcome = (0..N).try_for_each(|i| {
                    tx.send(numbered(who, i, LEN))?;
                    sent.fetch_add(1, SeqCst);
                    Ok::<_, Error>(())
                });
                let _ = done.send((who, outcome, tx));
            });
        }
        // Wait until both clones are stuck: no send completes for 300 ms.
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut last = usize::MAX;
        loop {
            let now = sent.load(SeqCst);
            if now == last {
                break;
            }
            last = now;
            assert!(Instant::now() < deadline, "{rt}: the sends never stall");
            thread::sleep(Duration::from_millis(300));
        }
        assert!(
            last < 2 * N as usize && finished.try_recv().is_err(),
            "{rt}: both clones must be left waiting for room ({last} sent)"
        );
        go.send(()).unwrap();
        let mut senders = Vec::new();
        for _ in 0..2 {
            let (who, outcome, tx) = finished
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("{rt}: a sender clone hangs"));
            assert!(outcome.is_ok(), "{rt}: sender {}: {outcome:?}", who as char);
            senders.push(tx);
        }
        // Dropping one clone keeps the connection open: the other still sends.
        let mut last = senders.pop().unwrap();
        drop(senders);
        last.send(Message::text("after")).unwrap();
        last.flush().unwrap();
        assert_eq!(last.send_queue_len(), 0, "{rt}");
        drop(last);
        // The receiver is the last handle: dropping it closes with 1001.
        drop(rx);
        let (next, after, ended, event) = server.join().unwrap();
        assert_eq!(next, [N, N], "{rt}: messages received from each clone");
        assert!(
            matches!(&after, Some(Ok(m)) if *m == Message::text("after")),
            "{rt}: after one clone was dropped, the server received {after:?}"
        );
        assert!(ended, "{rt}: the server's recv ends");
        assert!(
            matches!(&event, Some(c) if c.code == 1001 && c.was_clean),
            "{rt}: the server's close event {event:?}"
        );
    });
}

/// Clones of the sender half send pings, fragments and flushes through `&self`, and one
/// clone's `close` ends the connection for all of them.
#[test]
fn sender_clones_ping_fragment_flush_and_close() {
    each_runtime("sender clones", |rt| {
        let ws = must_connect(rt, &echo_url(rt));
        let (mut tx, mut rx) = ws.split();
        let mut other = tx.clone_half();
        other.ping(Bytes::from_static(b"p")).unwrap();
        tx.send_fragment(MessageKind::Text, Bytes::from_static(b"he"), false)
            .unwrap();
        other
            .send_fragment(MessageKind::Text, Bytes::from_static(b"llo"), true)
            .unwrap();
        other.flush().unwrap();
        let echoed = rx.recv();
        assert!(
            matches!(&echoed, Some(Ok(m)) if *m == Message::text("hello")),
            "{rt}: {echoed:?}"
        );
        let close = tx.close(Some(1000), "bye").unwrap();
        assert_eq!((close.code, close.was_clean), (1000, true), "{rt}");
        assert!(other.send(Message::text("late")).is_err(), "{rt}");
        assert!(rx.recv().is_none(), "{rt}");
    });
}

/// `incoming()`: the received messages as a sequence, by the same name in every
/// runtime (std: an `Iterator`; tokio, smol: a `futures` `Stream`), on the stream and
/// on the receiver half.
#[test]
fn incoming_yields_the_echoed_messages() {
    each_runtime("incoming", |rt| {
        let mut ws = must_connect(rt, &echo_url(rt));
        ws.send(Message::text("one")).unwrap();
        ws.send(Message::binary(vec![2u8; 3])).unwrap();
        let got: Vec<Message> = ws
            .incoming_take(2)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            got,
            [Message::text("one"), Message::binary(vec![2u8; 3])],
            "{rt}"
        );
        let (mut tx, mut rx) = ws.split();
        tx.send(Message::text("three")).unwrap();
        tx.send(Message::text("four")).unwrap();
        let got: Vec<Message> = rx
            .incoming_take(2)
            .into_iter()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, [Message::text("three"), Message::text("four")], "{rt}");
        tx.close(Some(1000), "").unwrap();
        // Once closed, the sequence ends.
        assert!(rx.incoming_take(1).is_empty(), "{rt}");
    });
}

/// The three crates export the same items: `Messages`, a
/// `Clone` sender half, and `tls::connect_tls` beside `tls::accept_tls` (a compile-time
/// check).
#[test]
fn the_crates_export_the_same_items() {
    fn clone<T: Clone>() {}
    clone::<websock_tokio::WebSocketSender>();
    clone::<websock_smol::WebSocketSender>();
    clone::<websock_std::WebSocketSender>();
    let _: Option<websock_tokio::Messages<'static>> = None;
    let _: Option<websock_smol::Messages<'static>> = None;
    let _: Option<websock_std::Messages<'static>> = None;
    let _ = (
        websock_tokio::tls::connect_tls,
        websock_tokio::tls::accept_tls,
    );
    let _ = (
        websock_smol::tls::connect_tls,
        websock_smol::tls::accept_tls,
    );
    let _ = (websock_std::tls::connect_tls, websock_std::tls::accept_tls);
}
