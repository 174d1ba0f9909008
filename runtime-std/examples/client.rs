//! An interactive client: each line from stdin is sent as a text message; every
//! message received is printed.
//!
//! `cargo run -p websock-std --example client -- ws://127.0.0.1:9001`
//!
//! End stdin (Ctrl-D) to close the connection with code 1000.

use std::io::BufRead;
use std::thread;

use websock_std::{connect_with, ClientOptions, Message};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args()
        .nth(1)
        .ok_or("usage: client URL (e.g. ws://127.0.0.1:9001)")?;
    let ws = connect_with(&url, ClientOptions::default().check_bad_ports(false))?;
    if let Some(p) = ws.protocol() {
        eprintln!("connected, subprotocol {p}");
    } else {
        eprintln!("connected");
    }
    let (tx, mut rx) = ws.split();
    let printer = thread::spawn(move || {
        while let Some(message) = rx.recv() {
            match message {
                Ok(Message::Text(t)) => println!("{t}"),
                Ok(Message::Binary(b)) => println!("<{} bytes of binary>", b.len()),
                Err(e) => eprintln!("error: {e}"),
            }
        }
        if let Some(c) = rx.close_event() {
            eprintln!("closed: {} {:?} clean={}", c.code, c.reason, c.was_clean);
        }
    });
    for line in std::io::stdin().lock().lines() {
        if tx.send(Message::text(line?)).is_err() {
            break;
        }
    }
    // Waits for the closing handshake (the printer thread reads the peer's Close).
    if let Err(e) = tx.close(Some(1000), "") {
        eprintln!("close: {e}");
    }
    let _ = printer.join();
    Ok(())
}
