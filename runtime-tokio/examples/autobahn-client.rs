//! The Autobahn testsuite client driver: runs every case against the fuzzing server,
//! echoing each message, then asks the server to write its reports.
//!
//! ```text
//! cargo run --release -p websock-tokio --example autobahn-client -- ws://127.0.0.1:9001 websock-tokio
//! ```

use websock_tokio::{connect_with, ClientOptions, DeflateConfig, Limits, Message};

/// permessage-deflate as the defaults, with the compression level from
/// `WEBSOCK_DEFLATE_LEVEL` (0..=9) if it is set: the Autobahn run uses 1, a quarter of
/// level 6's CPU for the same protocol behaviour.
fn deflate() -> DeflateConfig {
    let level = std::env::var("WEBSOCK_DEFLATE_LEVEL")
        .ok()
        .and_then(|v| v.parse().ok());
    DeflateConfig {
        level: level.unwrap_or(DeflateConfig::default().level),
        ..DeflateConfig::default()
    }
}

fn options() -> ClientOptions {
    ClientOptions::new()
        .check_bad_ports(false)
        .deflate(deflate())
        .limits(Limits {
            max_frame_size: 128 << 20,
            max_message_size: 128 << 20,
            max_fragments: 1 << 20,
            max_send_queue: 128 << 20,
            ..Limits::default()
        })
}

/// Echoes every message until the connection ends.
async fn echo(url: &str) -> Result<(), websock_tokio::Error> {
    let mut ws = connect_with(url, options()).await?;
    while let Some(message) = ws.recv().await {
        ws.send(message?).await?;
    }
    Ok(())
}

async fn case_count(base: &str) -> Result<u32, Box<dyn std::error::Error>> {
    let mut ws = connect_with(&format!("{base}/getCaseCount"), options()).await?;
    let mut count = None;
    while let Some(message) = ws.recv().await {
        if let Message::Text(t) = message? {
            count = Some(t.as_str().trim().parse()?);
        }
    }
    count.ok_or_else(|| "no case count received".into())
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base = args.next().unwrap_or_else(|| "ws://127.0.0.1:9001".into());
    let agent = args.next().unwrap_or_else(|| "websock-tokio".into());
    let base = base.trim_end_matches('/').to_owned();
    let count = match case_count(&base).await {
        Ok(n) => n,
        Err(e) => {
            eprintln!("getCaseCount: {e}");
            std::process::exit(1);
        }
    };
    println!("{count} cases");
    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        if let Err(e) = echo(&url).await {
            eprintln!("case {case}: {e}");
        }
    }
    let url = format!("{base}/updateReports?agent={agent}");
    match connect_with(&url, options()).await {
        Ok(mut ws) => while ws.recv().await.is_some() {},
        Err(e) => eprintln!("updateReports: {e}"),
    }
    println!("done");
}
