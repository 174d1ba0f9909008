//! Time accounting (issue 10): no peer holds a connection past the deadline that is
//! meant to end it, over plain TCP and over TLS, in every runtime. Each test runs the
//! same body against `websock-tokio`, `websock-smol` and `websock-std` and asserts two
//! things: the wait ended within its deadline plus [`SLACK`] (these are deadline tests,
//! not benchmarks: the slack is generous so that a loaded machine does not fail them),
//! and it ended with the error that names the deadline.
//!
//! The plain-TCP trickled `101` and the write-stall timeout are in `behaviour.rs`; the
//! write-stall timeout over TLS, and the runtimes as `wss://` servers (the client, by
//! hand, stops reading or trickles a record), are here.

use std::io::{self, Read};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use websock_core::{CloseEvent, Error as Deadline, Message, SendError};
use websock_tests::facade::{
    connect_tls, each_runtime, encode_frame, opcode, Conn, Error, Options, RawListener,
};
use websock_tests::tls::TestCert;
use websock_tests::tls_accept::{accept_wss, masked_frame, ServerOptions, TlsClient};
use websock_tests::tls_peer::{self, each_runtime_at_once, TlsPeer};
use websock_tests::{Runtime, Scheme};

/// How much later than its deadline a wait may end.
const SLACK: Duration = Duration::from_millis(1500);

/// The deadline most tests configure.
const DEADLINE: Duration = Duration::from_secs(1);

/// How long to wait for a peer thread's result.
const WAIT: Duration = Duration::from_secs(30);

/// How often a trickling peer sends its next byte.
const TRICKLE: Duration = Duration::from_millis(200);

/// Runs a peer's script on its own thread.
fn peer<T: Send + 'static>(
    script: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> mpsc::Receiver<io::Result<T>> {
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name("time-accounting-peer".into())
        .spawn(move || {
            let _ = tx.send(script());
        })
        .expect("spawn a peer");
    rx
}

/// Waits (bounded) for a peer to end, and fails if its script failed.
fn peer_done<T>(rx: mpsc::Receiver<io::Result<T>>, rt: Runtime) {
    match rx.recv_timeout(WAIT) {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => panic!("{rt}: the peer failed: {e}"),
        Err(e) => panic!("{rt}: the peer did not end: {e}"),
    }
}

/// Asserts that a wait of `took` ended at `deadline` (not before it, less a little for
/// timer granularity, and not later than [`SLACK`] after it).
fn ended_at(rt: Runtime, what: &str, took: Duration, deadline: Duration) {
    assert!(
        took + Duration::from_millis(100) >= deadline,
        "{rt}: {what} ended after {took:?}, before its deadline {deadline:?}"
    );
    assert!(
        took < deadline + SLACK,
        "{rt}: {what} held for {took:?} (deadline {deadline:?} + slack {SLACK:?})"
    );
}

fn is(result: &Result<(), Error>, deadline: Deadline) -> bool {
    matches!(result, Err(Error::Protocol(e)) if *e == deadline)
}

/// A `wss://` URL for the test certificate's name on `listener`'s port.
fn wss_url(listener: &RawListener) -> String {
    Scheme::Wss.url(listener.addr().port(), "/")
}

/// Connects over `wss://` trusting the test certificate.
fn connect_wss(rt: Runtime, url: &str, options: &Options) -> Result<Box<dyn Conn>, Error> {
    connect_tls(rt, url, options, Some(TestCert::get().client_config(rt)))
}

/// An accepted TCP connection whose client (on its own thread) runs `client`.
fn accepted_with_client(
    client: impl FnOnce(TcpStream) + Send + 'static,
) -> (TcpStream, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let client = thread::spawn(move || client(TcpStream::connect(addr).expect("connect")));
    let (tcp, _) = listener.accept().expect("accept");
    (tcp, client)
}

// Server side: the TLS accept. ---------------------------------------------------------

/// A client that sends the start of a ClientHello and then one byte every 200 ms cannot
/// keep `accept_tls_within` past its bound.
#[test]
fn tls_accept_gives_up_on_a_trickling_client_at_its_deadline() {
    each_runtime("tls_accept_trickling_client", |rt| {
        let (tcp, client) = accepted_with_client(|mut tcp| {
            tls_peer::trickle_a_record_head(&mut tcp, TRICKLE);
        });
        let started = Instant::now();
        let result = tls_peer::accept_tls(rt, tcp, Some(DEADLINE));
        let took = started.elapsed();
        assert!(is(&result, Deadline::HandshakeTimeout), "{rt}: {result:?}");
        ended_at(rt, "accept_tls_within", took, DEADLINE);
        client.join().expect("the trickling client");
    });
}

/// A client that connects and says nothing cannot keep `accept_tls_within` past its
/// bound.
#[test]
fn tls_accept_gives_up_on_a_silent_client_at_its_deadline() {
    each_runtime("tls_accept_silent_client", |rt| {
        let (hang_up, hold) = mpsc::channel::<()>();
        let (tcp, client) = accepted_with_client(move |_tcp| {
            let _ = hold.recv_timeout(WAIT);
        });
        let started = Instant::now();
        let result = tls_peer::accept_tls(rt, tcp, Some(DEADLINE));
        let took = started.elapsed();
        assert!(is(&result, Deadline::HandshakeTimeout), "{rt}: {result:?}");
        ended_at(rt, "accept_tls_within", took, DEADLINE);
        drop(hang_up);
        client.join().expect("the silent client");
    });
}

/// `accept_tls` (no bound given) ends a trickling client at
/// `websock_core::tls::ACCEPT_TIMEOUT` (10 s). The three runtimes run at once.
#[test]
fn tls_accept_gives_up_on_a_trickling_client_at_the_default_accept_timeout() {
    let deadline = websock_core::tls::ACCEPT_TIMEOUT;
    each_runtime_at_once("tls_accept_default_deadline", WAIT, move |rt| {
        let (tcp, client) = accepted_with_client(|mut tcp| {
            tls_peer::trickle_a_record_head(&mut tcp, TRICKLE);
        });
        let started = Instant::now();
        let result = tls_peer::accept_tls(rt, tcp, None);
        let took = started.elapsed();
        assert!(is(&result, Deadline::HandshakeTimeout), "{rt}: {result:?}");
        ended_at(rt, "accept_tls", took, deadline);
        client.join().expect("the trickling client");
    });
}

// Client side: the TLS handshake and the upgrade over TLS. ------------------------------

/// A server that answers the ClientHello with the start of a record and then one byte
/// every 200 ms cannot stretch the client's handshake deadline (which covers TCP, TLS
/// and the upgrade).
#[test]
fn a_trickling_tls_server_cannot_stretch_the_client_handshake_deadline() {
    each_runtime("trickling_tls_server", |rt| {
        let raw = RawListener::bind();
        let url = wss_url(&raw);
        let server = peer(move || {
            let mut tcp = raw.accept_tcp()?;
            let mut hello = [0u8; 4096];
            let _ = tcp.read(&mut hello)?;
            tls_peer::trickle_a_record_head(&mut tcp, TRICKLE);
            Ok(())
        });
        let mut options = Options::default();
        options.timeouts.handshake = Some(DEADLINE);
        let started = Instant::now();
        let result = connect_wss(rt, &url, &options).map(drop);
        let took = started.elapsed();
        assert!(is(&result, Deadline::HandshakeTimeout), "{rt}: {result:?}");
        ended_at(rt, "connect", took, DEADLINE);
        peer_done(server, rt);
    });
}

/// A server that accepts the TCP connection and never answers the ClientHello.
#[test]
fn a_silent_tls_server_cannot_stretch_the_client_handshake_deadline() {
    each_runtime("silent_tls_server", |rt| {
        let raw = RawListener::bind();
        let url = wss_url(&raw);
        let (hang_up, hold) = mpsc::channel::<()>();
        let server = peer(move || {
            let _tcp = raw.accept_tcp()?;
            let _ = hold.recv_timeout(WAIT);
            Ok(())
        });
        let mut options = Options::default();
        options.timeouts.handshake = Some(DEADLINE);
        let started = Instant::now();
        let result = connect_wss(rt, &url, &options).map(drop);
        let took = started.elapsed();
        assert!(is(&result, Deadline::HandshakeTimeout), "{rt}: {result:?}");
        ended_at(rt, "connect", took, DEADLINE);
        drop(hang_up);
        peer_done(server, rt);
    });
}

/// The TLS handshake completes, then the `101` comes one byte per TLS record every
/// 100 ms: every record is whole and valid, and still the upgrade ends at the deadline.
#[test]
fn a_101_trickled_in_tls_records_ends_at_the_handshake_deadline() {
    each_runtime("trickled_101_over_tls", |rt| {
        let raw = RawListener::bind();
        let url = wss_url(&raw);
        let server = peer(move || {
            let mut peer = TlsPeer::accept_tls(&raw)?;
            let response = peer.upgrade_response()?;
            let started = Instant::now();
            for byte in response.bytes() {
                if started.elapsed() > tls_peer::TRICKLE_LIMIT || peer.write(&[byte]).is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(100));
            }
            Ok(())
        });
        let mut options = Options::default();
        options.timeouts.handshake = Some(DEADLINE);
        let started = Instant::now();
        let result = connect_wss(rt, &url, &options).map(drop);
        let took = started.elapsed();
        assert!(is(&result, Deadline::HandshakeTimeout), "{rt}: {result:?}");
        ended_at(rt, "connect", took, DEADLINE);
        peer_done(server, rt);
    });
}

// After the handshake. ------------------------------------------------------------------

/// Queues messages until the send queue is full and stays full: the socket buffers
/// (ours and the peer's) hold all they will take. Returns the longest `try_send` (it
/// never waits for room, and writes for one short slice at most); stops at the first
/// one that held for [`SLACK`] or more.
fn fill(rt: Runtime, ws: &mut dyn Conn) -> Duration {
    let chunk = Message::binary(vec![7u8; 256 << 10]);
    let started = Instant::now();
    let (mut full_in_a_row, mut longest) = (0, Duration::ZERO);
    while full_in_a_row < 3 && longest < SLACK {
        let call = Instant::now();
        let queued = ws.try_send(chunk.clone());
        longest = longest.max(call.elapsed());
        match queued {
            Ok(()) => full_in_a_row = 0,
            Err(Error::Send(SendError::Full)) => {
                full_in_a_row += 1;
                thread::sleep(Duration::from_millis(100));
            }
            Err(e) => panic!("{rt}: try_send: {e:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{rt}: the send queue never filled"
        );
    }
    longest
}

/// The peer stops reading while data is queued, then we close: `try_send` never waits
/// for the peer, and `close()` returns once the close timeout (1 s) passed, not when
/// the peer lets the data through. The write-stall timeout is off, so only the close
/// timeout can end it.
fn close_while_the_peer_stops_reading(rt: Runtime, scheme: Scheme) {
    let raw = RawListener::bind();
    let url = match scheme {
        Scheme::Ws => raw.url(),
        Scheme::Wss => wss_url(&raw),
    };
    let (hang_up, hold) = mpsc::channel::<()>();
    let server = peer(move || {
        // The upgrade, then nothing is read until the test is done.
        let upgraded: Box<dyn std::any::Any + Send> = match scheme {
            Scheme::Ws => Box::new(raw.accept()?),
            Scheme::Wss => Box::new(TlsPeer::accept(&raw)?),
        };
        let _ = hold.recv_timeout(WAIT);
        drop(upgraded);
        Ok(())
    });
    let mut options = Options::default();
    options.timeouts.close = Some(DEADLINE);
    options.timeouts.write_stall = None;
    options.limits.max_send_queue = 1 << 20;
    let mut ws = connect_wss(rt, &url, &options)
        .unwrap_or_else(|e| panic!("{rt} over {scheme}: connect: {e:?}"));
    let longest = fill(rt, &mut *ws);
    assert!(
        longest < SLACK,
        "{rt} over {scheme}: a try_send held for {longest:?}"
    );
    let started = Instant::now();
    let closed = ws.close(Some(1000), "bye");
    let took = started.elapsed();
    ended_at(rt, &format!("close() over {scheme}"), took, DEADLINE);
    match closed {
        Ok(event) => assert!(
            !event.was_clean && event.code == 1006,
            "{rt} over {scheme}: {event:?}"
        ),
        Err(e) => assert!(
            matches!(e, Error::Protocol(Deadline::CloseTimeout)),
            "{rt} over {scheme}: close(): {e:?}"
        ),
    }
    drop(hang_up);
    peer_done(server, rt);
}

#[test]
fn close_to_a_peer_that_stops_reading_ends_at_the_close_timeout() {
    each_runtime("close_to_a_peer_that_stops_reading", |rt| {
        close_while_the_peer_stops_reading(rt, Scheme::Ws);
    });
}

/// The same over TLS, where a write must not wait in a socket read (rustls' own
/// `Stream::write` completes pending reads too, which held std's `try_send` for the
/// socket's whole read timeout).
#[test]
fn close_over_tls_to_a_peer_that_stops_reading_ends_at_the_close_timeout() {
    each_runtime("close over TLS", |rt| {
        websock_tests::run_with_timeout("close over TLS", WAIT, move || {
            close_while_the_peer_stops_reading(rt, Scheme::Wss);
        });
    });
}

/// A server frame sealed in one TLS record of about 4 KiB: trickled a byte at a time,
/// it never completes.
fn long_record(peer: &mut TlsPeer) -> io::Result<Vec<u8>> {
    peer.seal(&encode_frame(opcode::TEXT, &[b'a'; 4000]))
}

/// After the handshake the server trickles a TLS record one byte every 200 ms and never
/// answers our Close: `close()` still returns at the close timeout (a read waiting for
/// the rest of the record must not hold it).
#[test]
fn a_trickled_tls_record_does_not_hold_close_past_the_close_timeout() {
    each_runtime("trickled_record_close", |rt| {
        let raw = RawListener::bind();
        let url = wss_url(&raw);
        let server = peer(move || {
            let mut peer = TlsPeer::accept(&raw)?;
            let record = long_record(&mut peer)?;
            tls_peer::trickle(&mut peer.tcp, record, TRICKLE);
            Ok(())
        });
        let mut options = Options::default();
        options.timeouts.close = Some(DEADLINE);
        let mut ws =
            connect_wss(rt, &url, &options).unwrap_or_else(|e| panic!("{rt}: connect: {e:?}"));
        // Let a few bytes of the record arrive first.
        thread::sleep(Duration::from_millis(500));
        let started = Instant::now();
        let closed = ws.close(Some(1000), "bye");
        let took = started.elapsed();
        ended_at(rt, "close()", took, DEADLINE);
        match closed {
            Ok(event) => assert!(!event.was_clean && event.code == 1006, "{rt}: {event:?}"),
            Err(e) => assert!(
                matches!(e, Error::Protocol(Deadline::CloseTimeout)),
                "{rt}: close(): {e:?}"
            ),
        }
        drop(ws);
        peer_done(server, rt);
    });
}

/// After the handshake the server trickles a TLS record one byte every 200 ms: bytes
/// keep arriving, but no frame does, so the keepalive ping (after 500 ms) goes
/// unanswered and `recv` reports `KeepaliveTimeout` 500 ms later.
#[test]
fn a_trickled_tls_record_does_not_hold_a_read_past_the_keepalive_timeout() {
    each_runtime("trickled_record_keepalive", |rt| {
        let raw = RawListener::bind();
        let url = wss_url(&raw);
        let server = peer(move || {
            let mut peer = TlsPeer::accept(&raw)?;
            let record = long_record(&mut peer)?;
            tls_peer::trickle(&mut peer.tcp, record, TRICKLE);
            Ok(())
        });
        let interval = Duration::from_millis(500);
        let mut options = Options::default();
        options.timeouts.keepalive_interval = Some(interval);
        options.timeouts.keepalive_timeout = Duration::from_millis(500);
        let started = Instant::now();
        let mut ws =
            connect_wss(rt, &url, &options).unwrap_or_else(|e| panic!("{rt}: connect: {e:?}"));
        let got = ws.recv();
        let took = started.elapsed();
        assert!(
            matches!(got, Some(Err(Error::Protocol(Deadline::KeepaliveTimeout)))),
            "{rt}: recv(): {got:?}"
        );
        ended_at(
            rt,
            "recv()",
            took,
            interval + options.timeouts.keepalive_timeout,
        );
        drop(ws);
        peer_done(server, rt);
    });
}

/// Split halves over TLS while the server trickles a record: the receiver waits for the
/// rest of it on another thread, and the sender can still send, and close within the
/// close timeout.
#[test]
fn a_trickled_tls_record_does_not_stop_the_sender_half() {
    each_runtime("trickled_record_split", |rt| {
        let raw = RawListener::bind();
        let url = wss_url(&raw);
        let server = peer(move || {
            let mut peer = TlsPeer::accept(&raw)?;
            let record = long_record(&mut peer)?;
            tls_peer::trickle(&mut peer.tcp, record, TRICKLE);
            Ok(())
        });
        let mut options = Options::default();
        options.timeouts.close = Some(DEADLINE);
        let ws = connect_wss(rt, &url, &options).unwrap_or_else(|e| panic!("{rt}: connect: {e:?}"));
        let (mut tx, mut rx) = ws.split();
        let receiver = thread::spawn(move || while let Some(Ok(_)) = rx.recv() {});
        thread::sleep(Duration::from_millis(500));
        let started = Instant::now();
        let sent = tx.send(Message::text("still here"));
        let took = started.elapsed();
        assert!(sent.is_ok(), "{rt}: send: {sent:?}");
        assert!(took < SLACK, "{rt}: send() held for {took:?}");
        let started = Instant::now();
        let closed = tx.close(Some(1000), "bye");
        let took = started.elapsed();
        assert!(
            took < DEADLINE + SLACK,
            "{rt}: close() held for {took:?} ({closed:?})"
        );
        let started = Instant::now();
        receiver.join().expect("the receiver");
        assert!(
            started.elapsed() < DEADLINE + SLACK,
            "{rt}: the receiver went on for {:?} after close()",
            started.elapsed()
        );
        drop(tx);
        peer_done(server, rt);
    });
}

// The write-stall timeout over TLS. ------------------------------------------------------

/// How the application keeps sending to a peer that stopped reading.
#[derive(Debug, Clone, Copy)]
enum Sending {
    /// `send` until one fails (it waits for room in the send queue).
    Send,
    /// `try_send` until the queue stays full (30 `Full` in a row, 10 ms apart), then
    /// `recv` (which drives std's connection) until it reports why the connection ended.
    TrySendThenRecv,
}

/// Over TLS, a server that completes the handshake and the upgrade and then reads
/// nothing: the connection ends with `WriteStalled` once the socket has taken no byte
/// for the write-stall timeout (1 s); the close timeout is far away, so only the
/// write-stall timeout can end it.
///
/// When the socket last took bytes is bounded by the last send that found room in the
/// send queue (it only drains as the socket takes bytes): the end must come within the
/// write-stall timeout (+ slack) after it, and never before the timeout has passed since
/// the first send.
fn write_stall_over_tls(rt: Runtime, sending: Sending) {
    let raw = RawListener::bind();
    let url = wss_url(&raw);
    let (hang_up, hold) = mpsc::channel::<()>();
    let server = peer(move || {
        let _peer = TlsPeer::accept(&raw)?;
        // Holds the connection open, reading nothing, until the test is done.
        let _ = hold.recv_timeout(WAIT);
        Ok(())
    });
    let mut options = Options::default();
    options.timeouts.write_stall = Some(DEADLINE);
    options.timeouts.close = Some(WAIT);
    options.limits.max_send_queue = 256 << 10;
    let mut ws = connect_wss(rt, &url, &options).unwrap_or_else(|e| panic!("{rt}: connect: {e:?}"));
    let chunk = Message::binary(vec![7u8; 64 << 10]);
    let started = Instant::now();
    let (mut sent, mut full_in_a_row, mut last_room) = (0usize, 0, started);
    let failure = loop {
        let queued = match sending {
            Sending::Send => ws.send(chunk.clone()),
            Sending::TrySendThenRecv => ws.try_send(chunk.clone()),
        };
        match queued {
            Ok(()) => {
                sent += 1;
                full_in_a_row = 0;
                last_room = Instant::now();
            }
            Err(Error::Send(SendError::Full)) if matches!(sending, Sending::TrySendThenRecv) => {
                full_in_a_row += 1;
                // Polled often: when room appeared is measured by when we saw it.
                if full_in_a_row == 30 {
                    break None;
                }
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) => break Some(e),
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{rt}: still sending after {sent} messages"
        );
    };
    assert!(sent > 0, "{rt}: the socket buffers take something first");
    let mut why = None;
    while let Some(result) = ws.recv() {
        if let Err(e) = result {
            why = Some(e);
        }
    }
    let ended = last_room.elapsed();
    assert!(
        matches!(why, Some(Error::Protocol(Deadline::WriteStalled))),
        "{rt}: recv(): {why:?} (sending ended with {failure:?})"
    );
    // Not before the deadline counted from the first send (no stall can be older), and
    // not later than the deadline + slack after the queue last had room (std's sends
    // write themselves, so its queue can still take messages while the bytes before
    // them have not moved: the stall may end right after the last room).
    let since_start = started.elapsed();
    assert!(
        since_start + Duration::from_millis(100) >= DEADLINE,
        "{rt}: {sending:?} ended {since_start:?} after the first send, before {DEADLINE:?}"
    );
    assert!(
        ended < DEADLINE + SLACK,
        "{rt}: {sending:?} (ended with {failure:?}) held {ended:?} after the queue last had \
         room (deadline {DEADLINE:?} + slack {SLACK:?})"
    );
    drop(hang_up);
    peer_done(server, rt);
}

/// Over TLS the last bytes wait in the TLS layer, not in the engine: the driver reports
/// them (`Connection::set_transport_backlog`), so the write-stall timer still runs (it
/// stopped once the engine's own queue was empty, which held std's `send` and smol's
/// `recv` until the peer went away).
#[test]
fn sends_over_tls_to_a_peer_that_never_reads_end_at_the_write_stall_timeout() {
    each_runtime("write_stall over TLS (send)", |rt| {
        write_stall_over_tls(rt, Sending::Send);
    });
}

#[test]
fn try_sends_over_tls_to_a_peer_that_never_reads_end_at_the_write_stall_timeout() {
    each_runtime("write_stall over TLS (try_send)", |rt| {
        write_stall_over_tls(rt, Sending::TrySendThenRecv);
    });
}

// The runtime as the server over TLS. --------------------------------------------------

/// `rt`'s server over TLS with `options`, and its client (a [`TlsClient`] that
/// completes TLS and the upgrade, then runs `client` on its own thread).
fn serve_wss(
    rt: Runtime,
    options: ServerOptions,
    client: impl FnOnce(TlsClient) -> io::Result<()> + Send + 'static,
) -> (Box<dyn Conn>, mpsc::Receiver<io::Result<()>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let client = peer(move || client(TlsClient::connect(addr)?));
    let (tcp, _) = listener.accept().expect("accept");
    let ws = accept_wss(rt, tcp, options).unwrap_or_else(|e| panic!("{rt}: accept: {e:?}"));
    (ws, client)
}

/// `close()`'s outcome once its close timeout passed: an unclean close event, or the
/// `CloseTimeout` error.
fn closed_at_the_close_timeout(rt: Runtime, closed: Result<CloseEvent, Error>) {
    match closed {
        Ok(event) => assert!(!event.was_clean && event.code == 1006, "{rt}: {event:?}"),
        Err(e) => assert!(
            matches!(e, Error::Protocol(Deadline::CloseTimeout)),
            "{rt}: close(): {e:?}"
        ),
    }
}

/// The client stops reading while the server has data queued, then the server closes:
/// `close()` returns once the close timeout (1 s) passed.
#[test]
fn server_close_over_tls_to_a_client_that_stops_reading_ends_at_the_close_timeout() {
    each_runtime("server close over TLS, client not reading", |rt| {
        let (hang_up, hold) = mpsc::channel::<()>();
        let mut options = ServerOptions::new();
        options.timeouts.close = Some(DEADLINE);
        options.timeouts.write_stall = None;
        options.limits.max_send_queue = 1 << 20;
        let (mut ws, client) = serve_wss(rt, options, move |client| {
            // Nothing is read until the test is done.
            let _ = hold.recv_timeout(WAIT);
            drop(client);
            Ok(())
        });
        let longest = fill(rt, &mut *ws);
        assert!(longest < SLACK, "{rt}: a try_send held for {longest:?}");
        let started = Instant::now();
        let closed = ws.close(Some(1000), "bye");
        let took = started.elapsed();
        ended_at(rt, "server close()", took, DEADLINE);
        closed_at_the_close_timeout(rt, closed);
        drop(hang_up);
        drop(ws);
        peer_done(client, rt);
    });
}

/// A client frame sealed in one TLS record of about 4 KiB, trickled to the server one
/// byte every 200 ms: it never completes.
fn trickle_a_long_record(mut client: TlsClient) -> io::Result<()> {
    let record = client.seal(&masked_frame(opcode::TEXT, &[b'a'; 4000]))?;
    tls_peer::trickle(&mut client.tcp, record, TRICKLE);
    Ok(())
}

/// The client trickles a TLS record one byte every 200 ms and never answers the
/// server's Close: the server's `close()` still returns at the close timeout.
#[test]
fn a_trickled_tls_record_does_not_hold_server_close_past_the_close_timeout() {
    each_runtime("server close, trickled record", |rt| {
        let mut options = ServerOptions::new();
        options.timeouts.close = Some(DEADLINE);
        let (mut ws, client) = serve_wss(rt, options, trickle_a_long_record);
        // Let a few bytes of the record arrive first.
        thread::sleep(Duration::from_millis(500));
        let started = Instant::now();
        let closed = ws.close(Some(1000), "bye");
        let took = started.elapsed();
        ended_at(rt, "server close()", took, DEADLINE);
        closed_at_the_close_timeout(rt, closed);
        drop(ws);
        peer_done(client, rt);
    });
}

/// The client trickles a TLS record one byte every 200 ms: bytes keep arriving at the
/// server, but no frame does, so its keepalive ping (after 500 ms) goes unanswered and
/// `recv` reports `KeepaliveTimeout` 500 ms later.
#[test]
fn a_trickled_tls_record_does_not_hold_a_server_read_past_the_keepalive_timeout() {
    each_runtime("server keepalive, trickled record", |rt| {
        let interval = Duration::from_millis(500);
        let mut options = ServerOptions::new();
        options.timeouts.keepalive_interval = Some(interval);
        options.timeouts.keepalive_timeout = Duration::from_millis(500);
        let deadline = interval + options.timeouts.keepalive_timeout;
        let (mut ws, client) = serve_wss(rt, options, trickle_a_long_record);
        let started = Instant::now();
        let got = ws.recv();
        let took = started.elapsed();
        assert!(
            matches!(got, Some(Err(Error::Protocol(Deadline::KeepaliveTimeout)))),
            "{rt}: recv(): {got:?}"
        );
        ended_at(rt, "server recv()", took, deadline);
        drop(ws);
        peer_done(client, rt);
    });
}
