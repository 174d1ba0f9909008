//! An interactive client: each line from stdin is sent as a text message, each message
//! received is printed. End of input closes the connection.
//!
//! ```text
//! cargo run -p websock-smol --example client -- ws://127.0.0.1:9001
//! ```

use futures_lite::{AsyncBufReadExt as _, StreamExt as _};
use websock_smol::{connect_with, ClientOptions, Message};

fn main() {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://127.0.0.1:9001".into());
    smol::block_on(async {
        let options = ClientOptions::default().check_bad_ports(false);
        let (tx, mut rx) = match connect_with(&url, options).await {
            Ok(ws) => ws.split(),
            Err(e) => {
                eprintln!("connect {url}: {e}");
                std::process::exit(1);
            }
        };
        eprintln!("connected to {url}");
        let input = async {
            let mut lines =
                futures_lite::io::BufReader::new(smol::Unblock::new(std::io::stdin())).lines();
            while let Some(Ok(line)) = lines.next().await {
                if tx.send(Message::text(line)).await.is_err() {
                    break;
                }
            }
            // Replies still in flight after our Close are received: close at once,
            // and keep receiving until the peer answers.
            let _ = tx.close(Some(1000), "bye").await;
            std::future::pending::<()>().await;
        };
        let output = async {
            while let Some(message) = rx.recv().await {
                match message {
                    Ok(Message::Text(t)) => println!("{t}"),
                    Ok(Message::Binary(b)) => println!("<{} bytes>", b.len()),
                    Err(e) => eprintln!("error: {e}"),
                }
            }
            if let Some(close) = rx.close_event() {
                eprintln!(
                    "closed: {} {:?} clean={}",
                    close.code, close.reason, close.was_clean
                );
            }
        };
        futures_lite::future::or(output, input).await;
    });
}
