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

use std::convert::Infallible;
use std::io::Write as _;
use std::net::SocketAddr;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use websock_tokio::upgrade::{upgrade_with, Body, UpgradedWebSocket};
use websock_tokio::{Decision, DeflateConfig, Limits, ServerOptions};

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

fn options() -> ServerOptions {
    ServerOptions::new().deflate(deflate()).limits(Limits {
        max_frame_size: 128 << 20,
        max_message_size: 128 << 20,
        max_fragments: 1 << 20,
        max_send_queue: 128 << 20,
        ..Limits::default()
    })
}

/// Answers one request: the upgrade (or its refusal), and the echo in a task of its own.
async fn handle(
    mut request: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Body>, Infallible> {
    let (response, websocket) = upgrade_with(&mut request, options(), |_| Decision::accept());
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

async fn echo(mut ws: UpgradedWebSocket, peer: SocketAddr) {
    while let Some(message) = ws.recv().await {
        match message {
            Ok(m) => {
                if ws.send(m).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                eprintln!("{peer}: {e}");
                break;
            }
        }
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
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
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(request, peer));
            let served = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades()
                .await;
            if let Err(e) = served {
                eprintln!("{peer}: http: {e}");
            }
        });
    }
}
