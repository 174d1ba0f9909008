//! An echo server: echoes every text and binary message, answers the closing handshake.
//!
//! `cargo run --release -p websock-std --example echo-server -- 127.0.0.1:9001`
//!
//! Prints `listening on ADDR` once ready, then runs until killed. Limits are large
//! enough for the Autobahn testsuite (16 MiB messages).
//!
//! With `--tls CERT.pem KEY.pem` it serves `wss://` instead, with the same limits (the
//! TLS handshake bounded by 10 s, then the WebSocket handshake's own deadline).
//!
//! With `--streaming` every message is received and echoed chunk by chunk as it
//! arrives (`recv_stream` into `send_stream`), never held whole: memory per connection
//! stays bounded whatever the message's size.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;

use websock_std::tls::{accept_tls, server_config_from_pem};
use websock_std::{
    accept_with, Decision, DeflateConfig, Limits, MaybeTlsStream, ServerOptions, WebSocketStream,
};

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

/// The server options; with `--streaming`, messages stream from the first one.
fn options(streaming: bool) -> ServerOptions {
    ServerOptions::default()
        .deflate(deflate())
        .limits(Limits {
            max_frame_size: 64 << 20,
            max_message_size: 128 << 20,
            max_send_queue: 128 << 20,
            ..Limits::default()
        })
        .streaming(websock_std::Streaming {
            enabled: streaming,
            max_streamed_message_size: None,
        })
}

/// Echoes every message chunk by chunk as it arrives: never held whole. The halves
/// let a reader and a writer be open at once (both on this thread).
fn echo_streaming<S>(ws: WebSocketStream<S>) -> Result<(), websock_std::Error> {
    let (tx, mut rx) = ws.split();
    while let Some(reader) = rx.recv_stream() {
        let mut reader = reader?;
        let mut writer = tx.send_stream(reader.kind());
        while let Some(chunk) = reader.chunk() {
            writer.write_all(&chunk?)?;
        }
        writer.finish()?;
    }
    Ok(())
}

/// Echoes every message whole.
fn echo<S>(mut ws: WebSocketStream<S>) {
    while let Some(Ok(message)) = ws.recv() {
        if ws.send(message).is_err() {
            break;
        }
    }
    // Finish the closing handshake (recv drives it to the end).
    while ws.recv().is_some() {}
}

fn serve(tcp: TcpStream, args: &Args) {
    let _ = tcp.set_nodelay(true);
    let stream = match args.tls.clone() {
        Some(config) => match accept_tls(tcp, config) {
            Ok(stream) => stream,
            Err(e) => return eprintln!("TLS: {e}"),
        },
        None => MaybeTlsStream::Plain(tcp),
    };
    let Ok(ws) = accept_with(stream, options(args.streaming), |_| Decision::accept()) else {
        return;
    };
    if !args.streaming {
        return echo(ws);
    }
    if let Err(e) = echo_streaming(ws) {
        eprintln!("{e}");
    }
}

/// The command line: `ADDR [--tls CERT.pem KEY.pem] [--streaming]`.
struct Args {
    addr: String,
    tls: Option<Arc<websock_std::rustls::ServerConfig>>,
    streaming: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9001".into());
    let mut tls = None;
    let mut streaming = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tls" => {
                let (Some(cert), Some(key)) = (args.next(), args.next()) else {
                    return Err("--tls needs CERT.pem KEY.pem".into());
                };
                let read = |path: &str| std::fs::read(path).map_err(|e| format!("{path}: {e}"));
                let config = server_config_from_pem(&read(&cert)?, &read(&key)?);
                tls = Some(config.map_err(|e| format!("--tls: {e}"))?);
            }
            "--streaming" => streaming = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        addr,
        tls,
        streaming,
    })
}

fn main() -> std::io::Result<()> {
    let args = Arc::new(parse_args().map_err(std::io::Error::other)?);
    let listener = TcpListener::bind(&args.addr)?;
    println!("listening on {}", listener.local_addr()?);
    std::io::stdout().flush()?;
    for tcp in listener.incoming() {
        match tcp {
            Ok(tcp) => {
                let args = args.clone();
                thread::spawn(move || serve(tcp, &args));
            }
            Err(e) => eprintln!("accept failed: {e}"),
        }
    }
    Ok(())
}
