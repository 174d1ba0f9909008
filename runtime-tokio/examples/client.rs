//! An interactive client: each line from stdin is sent as a text message; every
//! message received is printed. End stdin (Ctrl-D) to close.
//!
//! ```text
//! cargo run -p websock-tokio --example client -- ws://127.0.0.1:9001
//! ```

use tokio::io::{AsyncBufReadExt, BufReader};
use websock_tokio::{connect, Message};

#[tokio::main]
async fn main() {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://127.0.0.1:9001".into());
    let ws = match connect(&url).await {
        Ok(ws) => ws,
        Err(e) => {
            eprintln!("{url}: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("connected to {url}");
    let (tx, mut rx) = ws.split();
    let printer = tokio::spawn(async move {
        while let Some(message) = rx.recv().await {
            match message {
                Ok(Message::Text(t)) => println!("{t}"),
                Ok(Message::Binary(b)) => println!("<{} bytes>", b.len()),
                Err(e) => eprintln!("error: {e}"),
            }
        }
        if let Some(close) = rx.close_event() {
            eprintln!("closed: {} {:?}", close.code, close.reason);
        }
    });
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if tx.send(Message::text(line)).await.is_err() {
            break;
        }
    }
    let _ = tx.close(Some(1000), "").await;
    let _ = printer.await;
}
