//! The demo: a chat server on 127.0.0.1:8080 (or an ephemeral port if 8080 is taken)
//! serving a page whose script joins the chat with the browser's own `WebSocket`, plus
//! an in-process client using this crate's browser-face `WebSocket` (MDN's example:
//! send "Hello Server!" on open, print each message).
//!
//! ```text
//! cargo run --release -p websock-tokio --example demo            # serve until Ctrl-C
//! cargo run --release -p websock-tokio --example demo -- --once  # exit after the echo
//! ```

mod chat;

use std::time::Duration;

use tokio::net::TcpListener;

#[tokio::main]
async fn main() {
    let once = std::env::args().skip(1).any(|a| a == "--once");
    let listener = match TcpListener::bind("127.0.0.1:8080").await {
        Ok(l) => l,
        Err(_) => TcpListener::bind("127.0.0.1:0")
            .await
            .expect("cannot bind a port on 127.0.0.1"),
    };
    let addr = listener.local_addr().expect("bound address");
    println!("chat server on http://{addr}/ (WebSocket at ws://{addr}/)");
    let server = tokio::spawn(chat::serve(listener));

    let url = format!("ws://{addr}/");
    if once {
        let outcome = tokio::time::timeout(Duration::from_secs(10), chat::demo_client(&url, true));
        match outcome.await {
            Ok(Ok(Some(_))) => return,
            Ok(Ok(None)) => eprintln!("demo client: closed before any message"),
            Ok(Err(e)) => eprintln!("demo client: {e}"),
            Err(_) => eprintln!("demo client: no answer within 10 s"),
        }
        std::process::exit(1);
    }
    let client = tokio::spawn(async move {
        if let Err(e) = chat::demo_client(&url, false).await {
            eprintln!("demo client: {e}");
        }
    });
    println!("Open http://{addr}/ in a browser to join the chat (Ctrl-C to stop).");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => println!("bye"),
        r = server => eprintln!("server stopped: {r:?}"),
    }
    client.abort();
}
