//! A broadcast server on tokio-tungstenite, for the websock benchmark suite's broadcast
//! rows (`tests/bench/run.sh`, `loadgen broadcast`).
//!
//! ```text
//! tungstenite-broadcast 127.0.0.1:0
//! ```
//!
//! Prints one line, `listening on ADDR`, once it accepts connections. Every message
//! received on a connection is sent to every *other* open connection (the suite's
//! chat-room rule: the load generator's receivers never send). Written as
//! tokio-tungstenite's own chat example (`examples/server.rs`): a peer map of unbounded
//! channels (tokio's, where the example has futures-channel's), the connection that received a message pushes a clone to every other peer
//! (`Message::Binary` holds `Bytes`: a refcount bump), and each connection forwards its
//! channel into its sink (`rx.map(Ok).forward(outgoing)`, which flushes once per batch).
//! Same runtime as websock-tokio's `echo-server` example, TCP_NODELAY on every socket.
#![warn(clippy::missing_docs_in_private_items)]

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use futures_util::{StreamExt as _, TryStreamExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio_tungstenite::tungstenite::Message;

/// Every open connection's channel, by connection id.
type PeerMap = Arc<Mutex<HashMap<u64, UnboundedSender<Message>>>>;

/// Serves one connection: broadcasts what it sends, forwards what others broadcast.
async fn serve(tcp: TcpStream, id: u64, peers: PeerMap) {
    let ws = match tokio_tungstenite::accept_async(tcp).await {
        Ok(ws) => ws,
        Err(e) => return eprintln!("{id}: handshake: {e}"),
    };
    let (tx, mut rx) = unbounded_channel();
    peers.lock().unwrap().insert(id, tx);
    let (outgoing, incoming) = ws.split();
    // Pings are answered and the close handshake completed while reading.
    let broadcast_incoming = incoming.try_for_each(|message| {
        if message.is_binary() || message.is_text() {
            let peers = peers.lock().unwrap();
            for (_, tx) in peers.iter().filter(|(other, _)| **other != id) {
                let _ = tx.send(message.clone());
            }
        }
        futures_util::future::ok(())
    });
    let receive_from_others = futures_util::stream::poll_fn(|cx| rx.poll_recv(cx))
        .map(Ok)
        .forward(outgoing);
    tokio::select! {
        _ = broadcast_incoming => {}
        _ = receive_from_others => {}
    }
    peers.lock().unwrap().remove(&id);
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
        let (tcp, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(serve(tcp, id, peers.clone()));
    }
    Ok(())
}
