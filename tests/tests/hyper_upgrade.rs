//! WebSocket servers inside hyper 1, with websock-tokio's `upgrade` module: hyper reads
//! the request and writes the response, websock answers the upgrade and runs the
//! upgraded connection with exactly what the `101` agreed.
//!
//! The server ([`HyperServer`]) is the conversation server of
//! `tests/peers/scripts/README.md` (select `superchat`, echo, obey `close:CODE:REASON`,
//! record each connection), on hyper's `http1` connection with upgrades; `/forbidden`
//! is rejected with 403. Against it: websock's own tokio client (permessage-deflate
//! agreed and used on the wire, reported by `extensions()` on both sides, 1 MiB echoes;
//! a rejection and bad requests answered with their status), then Python `websockets`,
//! Node `ws` and headless Chromium running their interop conversations (4 MiB and
//! 8 MiB echoes, permessage-deflate agreed).

use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use websock_core::deflate::DeflateConfig;
use websock_tests::interop::{assert_peer_client_conversation, PEER_CLIENT_TIMEOUT};
use websock_tests::peers::{node_command, python_command, run_to_end};
use websock_tests::script::parse_close_command;
use websock_tests::server::ConnRecord;
use websock_tests::{Runtime, SERVER_RECORD_TIMEOUT};
use websock_tokio::upgrade::{upgrade_with, Body, UpgradedWebSocket};
use websock_tokio::{
    connect_with, ClientOptions, Decision, Error, HandshakeError, Incoming as Received, Message,
    Request, ServerOptions,
};

/// The limits of every wait on the client side.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// A `TcpStream` that counts the bytes read from it (what the client put on the wire).
struct Counting {
    tcp: TcpStream,
    read: Arc<AtomicUsize>,
}

impl AsyncRead for Counting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.tcp).poll_read(cx, buf);
        self.read
            .fetch_add(buf.filled().len() - before, Ordering::Relaxed);
        poll
    }
}

impl AsyncWrite for Counting {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}

/// Finished connections' records, and a way to wait for them.
#[derive(Default)]
struct Log {
    records: Mutex<Vec<ConnRecord>>,
    changed: Condvar,
}

impl Log {
    fn push(&self, record: ConnRecord) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
        self.changed.notify_all();
    }
}

/// The conversation server on hyper, on a thread of its own (a current-thread tokio
/// runtime); stops accepting when dropped.
struct HyperServer {
    addr: SocketAddr,
    log: Arc<Log>,
    read: Arc<AtomicUsize>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl HyperServer {
    fn start() -> HyperServer {
        let log = Arc::new(Log::default());
        let read = Arc::new(AtomicUsize::new(0));
        let (addr_tx, addr_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (thread_log, thread_read) = (log.clone(), read.clone());
        let thread = std::thread::Builder::new()
            .name("hyper-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime");
                rt.block_on(serve(addr_tx, stop_rx, thread_log, thread_read));
            })
            .expect("spawn the server thread");
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the hyper server listens");
        HyperServer {
            addr,
            log,
            read,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.addr.port())
    }

    /// Bytes read from the clients so far.
    fn bytes_read(&self) -> usize {
        self.read.load(Ordering::Relaxed)
    }

    /// Waits until `n` connections have finished; panics with what was recorded after
    /// `timeout`.
    fn wait_records(&self, n: usize, timeout: Duration) -> Vec<ConnRecord> {
        let deadline = Instant::now() + timeout;
        let mut records = self.log.records.lock().unwrap_or_else(|e| e.into_inner());
        while records.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "hyper server: {} of {n} connections recorded after {timeout:?}: {:#?}",
                records.len(),
                *records
            );
            records = self
                .log
                .changed
                .wait_timeout(records, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        records.clone()
    }
}

impl Drop for HyperServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let deadline = Instant::now() + Duration::from_secs(5);
            while !thread.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if thread.is_finished() {
                let _ = thread.join();
            }
        }
    }
}

/// The accept loop: each connection served by hyper's `http1` with upgrades.
async fn serve(
    addr_tx: mpsc::Sender<SocketAddr>,
    stop: tokio::sync::oneshot::Receiver<()>,
    log: Arc<Log>,
    read: Arc<AtomicUsize>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let _ = addr_tx.send(listener.local_addr().expect("local addr"));
    tokio::pin!(stop);
    loop {
        let tcp = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(_) => continue,
            },
        };
        let _ = tcp.set_nodelay(true);
        let io = TokioIo::new(Counting {
            tcp,
            read: read.clone(),
        });
        let log = log.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let log = log.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(request, log)) }
            });
            let _ = http1::Builder::new()
                .serve_connection(io, service)
                .with_upgrades()
                .await;
        });
    }
}

/// Options with room for the peers' 8 MiB messages.
fn options() -> ServerOptions {
    let mut options = ServerOptions::new();
    options.limits.max_message_size = 64 << 20;
    options.limits.max_frame_size = 64 << 20;
    options
}

/// Answers one request; the conversation runs in a task of its own after the upgrade.
fn handle(mut request: hyper::Request<Incoming>, log: Arc<Log>) -> hyper::Response<Body> {
    let mut rec = ConnRecord::default();
    let (response, websocket) = upgrade_with(&mut request, options(), |req| decide(req, &mut rec));
    match websocket {
        Ok(websocket) => {
            tokio::spawn(async move {
                match websocket.await {
                    Ok(ws) => log.push(converse(ws, rec).await),
                    Err(e) => {
                        rec.error = Some(format!("upgrade: {e}"));
                        log.push(rec);
                    }
                }
            });
        }
        Err(e) => {
            rec.error = Some(format!("handshake: {e}"));
            log.push(rec);
        }
    }
    response
}

/// Records the request; rejects `/forbidden` with 403; selects `superchat` if offered.
fn decide(request: &Request, rec: &mut ConnRecord) -> Decision {
    rec.path = request.path.clone();
    rec.offered = request.protocols();
    if request.path == "/forbidden" {
        return Decision::Reject {
            status: 403,
            headers: vec![("X-Reason".into(), "forbidden path".into())],
            body: b"go away".to_vec(),
        };
    }
    if rec.offered.iter().any(|p| p == "superchat") {
        Decision::accept_protocol("superchat")
    } else {
        Decision::accept()
    }
}

/// Echoes and obeys `close:CODE:REASON` until the connection closes, into `rec`.
async fn converse(mut ws: UpgradedWebSocket, mut rec: ConnRecord) -> ConnRecord {
    rec.protocol = ws.protocol().map(str::to_owned);
    rec.extensions = ws.extensions().to_owned();
    assert_eq!(
        ws.request().map(|r| r.path.as_str()),
        Some(rec.path.as_str()),
        "the stream keeps the accepted request"
    );
    let note = |rec: &mut ConnRecord, what: &str, e: Error| {
        if rec.error.is_none() {
            rec.error = Some(format!("{what}: {e}"));
        }
    };
    while let Some(incoming) = ws.recv_incoming().await {
        match incoming {
            Ok(Received::Message(message)) => {
                rec.messages += 1;
                let command = match &message {
                    Message::Text(text) => parse_close_command(text.as_str()),
                    Message::Binary(_) => None,
                };
                if let Some((code, reason)) = command {
                    rec.server_closed = Some((code, reason.clone()));
                    match ws.close(Some(code), &reason).await {
                        Ok(event) => rec.close = Some(event),
                        Err(e) => note(&mut rec, "close", e),
                    }
                    break;
                }
                if let Err(e) = ws.send(message).await {
                    note(&mut rec, "send", e);
                }
            }
            Ok(Received::Ping(payload)) => rec.pings.push(payload),
            Ok(Received::Pong(_)) => {}
            Err(e) => note(&mut rec, "recv", e),
        }
    }
    if rec.close.is_none() {
        rec.close = ws.close_event();
    }
    rec
}

// websock's own client ------------------------------------------------------------------

/// Runs `f` on a current-thread tokio runtime, within [`CLIENT_TIMEOUT`].
fn client<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(async {
            tokio::time::timeout(CLIENT_TIMEOUT, f)
                .await
                .expect("the client finished in time")
        })
}

/// 1 MiB of text that compresses well.
fn compressible_text() -> String {
    let mut text = String::with_capacity(1 << 20);
    let mut i = 0u32;
    while text.len() < (1 << 20) {
        text.push_str(&format!("websock over hyper, line {i}\n"));
        i += 1;
    }
    text.truncate(1 << 20);
    text
}

/// 1 MiB of bytes that do not compress (xorshift).
fn random_bytes() -> Vec<u8> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    (0..1 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn websock_client_agrees_on_deflate_and_echoes_1_mib() {
    let server = HyperServer::start();
    let url = server.url("/chat?room=1");
    let before = server.bytes_read();
    let sent_text = client(async {
        let options = ClientOptions::new().protocols(["chat", "superchat"]);
        let mut ws = connect_with(&url, options).await.expect("connect");
        assert_eq!(ws.protocol(), Some("superchat"));
        assert_eq!(ws.extensions(), "permessage-deflate");
        let response = ws.response().expect("the 101");
        assert_eq!(response.status, 101);
        assert_eq!(
            response.header_str("sec-websocket-extensions"),
            Some("permessage-deflate")
        );

        let text = compressible_text();
        ws.send(Message::text(text.as_str()))
            .await
            .expect("send text");
        match ws.recv().await {
            Some(Ok(Message::Text(echo))) => assert!(echo.as_str() == text, "text echo differs"),
            other => panic!("text echo: {other:?}"),
        }
        let sent_text = server.bytes_read() - before;

        let bytes = random_bytes();
        ws.send(Message::Binary(bytes.clone().into()))
            .await
            .expect("send binary");
        match ws.recv().await {
            Some(Ok(Message::Binary(echo))) => assert!(echo == bytes, "binary echo differs"),
            other => panic!("binary echo: {other:?}"),
        }
        let close = ws.close(Some(1000), "done").await.expect("close");
        assert!(close.code == 1000 && close.was_clean, "{close:?}");
        sent_text
    });
    // The 1 MiB text crossed the wire compressed (with the handshake, far below 1 MiB).
    assert!(
        sent_text < (128 << 10),
        "the client sent {sent_text} bytes for 1 MiB of text: not compressed"
    );
    let records = server.wait_records(1, SERVER_RECORD_TIMEOUT);
    let rec = &records[0];
    assert_eq!(rec.error, None, "{rec:#?}");
    assert_eq!(rec.path, "/chat?room=1");
    assert_eq!(rec.offered, ["chat", "superchat"]);
    assert_eq!(rec.protocol.as_deref(), Some("superchat"));
    assert_eq!(
        rec.extensions, "permessage-deflate",
        "the server's extensions()"
    );
    assert_eq!(rec.messages, 2);
    assert!(rec.client_closed_with(1000, "done"), "{rec:#?}");
}

#[test]
fn negotiated_parameters_are_used_as_agreed() {
    let server = HyperServer::start();
    let url = server.url("/");
    client(async {
        let deflate = DeflateConfig {
            server_no_context_takeover: true,
            client_no_context_takeover: true,
            server_max_window_bits: 10,
            client_max_window_bits: 9,
            ..DeflateConfig::default()
        };
        let mut ws = connect_with(&url, ClientOptions::new().deflate(deflate))
            .await
            .expect("connect");
        assert_eq!(
            ws.extensions(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=9"
        );
        let text = compressible_text();
        for _ in 0..2 {
            ws.send(Message::text(text.as_str())).await.expect("send");
            match ws.recv().await {
                Some(Ok(Message::Text(echo))) => assert!(echo.as_str() == text),
                other => panic!("echo: {other:?}"),
            }
        }
        ws.close(Some(1000), "").await.expect("close");
    });
    let records = server.wait_records(1, SERVER_RECORD_TIMEOUT);
    assert_eq!(records[0].error, None, "{:#?}", records[0]);
    assert_eq!(
        records[0].extensions,
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=10; client_max_window_bits=9"
    );
}

#[test]
fn without_an_offer_nothing_is_agreed() {
    let server = HyperServer::start();
    let url = server.url("/");
    client(async {
        let options = ClientOptions::new().deflate(DeflateConfig::disabled());
        let mut ws = connect_with(&url, options).await.expect("connect");
        assert_eq!(ws.extensions(), "");
        let bytes = random_bytes();
        ws.send(Message::Binary(bytes.clone().into()))
            .await
            .expect("send");
        match ws.recv().await {
            Some(Ok(Message::Binary(echo))) => assert!(echo == bytes),
            other => panic!("echo: {other:?}"),
        }
        ws.close(None, "").await.expect("close");
    });
    let records = server.wait_records(1, SERVER_RECORD_TIMEOUT);
    assert_eq!(records[0].extensions, "");
    assert_eq!(records[0].error, None);
}

#[test]
fn a_rejected_upgrade_reaches_the_client_as_its_status() {
    let server = HyperServer::start();
    let url = server.url("/forbidden");
    let result = client(async { connect_with(&url, ClientOptions::new()).await });
    match result {
        Err(Error::Handshake(HandshakeError::UnexpectedStatus(403))) => {}
        other => panic!("expected a 403: {other:?}"),
    }
    let records = server.wait_records(1, SERVER_RECORD_TIMEOUT);
    assert!(
        records[0]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("rejected with status 403")),
        "{records:#?}"
    );

    // On the wire: the status, the application's header and body.
    let response = raw_exchange(
        server.addr,
        "GET /forbidden HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    assert!(
        response.starts_with("HTTP/1.1 403 Forbidden\r\n"),
        "{response}"
    );
    assert!(
        response.contains("x-reason: forbidden path\r\n"),
        "{response}"
    );
    assert!(response.ends_with("\r\n\r\ngo away"), "{response}");
}

#[test]
fn bad_upgrade_requests_get_their_status() {
    let server = HyperServer::start();
    const KEY: &str = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    for (request, status) in [
        // No key.
        (
            "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
                .to_owned(),
            "400 Bad Request",
        ),
        // A key that is not base64 of 16 bytes.
        (
            "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n"
                .to_owned(),
            "400 Bad Request",
        ),
        // Another version.
        (
            format!(
                "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 {KEY}Sec-WebSocket-Version: 8\r\n\r\n"
            ),
            "426 Upgrade Required",
        ),
        // Not an upgrade at all.
        (
            "GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_owned(),
            "426 Upgrade Required",
        ),
    ] {
        let response = raw_exchange(server.addr, &request);
        assert!(
            response.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{request:?} -> {response}"
        );
        if status.starts_with("426") {
            assert!(
                response.contains("sec-websocket-version: 13\r\n"),
                "{response}"
            );
        }
    }
    let records = server.wait_records(4, SERVER_RECORD_TIMEOUT);
    for rec in records {
        assert!(
            rec.error
                .as_deref()
                .is_some_and(|e| e.contains("handshake")),
            "{rec:#?}"
        );
    }
}

/// Sends `request` on a new connection and returns everything the server sent until it
/// closed the connection.
fn raw_exchange(addr: SocketAddr, request: &str) -> String {
    let mut tcp = std::net::TcpStream::connect(addr).expect("connect");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    tcp.write_all(request.as_bytes()).expect("write");
    let mut response = Vec::new();
    let _ = tcp.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

// Third-party clients -------------------------------------------------------------------

/// Runs a peer client (`command` with the server's URL appended) to its end against a
/// fresh hyper server; returns its stdout and the server's records of its
/// `connections` connections, each without error and with permessage-deflate agreed.
fn peer_client(
    name: &str,
    mut command: std::process::Command,
    connections: usize,
) -> (String, Vec<ConnRecord>) {
    let server = HyperServer::start();
    command.arg(server.url("/"));
    let output = run_to_end(name, command, PEER_CLIENT_TIMEOUT);
    output.assert_success(&format!("{name} against the hyper server"));
    let records = server.wait_records(connections, SERVER_RECORD_TIMEOUT);
    for record in &records {
        assert!(record.error.is_none(), "{name}'s connection: {record:#?}");
        assert!(
            record.deflate(),
            "the hyper server did not agree on {name}'s permessage-deflate: {record:#?}"
        );
    }
    (output.stdout, records)
}

#[test]
fn python_client_against_hyper_server() {
    let (stdout, records) = peer_client("py_client.py", python_command("py_client.py"), 2);
    assert!(stdout.contains("py_client: OK"), "{stdout}");
    assert_peer_client_conversation(Runtime::Tokio, "py_client.py", &records);
}

#[test]
fn node_client_against_hyper_server() {
    let (stdout, records) = peer_client("node_client.mjs", node_command("node_client.mjs"), 2);
    assert!(stdout.contains("node_client: OK"), "{stdout}");
    assert_peer_client_conversation(Runtime::Tokio, "node_client.mjs", &records);
}

#[test]
fn chromium_against_hyper_server() {
    let (stdout, records) =
        peer_client("chromium_check.mjs", node_command("chromium_check.mjs"), 2);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON line on stdout:\n{stdout}"));
    let json: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("bad JSON {line:?}: {e}"));
    let failed = json["failed"].as_array().expect("a `failed` array");
    assert!(
        failed.is_empty(),
        "the page's checks failed: {failed:?}\n{line}"
    );
    let result = &json["result"];
    assert_eq!(result["echo"], "Hello Server!", "{line}");
    assert_eq!(result["bigEchoLength"], 8 << 20, "{line}");
    assert_eq!(result["protocol"], "superchat", "{line}");
    assert!(
        result["extensions"]
            .as_str()
            .is_some_and(|e| e.contains("permessage-deflate")),
        "the page's ws.extensions: {line}"
    );
    assert!(
        records.iter().any(|r| r.client_closed_with(4000, "bye")),
        "the page's close (4000, \"bye\"): {records:#?}"
    );
    let served = records
        .iter()
        .find(|r| r.server_closed.is_some())
        .unwrap_or_else(|| panic!("no server-initiated close: {records:#?}"));
    assert_eq!(served.protocol.as_deref(), Some("superchat"), "{served:#?}");
    assert!(
        served
            .close
            .as_ref()
            .is_some_and(|c| c.code == 4001 && c.was_clean),
        "{served:#?}"
    );
}
