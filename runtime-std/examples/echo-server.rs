//! An echo server: echoes every text and binary message, answers the closing handshake.
//!
//! `cargo run --release -p websock-std --example echo-server -- 127.0.0.1:9001`
//!
//! Prints `listening on ADDR` once ready, then runs until killed. Limits are large
//! enough for the Autobahn testsuite (16 MiB messages).

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::thread;

use websock_std::{accept_with, Decision, Limits, ServerOptions};

fn options() -> ServerOptions {
    ServerOptions::default().limits(Limits {
        max_frame_size: 64 << 20,
        max_message_size: 128 << 20,
        max_send_queue: 128 << 20,
        ..Limits::default()
    })
}

fn serve(tcp: TcpStream) {
    let _ = tcp.set_nodelay(true);
    let Ok(mut ws) = accept_with(tcp, options(), |_| Decision::accept()) else {
        return;
    };
    while let Some(Ok(message)) = ws.recv() {
        if ws.send(message).is_err() {
            break;
        }
    }
    // Finish the closing handshake (recv drives it to the end).
    while ws.recv().is_some() {}
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = TcpListener::bind(&addr)?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    for tcp in listener.incoming() {
        match tcp {
            Ok(tcp) => {
                thread::spawn(move || serve(tcp));
            }
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
    Ok(())
}
