//! The Autobahn testsuite's client driver: runs every case against a fuzzing server.
//!
//! `cargo run --release -p websock-std --example autobahn-client -- ws://127.0.0.1:9001 AGENT`
//!
//! Asks `/getCaseCount`, then for each case connects to `/runCase?case=N&agent=AGENT`
//! and echoes every message until the server closes, then asks the server to write
//! its reports (`/updateReports?agent=AGENT`).

use websock_std::{connect_with, ClientOptions, DeflateConfig, Limits, Message};

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
    ClientOptions::default()
        .check_bad_ports(false)
        .deflate(deflate())
        .limits(Limits {
            max_frame_size: 64 << 20,
            max_message_size: 128 << 20,
            max_send_queue: 128 << 20,
            ..Limits::default()
        })
}

fn case_count(base: &str) -> Result<u32, Box<dyn std::error::Error>> {
    let mut ws = connect_with(&format!("{base}/getCaseCount"), options())?;
    let count = match ws.recv() {
        Some(Ok(Message::Text(t))) => t.as_str().trim().parse()?,
        other => return Err(format!("unexpected answer: {other:?}").into()),
    };
    while ws.recv().is_some() {}
    Ok(count)
}

fn run_case(base: &str, case: u32, agent: &str) -> websock_std::Result<()> {
    let url = format!("{base}/runCase?case={case}&agent={agent}");
    let mut ws = connect_with(&url, options())?;
    while let Some(message) = ws.recv() {
        match message {
            Ok(m) => {
                if ws.send(m).is_err() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    while ws.recv().is_some() {}
    Ok(())
}

fn update_reports(base: &str, agent: &str) -> websock_std::Result<()> {
    let mut ws = connect_with(&format!("{base}/updateReports?agent={agent}"), options())?;
    ws.close(Some(1000), "")?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let base = args.next().unwrap_or_else(|| "ws://127.0.0.1:9001".into());
    let base = base.trim_end_matches('/').to_owned();
    let agent = args.next().unwrap_or_else(|| "websock-std".into());
    let count = case_count(&base)?;
    println!("{count} cases");
    for case in 1..=count {
        if let Err(e) = run_case(&base, case, &agent) {
            eprintln!("case {case}: {e}");
        }
    }
    update_reports(&base, &agent)?;
    println!("done");
    Ok(())
}
