//! The conversation server (`tests/peers/scripts/README.md`), written once per runtime
//! with that runtime's server API: select `superchat` when offered, echo every data
//! message, obey `close:CODE:REASON`, and record each connection ([`ConnRecord`]).
//!
//! [`start`] runs it on 127.0.0.1 (port 0) over `ws://` or `wss://`, on its own thread
//! (a current-thread tokio runtime, a smol `LocalExecutor`, or blocking std threads).
//! Dropping the [`Server`] stops accepting.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use websock_core::handshake::Request;
use websock_core::{CloseEvent, Message};
use websock_tokio::rustls::ServerConfig;

use crate::script::parse_close_command;
use crate::tls::TestCert;
use crate::{Runtime, Scheme};

/// The longest a TLS handshake may take on the server.
const TLS_TIMEOUT: Duration = Duration::from_secs(10);

/// What the server saw on one connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnRecord {
    /// The request's path.
    pub path: String,
    /// The subprotocols the client offered.
    pub offered: Vec<String>,
    /// The subprotocol agreed.
    pub protocol: Option<String>,
    /// The negotiated extensions (`Sec-WebSocket-Extensions` text).
    pub extensions: String,
    /// How many data messages arrived (commands included).
    pub messages: usize,
    /// The payloads of the pings received.
    pub pings: Vec<Bytes>,
    /// The `close:CODE:REASON` command obeyed, if any (the server closed first).
    pub server_closed: Option<(u16, String)>,
    /// The first error (handshake, TLS, send, receive), if any.
    pub error: Option<String>,
    /// The close event on the server's side: the client's code and reason if it closed
    /// first, its echo otherwise.
    pub close: Option<CloseEvent>,
}

impl ConnRecord {
    /// Whether permessage-deflate was agreed.
    pub fn deflate(&self) -> bool {
        self.extensions.contains("permessage-deflate")
    }

    /// Whether the client started a clean close with `code` and `reason`.
    pub fn client_closed_with(&self, code: u16, reason: &str) -> bool {
        self.server_closed.is_none()
            && self
                .close
                .as_ref()
                .is_some_and(|c| c.code == code && c.reason == reason && c.was_clean)
    }

    fn note_error(&mut self, what: &str, e: impl std::fmt::Display) {
        if self.error.is_none() {
            self.error = Some(format!("{what}: {e}"));
        }
    }

    /// Records the request and decides: `superchat` when offered.
    fn decide(&mut self, request: &Request) -> Option<&'static str> {
        self.path = request.path.clone();
        self.offered = request.protocols();
        self.offered
            .iter()
            .any(|p| p == "superchat")
            .then_some("superchat")
    }
}

/// The records of finished connections, and a way to wait for them.
#[derive(Debug, Default)]
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

/// A running conversation server; stops accepting when dropped.
pub struct Server {
    /// The runtime serving.
    pub runtime: Runtime,
    /// `ws` or `wss`.
    pub scheme: Scheme,
    /// The listening address (127.0.0.1).
    pub addr: SocketAddr,
    log: Arc<Log>,
    stop: Option<Box<dyn FnOnce() + Send>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("runtime", &self.runtime)
            .field("scheme", &self.scheme)
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// The URL of `path` on this server ([`Scheme::url`]).
    pub fn url(&self, path: &str) -> String {
        self.scheme.url(self.addr.port(), path)
    }

    /// The records of the connections finished so far.
    pub fn records(&self) -> Vec<ConnRecord> {
        self.log
            .records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until `n` connections have finished, and returns their records; panics
    /// (with what was recorded) after `timeout`.
    pub fn wait_records(&self, n: usize, timeout: Duration) -> Vec<ConnRecord> {
        let deadline = Instant::now() + timeout;
        let mut records = self.log.records.lock().unwrap_or_else(|e| e.into_inner());
        while records.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                panic!(
                    "{} {} server: {} of {n} connections recorded after {timeout:?}: {:#?}",
                    self.runtime,
                    self.scheme,
                    records.len(),
                    *records
                );
            }
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

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            stop();
        }
        // The accept loop ends at once; wait a little for it, never forever.
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

/// Starts `runtime`'s conversation server over `scheme` (TLS with [`TestCert`]'s
/// certificate, configured with `runtime`'s own `tls::server_config`).
pub fn start(runtime: Runtime, scheme: Scheme) -> Server {
    let tls = scheme
        .is_tls()
        .then(|| TestCert::get().server_config(runtime));
    let log = Arc::new(Log::default());
    let (addr, stop, thread) = match runtime {
        Runtime::Tokio => tokio_server::start(tls, log.clone()),
        Runtime::Smol => smol_server::start(tls, log.clone()),
        Runtime::Std => std_server::start(tls, log.clone()),
    };
    Server {
        runtime,
        scheme,
        addr,
        log,
        stop: Some(stop),
        thread: Some(thread),
    }
}

type Started = (SocketAddr, Box<dyn FnOnce() + Send>, JoinHandle<()>);

fn receive_addr(rx: mpsc::Receiver<SocketAddr>, runtime: Runtime) -> SocketAddr {
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{runtime} server did not start listening: {e}"))
}

/// The conversation of the async servers after the handshake: websock-tokio's and
/// websock-smol's streams are both websock-core's async handles.
mod async_conversation {
    use super::*;
    use websock_core::handle::WebSocketStream;
    use websock_core::session::Incoming;

    /// Echoes and obeys commands on an accepted `ws` until it is closed, into `rec`.
    pub(super) async fn converse<S>(mut ws: WebSocketStream<S>, mut rec: ConnRecord) -> ConnRecord {
        rec.protocol = ws.protocol().map(str::to_owned);
        rec.extensions = ws.extensions().to_owned();
        while let Some(incoming) = ws.recv_incoming().await {
            match incoming {
                Ok(Incoming::Message(message)) => {
                    rec.messages += 1;
                    if let Some((code, reason)) = command(&message) {
                        rec.server_closed = Some((code, reason.clone()));
                        match ws.close(Some(code), &reason).await {
                            Ok(event) => rec.close = Some(event),
                            Err(e) => rec.note_error("close", e),
                        }
                        break;
                    }
                    if let Err(e) = ws.send(message).await {
                        rec.note_error("send", e);
                    }
                }
                Ok(Incoming::Ping(payload)) => rec.pings.push(payload),
                Ok(Incoming::Pong(_)) => {}
                Err(e) => rec.note_error("recv", e),
            }
        }
        if rec.close.is_none() {
            rec.close = ws.close_event();
        }
        rec
    }
}

mod tokio_server {
    use super::*;
    use tokio::io::{AsyncRead, AsyncWrite};
    use websock_tokio::{accept_with, Decision, ServerOptions};

    pub(super) fn start(tls: Option<Arc<ServerConfig>>, log: Arc<Log>) -> Started {
        let (addr_tx, addr_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("tokio-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime");
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind");
                    let _ = addr_tx.send(listener.local_addr().expect("local addr"));
                    tokio::pin!(stop_rx);
                    loop {
                        let tcp = tokio::select! {
                            _ = &mut stop_rx => break,
                            accepted = listener.accept() => match accepted {
                                Ok((tcp, _)) => tcp,
                                Err(_) => continue,
                            },
                        };
                        let (tls, log) = (tls.clone(), log.clone());
                        tokio::spawn(async move {
                            let Some(tls) = tls else {
                                return log.push(serve(tcp).await);
                            };
                            let secured = tokio::time::timeout(
                                TLS_TIMEOUT,
                                websock_tokio::tls::accept_tls(tcp, tls),
                            )
                            .await;
                            match secured {
                                Ok(Ok(stream)) => log.push(serve(stream).await),
                                Ok(Err(e)) => log.push(failed("TLS accept", e)),
                                Err(e) => log.push(failed("TLS accept", e)),
                            }
                        });
                    }
                });
            })
            .expect("spawn the server thread");
        let addr = receive_addr(addr_rx, Runtime::Tokio);
        let stop = Box::new(move || {
            let _ = stop_tx.send(());
        });
        (addr, stop, thread)
    }

    async fn serve<S>(stream: S) -> ConnRecord
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let mut rec = ConnRecord::default();
        let accepted = accept_with(stream, ServerOptions::new(), |request| {
            match rec.decide(request) {
                Some(p) => Decision::accept_protocol(p),
                None => Decision::accept(),
            }
        })
        .await;
        let ws = match accepted {
            Ok(ws) => ws,
            Err(e) => {
                rec.note_error("accept", e);
                return rec;
            }
        };
        async_conversation::converse(ws, rec).await
    }
}

mod smol_server {
    use super::*;
    use futures_io::{AsyncRead, AsyncWrite};
    use futures_lite::future;
    use websock_smol::{accept_with, Decision, ServerOptions};

    pub(super) fn start(tls: Option<Arc<ServerConfig>>, log: Arc<Log>) -> Started {
        let (addr_tx, addr_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = smol::channel::bounded::<()>(1);
        let thread = std::thread::Builder::new()
            .name("smol-server".into())
            .spawn(move || {
                let ex = smol::LocalExecutor::new();
                smol::block_on(ex.run(async {
                    let listener = async_net::TcpListener::bind("127.0.0.1:0")
                        .await
                        .expect("bind");
                    let _ = addr_tx.send(listener.local_addr().expect("local addr"));
                    loop {
                        let accepted = future::or(async { Some(listener.accept().await) }, async {
                            let _ = stop_rx.recv().await;
                            None
                        })
                        .await;
                        let tcp = match accepted {
                            None => break,
                            Some(Ok((tcp, _))) => tcp,
                            Some(Err(_)) => continue,
                        };
                        let (tls, log) = (tls.clone(), log.clone());
                        ex.spawn(async move {
                            let Some(tls) = tls else {
                                return log.push(serve(tcp).await);
                            };
                            let secured = future::or(
                                async { Some(websock_smol::tls::accept_tls(tcp, tls).await) },
                                async {
                                    async_io::Timer::after(TLS_TIMEOUT).await;
                                    None
                                },
                            )
                            .await;
                            match secured {
                                Some(Ok(stream)) => log.push(serve(stream).await),
                                Some(Err(e)) => log.push(failed("TLS accept", e)),
                                None => log.push(failed("TLS accept", "timed out")),
                            }
                        })
                        .detach();
                    }
                }));
            })
            .expect("spawn the server thread");
        let addr = receive_addr(addr_rx, Runtime::Smol);
        let stop = Box::new(move || drop(stop_tx));
        (addr, stop, thread)
    }

    async fn serve<S>(stream: S) -> ConnRecord
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let mut rec = ConnRecord::default();
        let accepted = accept_with(stream, ServerOptions::new(), |request| {
            match rec.decide(request) {
                Some(p) => Decision::accept_protocol(p),
                None => Decision::accept(),
            }
        })
        .await;
        let ws = match accepted {
            Ok(ws) => ws,
            Err(e) => {
                rec.note_error("accept", e);
                return rec;
            }
        };
        async_conversation::converse(ws, rec).await
    }
}

mod std_server {
    use super::*;
    use websock_std::{accept_with, Decision, Incoming, ServerOptions, Transport};

    pub(super) fn start(tls: Option<Arc<ServerConfig>>, log: Arc<Log>) -> Started {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let stopping = Arc::new(AtomicBool::new(false));
        let flag = stopping.clone();
        let thread = std::thread::Builder::new()
            .name("std-server".into())
            .spawn(move || {
                for tcp in listener.incoming() {
                    if flag.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(tcp) = tcp else { continue };
                    let (tls, log) = (tls.clone(), log.clone());
                    std::thread::spawn(move || {
                        let Some(tls) = tls else {
                            return log.push(serve(tcp));
                        };
                        // The TLS handshake, under its own deadline (10 s).
                        match websock_std::tls::accept_tls(tcp, tls) {
                            Ok(stream) => log.push(serve(stream)),
                            Err(e) => log.push(failed("TLS accept", e)),
                        }
                    });
                }
            })
            .expect("spawn the server thread");
        let stop = Box::new(move || {
            stopping.store(true, Ordering::SeqCst);
            // Wake the blocking accept.
            let _ = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5));
        });
        (addr, stop, thread)
    }

    fn serve<S: Transport + Send + 'static>(stream: S) -> ConnRecord {
        let mut rec = ConnRecord::default();
        let accepted = accept_with(stream, ServerOptions::new(), |request| {
            match rec.decide(request) {
                Some(p) => Decision::accept_protocol(p),
                None => Decision::accept(),
            }
        });
        let mut ws = match accepted {
            Ok(ws) => ws,
            Err(e) => {
                rec.note_error("accept", e);
                return rec;
            }
        };
        rec.protocol = ws.protocol().map(str::to_owned);
        rec.extensions = ws.extensions().to_owned();
        while let Some(incoming) = ws.recv_incoming() {
            match incoming {
                Ok(Incoming::Message(message)) => {
                    rec.messages += 1;
                    if let Some((code, reason)) = command(&message) {
                        rec.server_closed = Some((code, reason.clone()));
                        match ws.close(Some(code), &reason) {
                            Ok(event) => rec.close = Some(event),
                            Err(e) => rec.note_error("close", e),
                        }
                        break;
                    }
                    if let Err(e) = ws.send(message) {
                        rec.note_error("send", e);
                    }
                }
                Ok(Incoming::Ping(payload)) => rec.pings.push(payload),
                Ok(Incoming::Pong(_)) => {}
                Err(e) => rec.note_error("recv", e),
            }
        }
        if rec.close.is_none() {
            rec.close = ws.close_event();
        }
        rec
    }
}

/// The `close:CODE:REASON` command in a text message.
fn command(message: &Message) -> Option<(u16, String)> {
    match message {
        Message::Text(text) => parse_close_command(text.as_str()),
        Message::Binary(_) => None,
    }
}

/// The record of a connection that failed before the WebSocket handshake.
fn failed(what: &str, e: impl std::fmt::Display) -> ConnRecord {
    let mut rec = ConnRecord::default();
    rec.note_error(what, e);
    rec
}
