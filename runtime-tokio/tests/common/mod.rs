//! Test helpers: an echo server on 127.0.0.1:0, a time limit.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use websock_tokio::{accept_with, Decision, Request, ServerOptions};

/// Fails the test instead of hanging.
pub async fn within<F: Future>(secs: u64, fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(secs), fut)
        .await
        .expect("timed out")
}

/// An echo server (text and binary) accepting every request; returns its address.
pub async fn echo_server() -> SocketAddr {
    serve(|_| Decision::accept()).await
}

/// An echo server whose requests are decided by `decide`.
pub async fn serve<F>(decide: F) -> SocketAddr
where
    F: Fn(&Request) -> Decision + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let decide = Arc::new(decide);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let decide = decide.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = accept_with(tcp, ServerOptions::default(), |r| decide(r)).await
                else {
                    return;
                };
                while let Some(Ok(message)) = ws.recv().await {
                    if ws.send(message).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr
}
