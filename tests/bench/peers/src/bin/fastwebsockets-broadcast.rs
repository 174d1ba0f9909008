//! A broadcast server on fastwebsockets, for the websock benchmark suite's broadcast rows
//! (`tests/bench/run.sh`, `loadgen broadcast`).
//!
//! ```text
//! fastwebsockets-broadcast 127.0.0.1:0
//! ```
//!
//! Prints one line, `listening on ADDR`, once it accepts connections. Every message
//! received on a connection is sent to every *other* open connection (the suite's
//! chat-room rule: the load generator's receivers never send). The handshake is the
//! library's documented server path (`upgrade`, on hyper's HTTP/1 server). The library has
//! no sink or broadcast helper, so the shape is tokio-tungstenite's chat example: a peer map
//! of unbounded tokio channels; each connection is split (feature `unstable-split`, the
//! library's only way to read and write from two tasks) into a reader that pushes each
//! message to every other peer, once copied into `Bytes` and then shared (a refcount bump
//! per receiver), and a writer task that writes its channel's frames (borrowing the
//! shared payload) and the reader's obligated replies (pong, close). Same runtime as
//! websock-tokio's `echo-server` example, TCP_NODELAY on every socket.
#![warn(clippy::missing_docs_in_private_items)]

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use fastwebsockets::upgrade::{upgrade, UpgradeFut};
use fastwebsockets::{FragmentCollectorRead, Frame, OpCode, Payload, WebSocketError};
use http_body_util::Empty;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

/// What a connection's writer task writes.
enum Out {
    /// A broadcast message's payload, shared by every receiver.
    Data(Bytes),
    /// A frame the read half must send (a pong, the close reply).
    Control(Frame<'static>),
}

/// Every open connection's channel, by connection id.
type PeerMap = Arc<Mutex<HashMap<u64, UnboundedSender<Out>>>>;

/// Answers one upgrade request with `101` and spawns the connection's tasks.
async fn upgrade_request(
    mut request: Request<Incoming>,
    id: u64,
    peers: PeerMap,
) -> Result<Response<Empty<Bytes>>, WebSocketError> {
    let (response, upgraded) = upgrade(&mut request)?;
    tokio::spawn(async move {
        if let Err(e) = serve(upgraded, id, &peers).await {
            eprintln!("{id}: {e}");
        }
        peers.lock().unwrap().remove(&id);
    });
    Ok(response)
}

/// Serves one connection: broadcasts what it sends, writes what others broadcast.
async fn serve(upgraded: UpgradeFut, id: u64, peers: &PeerMap) -> Result<(), WebSocketError> {
    let ws = upgraded.await?;
    let (read, mut write) = ws.split(tokio::io::split);
    let mut read = FragmentCollectorRead::new(read);
    let (tx, mut rx) = unbounded_channel();
    peers.lock().unwrap().insert(id, tx.clone());
    tokio::spawn(async move {
        while let Some(out) = rx.recv().await {
            let written = match &out {
                Out::Data(payload) => {
                    write
                        .write_frame(Frame::binary(Payload::Borrowed(payload)))
                        .await
                }
                Out::Control(_) => {
                    let Out::Control(frame) = out else {
                        unreachable!()
                    };
                    write.write_frame(frame).await
                }
            };
            if written.is_err() {
                break;
            }
        }
    });
    let mut obligated = |frame: Frame<'static>| {
        let sent = tx
            .send(Out::Control(frame))
            .map_err(|_| "connection closed");
        async move { sent }
    };
    loop {
        let frame = read.read_frame(&mut obligated).await?;
        match frame.opcode {
            // Auto-close has already queued the close reply.
            OpCode::Close => return Ok(()),
            OpCode::Text | OpCode::Binary => {
                let payload = Bytes::copy_from_slice(&frame.payload);
                let peers = peers.lock().unwrap();
                for (_, tx) in peers.iter().filter(|(other, _)| **other != id) {
                    let _ = tx.send(Out::Data(payload.clone()));
                }
            }
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
    let peers = PeerMap::default();
    for id in 0.. {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let peers = peers.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| upgrade_request(request, id, peers.clone()));
            let connection = http1::Builder::new()
                .serve_connection(TokioIo::new(tcp), service)
                .with_upgrades();
            if let Err(e) = connection.await {
                eprintln!("{peer}: handshake: {e}");
            }
        });
    }
    Ok(())
}
