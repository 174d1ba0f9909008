//! The echo server of `echo-server`, as an axum app: a handler takes the request, lets
//! websock answer the upgrade (the `101` with the agreed permessage-deflate), and echoes
//! every text and binary message on the upgraded connection. Runs until killed.
//!
//! ```text
//! cargo run --release -p websock-tokio --example axum-server -- 127.0.0.1:9001
//! ```
//!
//! Prints one line, `listening on ADDR`, once it accepts connections. Every path is
//! served; its limits are those of `echo-server`. A request that is not a WebSocket
//! upgrade is answered with 426 Upgrade Required. `--streaming` echoes every message
//! chunk by chunk, never held whole. (For `wss://`, see `hyper-server --tls`: axum's
//! `serve` takes plain listeners.)

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt as _;
use axum::Router;
use tokio::net::TcpListener;
use websock_tokio::upgrade::{upgrade_with, UpgradedWebSocket};
use websock_tokio::{Decision, Limits, ServerOptions};

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

/// The route: the upgrade (or its refusal), and the echo in a task of its own.
async fn websocket(ConnectInfo(peer): ConnectInfo<SocketAddr>, mut request: Request) -> Response {
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
    let (mut tx, mut rx) = ws.split();
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

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9001".into());
    for arg in args {
        match arg.as_str() {
            "--streaming" => STREAMING.store(true, Ordering::Relaxed),
            other => return Err(std::io::Error::other(format!("unknown argument {other:?}"))),
        }
    }
    let listener = TcpListener::bind(addr.as_str()).await?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let app = Router::new().fallback(websocket);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
