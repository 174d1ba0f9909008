//! Test helpers: servers on 127.0.0.1:0, raw peers, a self-signed certificate.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use websock_core::handshake::{encode_accept, HeadReader};
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

/// A port nobody listens on.
pub async fn unused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

/// A listener whose connections complete the WebSocket handshake by hand and are then
/// handed to `then` as raw TCP (to misbehave: stop reading, go silent, vanish).
pub async fn raw_peer<F, Fut>(then: F) -> SocketAddr
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            upgrade_by_hand(&mut tcp).await;
            tokio::spawn(then(tcp));
        }
    });
    addr
}

/// Reads the upgrade request and answers 101 (no subprotocol).
pub async fn upgrade_by_hand(tcp: &mut TcpStream) {
    let mut reader = HeadReader::new(16 << 10, 64);
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
    encode_accept(&request, None, None, &[], &mut out).unwrap();
    tcp.write_all(&out).await.unwrap();
}

/// A self-signed certificate for `localhost`: (certificate DER, private key DER).
pub fn self_signed() -> (
    websock_tokio::rustls::pki_types::CertificateDer<'static>,
    websock_tokio::rustls::pki_types::PrivateKeyDer<'static>,
) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = websock_tokio::rustls::pki_types::PrivateKeyDer::Pkcs8(
        cert.key_pair.serialize_der().into(),
    );
    (cert.cert.der().clone(), key)
}
