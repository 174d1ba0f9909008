//! The echo server of `echo-server`, as an axum app: a handler takes the request, lets
//! websock answer the upgrade (the `101` with the agreed permessage-deflate), and echoes
//! every text and binary message on the upgraded connection. Runs until killed.
//!
//! ```text
//! cargo run --release -p websock-tokio --example axum-server -- 127.0.0.1:9001 [--tls CERT.pem KEY.pem] [--streaming]
//! ```
//!
//! Prints one line, `listening on ADDR`, once it accepts connections. Every path is
//! served; its limits are those of `echo-server`. A request that is not a WebSocket
//! upgrade is answered with 426 Upgrade Required. `--streaming` echoes every message
//! chunk by chunk, never held whole. `--tls CERT.pem KEY.pem` serves `https`/`wss://`:
//! axum serves a [`Listener`] whose connections come out of a TLS handshake run in a task
//! per connection (bounded by 10 s), so a slow client delays nobody else.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Response};
use axum::serve::{IncomingStream, Listener};
use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use websock_tokio::rustls::ServerConfig;
use websock_tokio::tls::{accept_tls, server_config_from_pem};
use websock_tokio::upgrade::{upgrade_with, UpgradedWebSocket};
use websock_tokio::{Decision, Limits, MaybeTlsStream, ServerOptions};

/// The server options; with `--streaming`, messages stream from the first one.
fn options(streaming: bool) -> ServerOptions {
    ServerOptions::new()
        .limits(Limits {
            max_frame_size: 128 << 20,
            max_message_size: 128 << 20,
            max_fragments: 1 << 20,
            max_send_queue: 128 << 20,
            ..Limits::default()
        })
        .streaming(websock_tokio::Streaming {
            enabled: streaming,
            max_streamed_message_size: None,
        })
}

/// Connections ready for HTTP, plain or after their TLS handshake; at most this many
/// wait for axum to take them.
const READY_QUEUE: usize = 64;

/// What axum serves: TCP connections, each through its TLS handshake first with
/// `--tls` (in a task of its own), handed over as they become ready.
struct EchoListener {
    ready: mpsc::Receiver<(MaybeTlsStream, SocketAddr)>,
    local: SocketAddr,
}

impl EchoListener {
    /// Starts accepting on `tcp`: a task accepts, and one task per connection sets it up.
    fn start(tcp: TcpListener, tls: Option<Arc<ServerConfig>>) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(READY_QUEUE);
        tokio::spawn(async move {
            loop {
                let (tcp, peer) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        eprintln!("accept: {e}");
                        continue;
                    }
                };
                let _ = tcp.set_nodelay(true);
                let (tx, tls) = (tx.clone(), tls.clone());
                tokio::spawn(async move {
                    let stream = match tls {
                        Some(config) => match accept_tls(tcp, config).await {
                            Ok(stream) => stream,
                            Err(e) => return eprintln!("{peer}: TLS: {e}"),
                        },
                        None => MaybeTlsStream::Plain(tcp),
                    };
                    let _ = tx.send((stream, peer)).await;
                });
            }
        });
        Ok(EchoListener { ready, local })
    }
}

impl Listener for EchoListener {
    type Io = MaybeTlsStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (MaybeTlsStream, SocketAddr) {
        match self.ready.recv().await {
            Some(ready) => ready,
            // The accepting task never ends while the listener lives.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local)
    }
}

/// The client's address, for the handler's log lines.
#[derive(Clone, Copy)]
struct Peer(SocketAddr);

impl Connected<IncomingStream<'_, EchoListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, EchoListener>) -> Self {
        Peer(*stream.remote_addr())
    }
}

/// The route: the upgrade (or its refusal), and the echo in a task of its own.
async fn websocket(ConnectInfo(Peer(peer)): ConnectInfo<Peer>, mut request: Request) -> Response {
    let (response, websocket) = upgrade_with(
        &mut request,
        options(STREAMING.load(Ordering::Relaxed)),
        |_| Decision::accept(),
    );
    match websocket {
        Ok(websocket) => {
            tokio::spawn(async move {
                match websocket.await {
                    Ok(ws) => echo(ws, peer).await,
                    Err(e) => eprintln!("{peer}: upgrade: {e}"),
                }
            });
        }
        Err(e) => eprintln!("{peer}: handshake: {e}"),
    }
    response.into_response()
}

/// `--streaming`: echo every message chunk by chunk as it arrives, never held whole.
static STREAMING: AtomicBool = AtomicBool::new(false);

/// Echoes every message: whole, or with `--streaming` chunk by chunk.
async fn echo(ws: UpgradedWebSocket, peer: SocketAddr) {
    let echoed = if STREAMING.load(Ordering::Relaxed) {
        echo_streaming(ws).await
    } else {
        echo_whole(ws).await
    };
    match echoed {
        Ok(()) | Err(websock_tokio::Error::Closed) => {}
        Err(e) => eprintln!("{peer}: {e}"),
    }
}

async fn echo_whole(mut ws: UpgradedWebSocket) -> Result<(), websock_tokio::Error> {
    while let Some(message) = ws.recv().await {
        ws.send(message?).await?;
    }
    Ok(())
}

async fn echo_streaming(ws: UpgradedWebSocket) -> Result<(), websock_tokio::Error> {
    let (tx, mut rx) = ws.split();
    while let Some(reader) = rx.recv_stream().await {
        let mut reader = reader?;
        let mut writer = tx.send_stream(reader.kind());
        while let Some(chunk) = reader.chunk().await {
            writer.write(&chunk?).await?;
        }
        writer.finish().await?;
    }
    Ok(())
}

/// The command line: `ADDR [--tls CERT.pem KEY.pem] [--streaming]`.
fn parse_args() -> Result<(String, Option<Arc<ServerConfig>>), String> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9001".into());
    let mut tls = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tls" => {
                let (Some(cert), Some(key)) = (args.next(), args.next()) else {
                    return Err("--tls needs CERT.pem KEY.pem".into());
                };
                let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
                let config = server_config_from_pem(&read(&cert)?, &read(&key)?);
                tls = Some(config.map_err(|e| format!("--tls: {e}"))?);
            }
            "--streaming" => STREAMING.store(true, Ordering::Relaxed),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok((addr, tls))
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let (addr, tls) = parse_args().map_err(std::io::Error::other)?;
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    let app = Router::new().fallback(websocket);
    axum::serve(
        EchoListener::start(listener, tls)?,
        app.into_make_service_with_connect_info::<Peer>(),
    )
    .await
}
