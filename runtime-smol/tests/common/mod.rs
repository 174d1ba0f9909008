//! Helpers shared by the tests: timeouts, a listener on port 0, an echo server.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use async_net::TcpListener;
use websock_smol::{accept_with, ClientOptions, Decision, ServerOptions, WebSocketStream};

/// Runs a test body on smol with an overall limit, so nothing hangs forever.
pub fn run<T>(f: impl Future<Output = T>) -> T {
    smol::block_on(within(Duration::from_secs(30), f))
}

/// `f`'s output, or a panic once `d` has passed.
pub async fn within<T>(d: Duration, f: impl Future<Output = T>) -> T {
    futures_lite::future::or(async { Some(f.await) }, async {
        async_io::Timer::after(d).await;
        None
    })
    .await
    .expect("timed out")
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
