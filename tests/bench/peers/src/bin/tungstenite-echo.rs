//! An echo server on tokio-tungstenite, a peer library that the websock benchmark suite
//! (`tests/bench/run.sh`) measures beside websock's own echo servers.
//!
//! ```text
//! tungstenite-echo 127.0.0.1:0
//! ```
//!
//! Prints one line, `listening on ADDR` (the bound address), once it accepts connections,
//! then echoes every text and binary message until killed. The runtime is the one
//! websock-tokio's `echo-server` example uses (`#[tokio::main]`: multi-thread, one worker
//! per CPU the process may run on), TCP_NODELAY is set on every accepted socket, there is
//! no permessage-deflate, and the size limits are raised to 128 MiB as websock's are.
#![warn(clippy::missing_docs_in_private_items)]

use std::io::Write as _;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Largest message and frame accepted: 128 MiB, as websock-tokio's echo server allows.
const MAX_SIZE: usize = 128 << 20;

/// The connection settings: tungstenite's defaults with the size limits raised.
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_SIZE))
        .max_frame_size(Some(MAX_SIZE))
}

/// Binds the address given as the first argument, prints it, and serves until killed.
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
            let mut ws =
                match tokio_tungstenite::accept_async_with_config(tcp, Some(config())).await {
                    Ok(ws) => ws,
                    Err(e) => return eprintln!("{peer}: handshake: {e}"),
                };
            // Pings are answered and the close handshake completed inside `next()`.
            while let Some(message) = ws.next().await {
                match message {
                    Ok(m) if m.is_text() || m.is_binary() => {
                        if ws.send(m).await.is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!("{peer}: {e}");
                        break;
                    }
                }
            }
        });
    }
}
