//! A broadcast server on websock-std, for the websock benchmark suite's broadcast rows
//! (`tests/bench/run.sh`, `loadgen broadcast`).
//!
//! ```text
//! websock-std-broadcast 127.0.0.1:0
//! ```
//!
//! Prints one line, `listening on ADDR`, once it accepts connections. Every message
//! received on a connection is sent to every *other* open connection (the suite's
//! chat-room rule: the load generator's receivers never send). A thread per connection,
//! as websock-std's `echo-server` example; the room holds each connection's
//! [`WebSocketSender`] (split: the receiving thread blocks in `read` while others write).
//! The thread that received a message encodes it once ([`PreparedMessage`]) and queues
//! it on every other connection itself, in batches: after each `recv` it
//! `feed_prepared`s the message to every other sender (queued, not written: a handle to
//! the one encoded frame, or a copy of it under 256 bytes), then takes every message already
//! received with `try_recv` (no read, no wait) and feeds each the same way, then
//! `flush`es every sender it fed: one `writev` per receiving connection per batch (a
//! `writev` takes up to 32 queued segments; small frames share one) instead of one per
//! message. `feed` writes by itself only past 64 KiB queued on a connection, and waits
//! (as `send` does) only while that connection's send queue is full. TCP_NODELAY on
//! every socket, default options otherwise.
#![warn(clippy::missing_docs_in_private_items)]

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use websock_std::{PreparedMessage, WebSocketSender};

/// Every open connection's sender, with the connection's id.
type Room = Arc<Mutex<Vec<(u64, WebSocketSender)>>>;

/// Joins the room, broadcasts what this connection sends, leaves the room at the end.
fn serve(tcp: TcpStream, id: u64, room: &Room) {
    let _ = tcp.set_nodelay(true);
    let Ok(ws) = websock_std::accept(tcp) else {
        return;
    };
    let (tx, mut rx) = ws.split();
    room.lock().unwrap().push((id, tx));
    // `recv` answers pings and finishes the closing handshake; `None` once closed.
    while let Some(message) = rx.recv() {
        let Ok(message) = message else { continue };
        // Encoded once; every receiver's queue takes a handle to the same frame.
        let message = PreparedMessage::new(message);
        let mut room = room.lock().unwrap();
        // A connection that is closing refuses the message: it leaves the room.
        room.retain(|(other, tx)| *other == id || tx.feed_prepared(&message).is_ok());
        // The messages this connection's last read brought with it, fed the same way.
        while let Some(Ok(message)) = rx.try_recv() {
            let message = PreparedMessage::new(message);
            room.retain(|(other, tx)| *other == id || tx.feed_prepared(&message).is_ok());
        }
        // One write per connection for the whole batch.
        room.retain(|(other, tx)| *other == id || tx.flush().is_ok());
    }
    room.lock().unwrap().retain(|(other, _)| *other != id);
}

/// Binds the address given as the first argument, prints it, and serves until killed.
fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = TcpListener::bind(addr.as_str())?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    let room = Room::default();
    for (id, tcp) in (0..).zip(listener.incoming()) {
        match tcp {
            Ok(tcp) => {
                let room = room.clone();
                thread::spawn(move || serve(tcp, id, &room));
            }
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
    Ok(())
}
