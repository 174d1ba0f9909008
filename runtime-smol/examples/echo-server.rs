//! An echo server: echoes every text and binary message and answers the close
//! handshake. Runs until killed.
//!
//! ```text
//! cargo run --release -p websock-smol --example echo-server -- 127.0.0.1:9001
//! ```
//!
//! Prints one line, `listening on ADDR`, once it accepts connections. Its limits are
//! large enough for the Autobahn test suite (16 MiB messages).

use std::io::Write as _;

use async_net::TcpListener;
use websock_smol::{accept_with, Decision, Limits, ServerOptions};

fn options() -> ServerOptions {
    ServerOptions::default().limits(Limits {
        max_frame_size: 128 << 20,
        max_message_size: 128 << 20,
        max_fragments: 1 << 20,
        max_send_queue: 128 << 20,
        ..Limits::default()
    })
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    smol::block_on(async {
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
            smol::spawn(async move {
                let mut ws = match accept_with(tcp, options(), |_| Decision::accept()).await {
                    Ok(ws) => ws,
                    Err(e) => return eprintln!("{peer}: handshake: {e}"),
                };
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
            })
            .detach();
        }
    })
}
