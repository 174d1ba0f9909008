//! An echo server on fastwebsockets, a peer library that the websock benchmark suite
//! (`tests/bench/run.sh`) measures beside websock's own echo servers.
//!
//! ```text
//! fastwebsockets-echo 127.0.0.1:0
//! ```
//!
//! Prints one line, `listening on ADDR` (the bound address), once it accepts connections,
//! then echoes every text and binary message until killed. The handshake is the library's
//! documented server path (its `upgrade` feature: hyper's HTTP/1 server hands the
//! connection over), and messages go through a `FragmentCollector` with the default
//! auto-close and auto-pong. The runtime is the one websock-tokio's `echo-server` example
//! uses (`#[tokio::main]`: multi-thread, one worker per CPU the process may run on),
//! TCP_NODELAY is set on every accepted socket, there is no permessage-deflate (the library
//! has none), and the message limit is raised to 128 MiB as websock's is.
#![warn(clippy::missing_docs_in_private_items)]

use std::io::Write as _;
use std::net::SocketAddr;

use fastwebsockets::upgrade::{upgrade, UpgradeFut};
use fastwebsockets::{FragmentCollector, OpCode, WebSocketError};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// Largest message accepted: 128 MiB, as websock-tokio's echo server allows.
const MAX_SIZE: usize = 128 << 20;

/// Answers one upgrade request with `101` and spawns the echo loop for the connection.
async fn upgrade_request(
    mut request: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, upgraded) = upgrade(&mut request)?;
    tokio::spawn(async move {
        if let Err(e) = echo(upgraded).await {
            eprintln!("{peer}: {e}");
        }
    });
    Ok(response)
}

/// Echoes every text and binary message until the peer closes or an error.
async fn echo(upgraded: UpgradeFut) -> Result<(), WebSocketError> {
    let mut ws = upgraded.await?;
    ws.set_max_message_size(MAX_SIZE);
    let mut ws = FragmentCollector::new(ws);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            // Auto-close has already answered the close frame.
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary => ws.write_frame(frame).await?,
            // Auto-pong has already answered pings.
            _ => {}
        }
    }
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
            let service = service_fn(move |request| upgrade_request(request, peer));
            let connection = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            if let Err(e) = connection.await {
                eprintln!("{peer}: handshake: {e}");
            }
        });
    }
}
