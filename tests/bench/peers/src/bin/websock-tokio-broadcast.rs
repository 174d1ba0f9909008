//! A broadcast server on websock-tokio, for the websock benchmark suite's broadcast rows
//! (`tests/bench/run.sh`, `loadgen broadcast`).
//!
//! ```text
//! websock-tokio-broadcast 127.0.0.1:0
//! ```
//!
//! Prints one line, `listening on ADDR`, once it accepts connections. Every message
//! received on a connection is sent to every *other* open connection (the chat-room rule
//! of the suite's broadcast servers: the load generator's receivers never send, so its one
//! sender's messages reach all of them). The room holds each connection's
//! [`WebSocketSender`]; the connection that received a message encodes it once
//! ([`PreparedMessage`]) and queues it on every other one itself (`send_prepared`: a
//! handle to the one encoded frame, no copy, or a copy of it under 256 bytes; it waits
//! only while that connection's send queue is full, which is the backpressure). Each connection's
//! engine is driven by its own driver task, so no task per receiver is needed here. Same
//! runtime as websock-tokio's `echo-server` example (`#[tokio::main]`), TCP_NODELAY on
//! every socket, default options otherwise.
#![warn(clippy::missing_docs_in_private_items)]

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use websock_tokio::{Error, PreparedMessage, WebSocketSender};

/// Every open connection's sender, with the connection's id.
type Room = Arc<Mutex<Vec<(u64, WebSocketSender)>>>;

/// Joins the room, broadcasts what this connection sends, leaves the room at the end.
async fn serve(tcp: TcpStream, id: u64, room: Room) -> Result<(), Error> {
    let (tx, mut rx) = websock_tokio::accept(tcp).await?.split();
    room.lock().await.push((id, tx));
    let result = async {
        while let Some(message) = rx.recv().await {
            // Encoded once; every receiver's queue takes a handle to the same frame.
            let message = PreparedMessage::new(message?);
            let mut room = room.lock().await;
            let mut i = 0;
            while i < room.len() {
                let (other, tx) = &mut room[i];
                // A connection that is closing refuses the send: it leaves the room.
                if *other != id && tx.send_prepared(&message).await.is_err() {
                    room.swap_remove(i);
                    continue;
                }
                i += 1;
            }
        }
        Ok(())
    }
    .await;
    room.lock().await.retain(|(other, _)| *other != id);
    result
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
    let room = Room::default();
    let next_id = AtomicU64::new(0);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept: {e}");
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let (id, room) = (next_id.fetch_add(1, Ordering::Relaxed), room.clone());
        tokio::spawn(async move {
            match serve(tcp, id, room).await {
                Ok(()) | Err(Error::Closed) => {}
                Err(e) => eprintln!("{peer}: {e}"),
            }
        });
    }
}
