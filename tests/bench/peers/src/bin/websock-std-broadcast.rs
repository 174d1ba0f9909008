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
//! [`WebSocketSender`] (split: the receiving thread blocks in `read` while others write),
//! and the thread that received a message queues it on every other connection itself
//! (`send`: a refcount bump of the `Bytes` payload; it blocks only while that connection's
//! send queue is full). TCP_NODELAY on every socket, default options otherwise.
#![warn(clippy::missing_docs_in_private_items)]

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use websock_std::WebSocketSender;

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
        // A connection that is closing refuses the send: it leaves the room.
        room.lock()
            .unwrap()
            .retain(|(other, tx)| *other == id || tx.send(message.clone()).is_ok());
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
