//! Helpers shared by the tests: timeouts, listeners on port 0, an echo server, a raw
//! TCP peer that speaks just enough HTTP.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use async_net::{TcpListener, TcpStream};
use futures_lite::{AsyncReadExt as _, AsyncWriteExt as _};
use websock_smol::{accept_with, ClientOptions, Decision, ServerOptions, WebSocketStream};

/// Runs a test body on smol with an overall limit, so nothing hangs forever.
pub fn run<T>(f: impl Future<Output = T>) -> T {
    smol::block_on(within(Duration::from_secs(30), f))
}

/// `f`'s output, or a panic once `d` has passed.
pub async fn within<T>(d: Duration, f: impl Future<Output = T>) -> T {
    try_within(d, f).await.expect("timed out")
}

/// `Some(f's output)`, or `None` once `d` has passed.
pub async fn try_within<T>(d: Duration, f: impl Future<Output = T>) -> Option<T> {
    futures_lite::future::or(async { Some(f.await) }, async {
        async_io::Timer::after(d).await;
        None
    })
    .await
}

/// A listener on 127.0.0.1, port 0.
pub async fn listen() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// `ws://127.0.0.1:PORT/path`.
pub fn ws_url(addr: SocketAddr, path: &str) -> String {
    format!("ws://{addr}{path}")
}

/// Client options for tests (no bad-port check: port 0 gives any port).
pub fn client_options() -> ClientOptions {
    ClientOptions::default().check_bad_ports(false)
}

/// Echoes every message until the connection ends.
pub async fn echo<S>(mut ws: WebSocketStream<S>)
where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    while let Some(Ok(m)) = ws.recv().await {
        if ws.send(m).await.is_err() {
            break;
        }
    }
}

/// Spawns an echo server accepting connections forever; returns its address.
pub async fn echo_server(options: ServerOptions) -> SocketAddr {
    let (listener, addr) = listen().await;
    smol::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let options = options.clone();
            smol::spawn(async move {
                if let Ok(ws) = accept_with(tcp, options, |_| Decision::accept()).await {
                    echo(ws).await;
                }
            })
            .detach();
        }
    })
    .detach();
    addr
}

/// Reads an HTTP head (up to the blank line) from `tcp`.
pub async fn read_head(tcp: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if tcp.read(&mut byte).await.unwrap_or(0) == 0 {
            break;
        }
        head.push(byte[0]);
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A raw server that answers one upgrade request with a valid 101 and then neither
/// reads nor writes again (a peer gone silent). The stream stays open until the task
/// is dropped.
pub async fn silent_server() -> (SocketAddr, smol::Task<()>) {
    let (listener, addr) = listen().await;
    let task = smol::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let head = read_head(&mut tcp).await;
        let key = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("sec-websocket-key")
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default();
        let accept = websock_core::handshake::accept_key(key.as_bytes());
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        tcp.write_all(response.as_bytes()).await.unwrap();
        std::future::pending::<()>().await;
        drop(tcp);
    });
    (addr, task)
}

/// A raw server that accepts TCP connections and never answers (the handshake
/// never completes).
pub async fn mute_server() -> (SocketAddr, smol::Task<()>) {
    let (listener, addr) = listen().await;
    let task = smol::spawn(async move {
        let mut held = Vec::new();
        while let Ok((tcp, _)) = listener.accept().await {
            held.push(tcp);
        }
    });
    (addr, task)
}

/// `n` pseudo-random bytes (xorshift): data permessage-deflate (on by default) cannot
/// shrink, for tests that need bytes to pile up on the wire.
pub fn incompressible(n: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

/// Reads the upgrade request on an accepted TCP connection and answers 101 by hand (no
/// subprotocol, no extension): a peer whose WebSocket side the test controls itself.
pub async fn upgrade_by_hand(tcp: &mut TcpStream) {
    let mut reader = websock_core::handshake::HeadReader::new(16 << 10, 64);
    let mut buf = [0u8; 1024];
    loop {
        let n = tcp.read(&mut buf).await.unwrap();
        assert!(n > 0, "client left during the handshake");
        if reader.feed(&buf[..n]).unwrap().is_some() {
            break;
        }
    }
    let request = reader.parse_request().unwrap();
    let mut out = Vec::new();
    websock_core::handshake::encode_accept(&request, None, None, &[], &mut out).unwrap();
    tcp.write_all(&out).await.unwrap();
}
