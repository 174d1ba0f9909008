//! An echo server: echoes every text and binary message and answers the close
//! handshake. Runs until killed.
//!
//! ```text
//! cargo run --release -p websock-smol --example echo-server -- 127.0.0.1:9001
//! ```
//!
//! Prints one line, `listening on ADDR`, once it accepts connections. Its limits are
//! large enough for the Autobahn test suite (16 MiB messages).
//!
//! With `--tls CERT.pem KEY.pem` it serves `wss://` instead, with the same limits (the
//! TLS handshake bounded by 10 s, then the WebSocket handshake's own deadline).
//!
//! With `--streaming` every message is received and echoed chunk by chunk as it
//! arrives (`recv_stream` into `send_stream`), never held whole: memory per connection
//! stays bounded whatever the message's size.

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;

use async_net::{TcpListener, TcpStream};
use websock_smol::tls::{accept_tls, server_config_from_pem};
use websock_smol::{
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
            max_frame_size: 128 << 20,
            max_message_size: 128 << 20,
            max_fragments: 1 << 20,
            max_send_queue: 128 << 20,
            ..Limits::default()
        })
        .streaming(websock_smol::Streaming {
            enabled: streaming,
            max_streamed_message_size: None,
        })
}

/// The command line: `ADDR [--tls CERT.pem KEY.pem] [--streaming]`.
struct Args {
    addr: String,
    tls: Option<Arc<websock_smol::rustls::ServerConfig>>,
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

/// Echoes every message chunk by chunk as it arrives: never held whole.
async fn echo_streaming<S>(ws: WebSocketStream<S>) -> Result<(), websock_smol::Error> {
    let (tx, mut rx) = ws.split();
    while let Some(reader) = rx.recv_stream().await {
        let mut reader = reader?;
        let mut writer = tx.send_stream(reader.kind());
        while let Some(chunk) = reader.chunk().await {
            writer.write(&chunk?).await?;
        }
        writer.finish().await?;
    }
    Ok(())
}

/// A send refused because the connection closed meanwhile is the echo's normal end.
fn ignore_closed(e: websock_smol::Error) -> Result<(), websock_smol::Error> {
    match e {
        websock_smol::Error::Closed => Ok(()),
        e => Err(e),
    }
}

/// Echoes every message whole. Borrows the stream (the caller keeps it, for its peer's
/// address in an error), and holds nothing across an await but what that await needs:
/// the future is small, and every connection's task carries it.
async fn echo<S>(ws: &mut WebSocketStream<S>) -> Result<(), websock_smol::Error> {
    loop {
        let Some(received) = ws.recv().await else {
            return Ok(());
        };
        let message = received?;
        ws.send(message).await?;
    }
}

/// Prints a connection's error (a send refused because the connection closed meanwhile
/// is the echo's normal end, not an error).
fn report(peer: Option<SocketAddr>, echoed: Result<(), websock_smol::Error>) {
    if let Err(e) = echoed.or_else(ignore_closed) {
        match peer {
            Some(peer) => eprintln!("{peer}: {e}"),
            None => eprintln!("{e}"),
        }
    }
}

/// A connection the listener accepted, handed to its task in one allocation, freed as
/// soon as the task unpacks it: the task's future (which every idle connection holds)
/// keeps one pointer for it, not the socket, the address and the options.
struct Accepted {
    tcp: TcpStream,
    peer: SocketAddr,
    tls: Option<Arc<websock_smol::rustls::ServerConfig>>,
    streaming: bool,
}

/// Serves one connection: TLS if configured, the WebSocket handshake, then the echo.
/// The setup's larger states (the TLS handshake's; the WebSocket handshake's, boxed by
/// `accept_with`) and the streaming echo's are boxed, so the future every idle
/// connection's task holds is little more than the whole-message echo's.
async fn serve(accepted: Box<Accepted>) {
    let Accepted {
        tcp,
        peer,
        tls,
        streaming,
    } = {
        // Moved into this block, the box is freed at its end (not when the task ends).
        let accepted = accepted;
        *accepted
    };
    let stream = match tls {
        Some(config) => match Box::pin(accept_tls(tcp, config)).await {
            Ok(stream) => stream,
            Err(e) => return eprintln!("{peer}: TLS: {e}"),
        },
        None => MaybeTlsStream::Plain(tcp),
    };
    let mut ws = match accept_with(stream, options(streaming), |_| Decision::accept()).await {
        Ok(ws) => ws,
        Err(e) => return eprintln!("{peer}: handshake: {e}"),
    };
    if streaming {
        let peer = ws.peer_addr();
        Box::pin(async move { report(peer, echo_streaming(ws).await) }).await;
    } else {
        let echoed = echo(&mut ws).await;
        report(ws.peer_addr(), echoed);
    }
}

fn main() -> std::io::Result<()> {
    let Args {
        addr,
        tls,
        streaming,
    } = parse_args().map_err(std::io::Error::other)?;
    smol::block_on(async {
        let listener = TcpListener::bind(addr.as_str()).await?;
        println!("listening on {}", listener.local_addr()?);
        std::io::stdout().flush()?;
        loop {
            let (tcp, peer) = match listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    eprintln!("accept: {e}");
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let tls = tls.clone();
            smol::spawn(serve(Box::new(Accepted {
                tcp,
                peer,
                tls,
                streaming,
            })))
            .detach();
        }
    })
}
