//! The echo server of `echo-server`, inside hyper 1: hyper reads each request and writes
//! the response; websock checks the upgrade, agrees on permessage-deflate, and echoes
//! every text and binary message on the upgraded connection. Runs until killed.
//!
//! ```text
//! cargo run --release -p websock-tokio --example hyper-server -- 127.0.0.1:9001
//! ```
//!
//! Prints one line, `listening on ADDR`, once it accepts connections. Its limits are
//! those of `echo-server` (16 MiB messages for the Autobahn test suite, and more). A
//! request that is not a WebSocket upgrade is answered with 426 Upgrade Required.
//!
//! `--tls CERT.pem KEY.pem` serves `https`/`wss://` (the TLS handshake bounded by 10 s);
//! `--streaming` echoes every message chunk by chunk, never held whole.

use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use websock_tokio::tls::{accept_tls, server_config_from_pem};
use websock_tokio::upgrade::{upgrade_with, Body, UpgradedWebSocket};
use websock_tokio::{Decision, DeflateConfig, Limits, MaybeTlsStream, ServerOptions};

/// permessage-deflate as the defaults, with the compression level from
/// `WEBSOCK_DEFLATE_LEVEL` (0..=9) if it is set: the Autobahn run uses 1, a quarter of
/// level 6's CPU for the same protocol behaviour.
fn deflate() -> DeflateConfig {
    let level = std::env::var("WEBSOCK_DEFLATE_LEVEL")
        .ok()
        .and_then(|v| v.parse().ok());
    DeflateConfig {
        level: level.unwrap_or(DeflateConfig::default().level),
        ..DeflateConfig::default()
    }
}

/// The server options; with `--streaming`, messages stream from the first one.
fn options(streaming: bool) -> ServerOptions {
    ServerOptions::new()
        .deflate(deflate())
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

/// Answers one request: the upgrade (or its refusal), and the echo in a task of its own.
async fn handle(
    mut request: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Body>, Infallible> {
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
    Ok(response)
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
fn parse_args() -> Result<(String, Option<Arc<websock_tokio::rustls::ServerConfig>>), String> {
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
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let tls = tls.clone();
        tokio::spawn(async move {
            let stream = match tls {
                Some(config) => match accept_tls(tcp, config).await {
                    Ok(stream) => stream,
                    Err(e) => return eprintln!("{peer}: TLS: {e}"),
                },
                None => MaybeTlsStream::Plain(tcp),
            };
            let service = service_fn(move |request| handle(request, peer));
            let served = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
            if let Err(e) = served {
                eprintln!("{peer}: http: {e}");
            }
        });
    }
}
