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
//! upgrade is answered with 426 Upgrade Required.

use std::io::Write as _;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::response::{IntoResponse, Response};
use axum::serve::ListenerExt as _;
use axum::Router;
use tokio::net::TcpListener;
use websock_tokio::upgrade::{upgrade_with, UpgradedWebSocket};
use websock_tokio::{Decision, Limits, ServerOptions};

fn options() -> ServerOptions {
    ServerOptions::new().limits(Limits {
        max_frame_size: 128 << 20,
        max_message_size: 128 << 20,
        max_fragments: 1 << 20,
        max_send_queue: 128 << 20,
        ..Limits::default()
    })
}

/// The route: the upgrade (or its refusal), and the echo in a task of its own.
async fn websocket(ConnectInfo(peer): ConnectInfo<SocketAddr>, mut request: Request) -> Response {
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
    response.into_response()
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
