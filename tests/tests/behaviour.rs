//! One behaviour suite for the three runtimes: every test runs the same body against
//! `websock-tokio`, `websock-smol` and `websock-std` (through the blocking face of
//! `websock_tests::facade`) and fails naming each runtime that diverged.
//!
//! Peers: the runtimes' own conversation servers where a normal echo server is enough,
//! a hand-written server over `std::net` ([`RawListener`] / [`RawPeer`]) where the peer
//! must misbehave or act at a precise moment.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use websock_core::dom::{BrowserEvent, MessageData, ReadyState};
use websock_core::session::Incoming;
use websock_core::{ApiError, Bytes, HandshakeError, Message, ProtocolError};
use websock_tests::facade::{
    self, browser, connect, each_runtime, opcode, Error, Frame, Options, RawListener,
};
use websock_tests::{Runtime, Scheme};

/// How long to wait for one event, message or peer result.
const WAIT: Duration = Duration::from_secs(10);

/// A `ws://` URL on which nothing listens (connecting is refused).
fn refused_url() -> String {
    format!("ws://{}/", websock_tests::facade::refused_addr())
}

/// Runs a raw peer's script on its own thread.
fn peer<T: Send + 'static>(
    script: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> mpsc::Receiver<io::Result<T>> {
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name("raw-peer".into())
        .spawn(move || {
            let _ = tx.send(script());
        })
        .expect("spawn the raw peer");
    rx
}

/// The raw peer's result, within [`WAIT`].
fn peer_result<T>(rx: mpsc::Receiver<io::Result<T>>, rt: Runtime) -> T {
    match rx.recv_timeout(WAIT) {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => panic!("{rt}: the raw peer failed: {e}"),
        Err(e) => panic!("{rt}: no result from the raw peer: {e}"),
    }
}

fn text(s: &str) -> MessageData {
    MessageData::Text(s.to_owned())
}

/// Connects, or panics naming the runtime.
fn must_connect(rt: Runtime, url: &str) -> Box<dyn facade::Conn> {
    connect(rt, url, &Options::new()).unwrap_or_else(|e| panic!("{rt}: connect {url}: {e:?}"))
}

// 1. ---------------------------------------------------------------------------------

#[test]
fn error_vocabulary() {
    each_runtime("error vocabulary", |rt| {
        let refused = refused_url();

        // A bad scheme: SyntaxError, before any I/O.
        let e = connect(rt, "ftp://127.0.0.1:1/", &Options::new()).err();
        assert!(
            matches!(e, Some(Error::Url(ApiError::Syntax))),
            "{rt}: ftp:// gave {e:?}"
        );

        // A bad subprotocol list: SyntaxError, before any I/O (the URL is refused, so
        // a check made after connecting would show as Io).
        for protocols in [vec!["a b"], vec!["chat", "chat"], vec!["chat", "CHAT"]] {
            let options = Options::new().protocols(protocols.clone());
            let e = connect(rt, &refused, &options).err();
            assert!(
                matches!(e, Some(Error::Url(ApiError::Syntax))),
                "{rt}: protocols {protocols:?} gave {e:?}"
            );
        }

        // Connection refused: the transport's fault.
        let e = connect(rt, &refused, &Options::new()).err();
        assert!(
            matches!(&e, Some(Error::Io(io)) if io.kind() == io::ErrorKind::ConnectionRefused),
            "{rt}: a refused connection gave {e:?}"
        );

        // A server answering 403: the client sees the status it got (core's
        // `HandshakeError::Rejected` is the server side's report of its own refusal).
        let listener = RawListener::bind();
        let url = listener.url();
        let rejecting = peer(move || listener.reject(403));
        let e = connect(rt, &url, &Options::new()).err();
        assert!(
            matches!(
                e,
                Some(Error::Handshake(HandshakeError::UnexpectedStatus(403)))
            ),
            "{rt}: a 403 answer gave {e:?}"
        );
        peer_result(rejecting, rt);

        // A server sending a text frame that is not UTF-8: the failure once, then the
        // end for ever; the peer gets Close 1007; the close event is 1006, not clean.
        let listener = RawListener::bind();
        let url = listener.url();
        let bad = peer(move || {
            let mut p = listener.accept()?;
            p.send_frame(opcode::TEXT, &[0xFF, 0xFE])?;
            let (_, close) = p.read_until_close()?;
            drop(p);
            Ok(close.close_code())
        });
        let mut ws = must_connect(rt, &url);
        let first = ws.recv();
        assert!(
            matches!(
                first,
                Some(Err(Error::Protocol(websock_core::Error::Protocol(
                    ProtocolError::InvalidUtf8
                ))))
            ),
            "{rt}: a text frame with invalid UTF-8 gave {first:?}"
        );
        for i in 0..3 {
            let next = ws.recv();
            assert!(
                next.is_none(),
                "{rt}: recv #{i} after the failure: {next:?}"
            );
        }
        let event = ws.close_event();
        assert!(
            matches!(&event, Some(c) if c.code == 1006 && !c.was_clean),
            "{rt}: close event after a protocol failure: {event:?}"
        );
        assert_eq!(peer_result(bad, rt), Some(1007), "{rt}: the Close sent");
    });
}

// 2. ---------------------------------------------------------------------------------

#[test]
fn bad_ports_are_the_browsers_rule_only() {
    each_runtime("bad ports", |rt| {
        let x11: SocketAddr = "127.0.0.1:6000".parse().unwrap();
        assert!(
            TcpStream::connect_timeout(&x11, Duration::from_secs(1)).is_err(),
            "{rt}: something listens on 127.0.0.1:6000; this test needs it free"
        );
        let url = "ws://127.0.0.1:6000/";

        // The idiomatic connect does not apply the browser's bad-port list.
        let e = connect(rt, url, &Options::new()).err();
        assert!(
            matches!(&e, Some(Error::Io(io)) if io.kind() == io::ErrorKind::ConnectionRefused),
            "{rt}: connect to port 6000 gave {e:?} (expected Io(ConnectionRefused))"
        );

        // The browser's constructor does.
        let e = browser(rt, url, &[]).err();
        assert_eq!(
            e,
            Some(ApiError::Security),
            "{rt}: WebSocket::new port 6000"
        );

        // And connect does when asked to.
        let e = connect(rt, url, &Options::new().check_bad_ports(true)).err();
        assert!(
            matches!(e, Some(Error::Url(ApiError::Security))),
            "{rt}: connect with check_bad_ports(true) to port 6000 gave {e:?}"
        );
    });
}

// 3. ---------------------------------------------------------------------------------

/// The sender half closes (from another thread: tokio's and std's `close` wait for the
/// closing handshake, which std's receiver drives by receiving); the raw peer answers
/// our Close with two text messages, then its Close (1000), then closes TCP and waits
/// for our end of stream. The receiver must see both messages, then the end, and a
/// clean 1000. Returns the receiver (still held) and the peer's outcome: our Close's
/// code, and whether we closed TCP in time.
#[allow(clippy::type_complexity)]
fn close_from_the_sender_half(
    rt: Runtime,
) -> (
    Box<dyn facade::RecvHalf>,
    mpsc::Receiver<io::Result<(Option<u16>, io::Result<()>)>>,
) {
    let listener = RawListener::bind();
    let url = listener.url();
    let script = peer(move || {
        let mut p = listener.accept()?;
        let (_, close) = p.read_until_close()?;
        p.send_text("late-1")?;
        p.send_text("late-2")?;
        p.send_close(1000)?;
        Ok((close.close_code(), p.finish()))
    });
    let ws = must_connect(rt, &url);
    let (mut tx, mut rx) = ws.split();
    let (closed_tx, closed_rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = closed_tx.send(tx.close(Some(1000), "bye"));
    });
    for want in ["late-1", "late-2"] {
        let got = rx.recv();
        assert!(
            matches!(&got, Some(Ok(m)) if *m == Message::text(want)),
            "{rt}: expected {want:?} after our Close, got {got:?}"
        );
    }
    let end = rx.recv();
    assert!(end.is_none(), "{rt}: after the peer's Close: {end:?}");
    let event = rx.close_event();
    assert!(
        matches!(&event, Some(c) if c.code == 1000 && c.was_clean),
        "{rt}: close event {event:?}"
    );
    match closed_rx.recv_timeout(WAIT) {
        Ok(Ok(_)) => {}
        other => panic!("{rt}: the sender half's close: {other:?}"),
    }
    (rx, script)
}

#[test]
fn messages_after_our_close_are_received() {
    each_runtime("messages after our Close", |rt| {
        let (rx, script) = close_from_the_sender_half(rt);
        drop(rx);
        let (code, _) = peer_result(script, rt);
        assert_eq!(code, Some(1000), "{rt}: our Close's code");
    });
}

/// Once `recv` has returned `None` after a clean closing handshake (the server closed
/// TCP first), the client closes its TCP side too, even while the application still
/// holds the halves.
// (websock-std's split receiver used to return `None` without shutting its write side
// down, leaving the TCP connection half-open until both halves were dropped.)
#[test]
fn after_the_closing_handshake_the_client_closes_tcp_while_the_halves_are_held() {
    each_runtime("TCP closed after the closing handshake", |rt| {
        let (rx, script) = close_from_the_sender_half(rt);
        let (code, eof) = peer_result(script, rt);
        assert_eq!(code, Some(1000), "{rt}: our Close's code");
        if let Err(e) = eof {
            panic!("{rt}: with the receiver half still held: {e}");
        }
        drop(rx);
    });
}

// 4. ---------------------------------------------------------------------------------

#[test]
fn transport_failure_is_one_error_then_the_end() {
    each_runtime("transport failure", |rt| {
        let listener = RawListener::bind();
        let url = listener.url();
        let (go, gone) = mpsc::channel::<()>();
        let script = peer(move || {
            let p = listener.accept()?;
            // Vanish (FIN, no Close) once the client has seen the 101.
            let _ = gone.recv_timeout(WAIT);
            drop(p);
            Ok(())
        });
        let mut ws = must_connect(rt, &url);
        go.send(()).unwrap();
        let first = ws.recv();
        // Pinned: the end of stream without a Close is the engine's ConnectionLost in
        // every runtime (no transport error exists to report: the stream just ended).
        assert!(
            matches!(
                first,
                Some(Err(Error::Protocol(websock_core::Error::ConnectionLost)))
            ),
            "{rt}: the peer dropping TCP gave {first:?}"
        );
        for i in 0..3 {
            let next = ws.recv();
            assert!(
                next.is_none(),
                "{rt}: recv #{i} after the failure: {next:?}"
            );
        }
        let event = ws.close_event();
        assert!(
            matches!(&event, Some(c) if c.code == 1006 && !c.was_clean),
            "{rt}: close event {event:?}"
        );
        peer_result(script, rt);
    });
}

// 5. ---------------------------------------------------------------------------------

#[test]
fn browser_events_in_order_and_close_rules() {
    each_runtime("browser events and close rules", |rt| {
        let server = rt.start_server(Scheme::Ws);
        let ws = browser(rt, &server.url("/behaviour"), &[])
            .unwrap_or_else(|e| panic!("{rt}: WebSocket::new: {e:?}"));
        assert_eq!(ws.ready_state(), ReadyState::Connecting, "{rt}");
        assert_eq!(ws.next_event(WAIT), Some(BrowserEvent::Open), "{rt}");
        assert_eq!(ws.ready_state(), ReadyState::Open, "{rt}");

        ws.send(text("one")).unwrap();
        ws.send(MessageData::from(vec![1u8, 2, 3])).unwrap();
        ws.send(text("three")).unwrap();
        assert_eq!(
            ws.next_event(WAIT),
            Some(BrowserEvent::Message(text("one"))),
            "{rt}"
        );
        assert_eq!(
            ws.next_event(WAIT),
            Some(BrowserEvent::Message(MessageData::Blob(Bytes::from(vec![
                1u8, 2, 3
            ])))),
            "{rt}"
        );
        assert_eq!(
            ws.next_event(WAIT),
            Some(BrowserEvent::Message(text("three"))),
            "{rt}"
        );

        assert_eq!(
            ws.close(Some(1001), None),
            Err(ApiError::InvalidAccess),
            "{rt}: close(1001)"
        );
        assert_eq!(
            ws.ready_state(),
            ReadyState::Open,
            "{rt}: after a refused close"
        );

        ws.close(Some(1000), Some("done")).unwrap();
        match ws.next_event(WAIT) {
            Some(BrowserEvent::Close(c)) => {
                assert_eq!((c.code, c.was_clean), (1000, true), "{rt}: {c:?}")
            }
            other => panic!("{rt}: expected the close event, got {other:?}"),
        }
        assert_eq!(ws.ready_state(), ReadyState::Closed, "{rt}");
        let after = ws.next_event(Duration::from_millis(200));
        assert_eq!(after, None, "{rt}: an event after the close event");
    });
}

#[test]
fn browser_last_handle_dropped_while_open_closes_with_1001() {
    each_runtime("browser last handle dropped", |rt| {
        let listener = RawListener::bind();
        let url = listener.url();
        let script = peer(move || {
            let mut p = listener.accept()?;
            let (_, close) = p.read_until_close()?;
            if let Some(code) = close.close_code() {
                p.send_close(code)?;
            }
            p.finish()?;
            Ok(close.close_code())
        });
        let ws = browser(rt, &url, &[]).unwrap_or_else(|e| panic!("{rt}: {e:?}"));
        assert_eq!(ws.next_event(WAIT), Some(BrowserEvent::Open), "{rt}");
        drop(ws);
        assert_eq!(
            peer_result(script, rt),
            Some(1001),
            "{rt}: the Close the server saw"
        );
    });
}

#[test]
fn browser_panicking_handler_does_not_stop_later_messages() {
    each_runtime("browser panicking handler", |rt| {
        let server = rt.start_server(Scheme::Ws);
        let ws = browser(rt, &server.url("/behaviour"), &[])
            .unwrap_or_else(|e| panic!("{rt}: WebSocket::new: {e:?}"));
        let (seen_tx, seen) = mpsc::channel();
        ws.on_message(Box::new(move |data| {
            let boom = data == text("boom");
            let _ = seen_tx.send(data);
            if boom {
                panic!("a handler bug (this panic is part of the test)");
            }
        }));
        assert_eq!(ws.next_event(WAIT), Some(BrowserEvent::Open), "{rt}");
        for m in ["boom", "after-1", "after-2"] {
            ws.send(text(m)).unwrap();
        }
        for want in ["boom", "after-1", "after-2"] {
            let got = seen.recv_timeout(WAIT);
            assert_eq!(got, Ok(text(want)), "{rt}: the handler's messages");
        }
        assert_eq!(ws.ready_state(), ReadyState::Open, "{rt}");
        ws.close(Some(1000), None).unwrap();
        match ws.next_event(WAIT) {
            Some(BrowserEvent::Close(c)) => {
                assert_eq!((c.code, c.was_clean), (1000, true), "{rt}: {c:?}")
            }
            other => panic!("{rt}: expected the close event, got {other:?}"),
        }
    });
}

#[test]
fn browser_event_queue_is_bounded() {
    const LIMIT: u64 = 100 << 20;
    each_runtime("browser bounded event queue", |rt| {
        let listener = RawListener::bind();
        let url = listener.url();
        let written = Arc::new(AtomicU64::new(0));
        let stalled_at = Arc::new(AtomicU64::new(u64::MAX));
        let stop = Arc::new(AtomicBool::new(false));
        let (w, s, st) = (written.clone(), stalled_at.clone(), stop.clone());
        // Writes empty text frames as fast as the socket takes them; a write that makes
        // no progress for 200 ms is a stall.
        let flood = peer(move || {
            let mut p = listener.accept()?;
            p.tcp.set_write_timeout(Some(Duration::from_millis(200)))?;
            let frames: Vec<u8> = [0x81u8, 0x00].repeat(32 << 10);
            let deadline = Instant::now() + Duration::from_secs(40);
            let mut total = 0u64;
            while !st.load(Ordering::SeqCst) && Instant::now() < deadline && total < LIMIT {
                let start = (total % 2) as usize;
                match io::Write::write(&mut p.tcp, &frames[start..]) {
                    Ok(n) => {
                        total += n as u64;
                        w.store(total, Ordering::SeqCst);
                    }
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        let _ =
                            s.compare_exchange(u64::MAX, total, Ordering::SeqCst, Ordering::SeqCst);
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(total)
        });
        let ws = browser(rt, &url, &[]).unwrap_or_else(|e| panic!("{rt}: {e:?}"));

        // Nobody reads: the writer must stall, well before 100 MiB.
        let deadline = Instant::now() + Duration::from_secs(5);
        while stalled_at.load(Ordering::SeqCst) == u64::MAX
            && written.load(Ordering::SeqCst) < LIMIT
            && Instant::now() < deadline
        {
            thread::sleep(Duration::from_millis(10));
        }
        let stall = stalled_at.load(Ordering::SeqCst);
        assert!(
            stall != u64::MAX,
            "{rt}: a WebSocket nobody reads took {} bytes of empty frames without stalling",
            written.load(Ordering::SeqCst)
        );
        assert!(stall < LIMIT, "{rt}: stalled only after {stall} bytes");

        // Taking events lets it read on: the writer resumes.
        let at = written.load(Ordering::SeqCst);
        assert_eq!(ws.next_event(WAIT), Some(BrowserEvent::Open), "{rt}");
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut taken = 0u64;
        while written.load(Ordering::SeqCst) < at + (64 << 10) {
            assert!(
                Instant::now() < deadline,
                "{rt}: the writer did not resume ({taken} events taken, {} bytes written, \
                 stalled at {stall})",
                written.load(Ordering::SeqCst)
            );
            match ws.next_event(WAIT) {
                Some(BrowserEvent::Message(MessageData::Text(t))) if t.is_empty() => taken += 1,
                other => panic!("{rt}: event #{taken}: {other:?}"),
            }
        }
        stop.store(true, Ordering::SeqCst);
        let total = peer_result(flood, rt);
        eprintln!(
            "{rt}: the flood stalled after {stall} bytes; resumed after {taken} events \
             were taken; {total} bytes in all"
        );
        drop(ws);
    });
}

// 6. ---------------------------------------------------------------------------------

#[test]
fn a_ping_from_the_peer_is_reported_and_answered() {
    each_runtime("incoming ping", |rt| {
        let listener = RawListener::bind();
        let url = listener.url();
        let script = peer(move || {
            let mut p = listener.accept()?;
            p.send_frame(opcode::PING, b"hi")?;
            p.send_text("after-ping")?;
            let (before, close) = p.read_until_close()?;
            p.send_close(1000)?;
            p.finish()?;
            Ok((before, close.close_code()))
        });
        let mut ws = must_connect(rt, &url);
        let first = ws.recv_incoming();
        assert!(
            matches!(&first, Some(Ok(Incoming::Ping(p))) if p.as_ref() == b"hi"),
            "{rt}: expected Incoming::Ping(\"hi\"), got {first:?}"
        );
        let second = ws.recv_incoming();
        assert!(
            matches!(&second, Some(Ok(Incoming::Message(m))) if *m == Message::text("after-ping")),
            "{rt}: expected the text after the ping, got {second:?}"
        );
        let event = ws.close(Some(1000), "");
        assert!(
            matches!(&event, Ok(c) if c.code == 1000 && c.was_clean),
            "{rt}: close: {event:?}"
        );
        let (frames, code) = peer_result(script, rt);
        assert_eq!(
            frames,
            [Frame {
                fin: true,
                opcode: opcode::PONG,
                payload: b"hi".to_vec()
            }],
            "{rt}: what the peer received before our Close"
        );
        assert_eq!(code, Some(1000), "{rt}");
    });
}

/// Time accounting: a server that trickles its 101 response one byte every 100 ms
/// cannot stretch the client's handshake deadline (1 s here).
#[test]
fn a_trickled_handshake_response_ends_at_the_handshake_deadline() {
    each_runtime("trickled_handshake_response", |rt| {
        let raw = RawListener::bind();
        let url = raw.url();
        let trickler = peer(move || {
            let mut tcp = raw.accept_tcp()?;
            let mut head = [0u8; 1024];
            let _ = io::Read::read(&mut tcp, &mut head)?;
            for byte in b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nX-Slow: "
                .iter()
                .chain([b'a'; 200].iter())
            {
                if io::Write::write_all(&mut tcp, &[*byte]).is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(100));
            }
            Ok(())
        });
        let mut options = Options::default();
        options.timeouts.handshake = Some(Duration::from_secs(1));
        let started = Instant::now();
        let result = connect(rt, &url, &options);
        let took = started.elapsed();
        assert!(
            matches!(
                result,
                Err(Error::Protocol(websock_core::Error::HandshakeTimeout))
            ),
            "{rt}: {:?}",
            result.map(|_| ())
        );
        assert!(
            took < Duration::from_millis(2500),
            "{rt}: held for {took:?}"
        );
        let _ = trickler.recv_timeout(WAIT);
    });
}

/// Time accounting: a server that never reads. Sends end (with an error) once the
/// peer has taken nothing for the write-stall timeout (500 ms here), and the receiver
/// learns why.
#[test]
fn sends_to_a_peer_that_never_reads_end_at_the_write_stall_timeout() {
    each_runtime("write_stall", |rt| {
        let raw = RawListener::bind();
        let url = raw.url();
        let (hang_up, hold) = mpsc::channel::<()>();
        let server = peer(move || {
            let _peer = raw.accept()?;
            // Holds the connection open, reading nothing, until the test is done.
            let _ = hold.recv_timeout(Duration::from_secs(30));
            Ok(())
        });
        let mut options = Options::default();
        options.timeouts.write_stall = Some(Duration::from_millis(500));
        options.limits.max_send_queue = 256 << 10;
        let mut ws = connect(rt, &url, &options).unwrap_or_else(|e| panic!("{rt}: connect: {e:?}"));
        let chunk = Message::binary(vec![7u8; 64 << 10]);
        let started = Instant::now();
        let mut sent = 0usize;
        let failed_after = loop {
            if ws.send(chunk.clone()).is_err() {
                break started.elapsed();
            }
            sent += 1;
            assert!(
                started.elapsed() < Duration::from_secs(8),
                "{rt}: still sending after {sent} messages"
            );
        };
        assert!(sent > 0, "{rt}: the socket buffers take something first");
        assert!(
            failed_after < Duration::from_secs(5),
            "{rt}: sends went on for {failed_after:?}"
        );
        let mut why = None;
        while let Some(result) = ws.recv() {
            if let Err(e) = result {
                why = Some(e);
            }
        }
        assert!(
            matches!(
                why,
                Some(Error::Protocol(websock_core::Error::WriteStalled))
            ),
            "{rt}: {why:?}"
        );
        drop(hang_up);
        let _ = server.recv_timeout(WAIT);
    });
}
