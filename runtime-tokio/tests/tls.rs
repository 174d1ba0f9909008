//! wss:// between this runtime's client and server, with a self-signed certificate.

mod common;

use std::net::SocketAddr;

use common::{self_signed, within};
use tokio::net::TcpListener;
use websock_tokio::tls::{accept_tls, client_config_trusting, server_config};
use websock_tokio::{
    accept, connect, connect_with, BrowserEvent, ClientOptions, Error, Message, MessageData,
    WebSocket,
};

/// A TLS echo server; returns its address and the client options that trust it.
async fn tls_echo_server() -> (SocketAddr, ClientOptions) {
    let (cert, key) = self_signed();
    let server = server_config(vec![cert.clone()], key).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let server = server.clone();
            tokio::spawn(async move {
                let Ok(stream) = accept_tls(tcp, server).await else {
                    return;
                };
                let Ok(mut ws) = accept(stream).await else {
                    return;
                };
                while let Some(Ok(m)) = ws.recv().await {
                    if ws.send(m).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let options = ClientOptions::new().tls_config(client_config_trusting([cert]).unwrap());
    (addr, options)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_echo_and_close() {
    let (addr, options) = tls_echo_server().await;
    let url = format!("wss://localhost:{}/", addr.port());
    let mut ws = within(5, connect_with(&url, options)).await.unwrap();
    ws.send(Message::text("secret")).await.unwrap();
    assert_eq!(
        within(5, ws.recv()).await.unwrap().unwrap(),
        Message::text("secret")
    );
    let big: Vec<u8> = (0..(2 << 20)).map(|i| (i % 253) as u8).collect();
    ws.send(Message::binary(big.clone())).await.unwrap();
    assert_eq!(
        within(10, ws.recv()).await.unwrap().unwrap(),
        Message::binary(big)
    );
    let close = within(5, ws.close(Some(1000), "done")).await.unwrap();
    assert!(close.was_clean);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_certificate_fails() {
    let (addr, _) = tls_echo_server().await;
    let err = within(5, connect(&format!("wss://localhost:{}/", addr.port())))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Tls(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_face_over_wss() {
    let (addr, options) = tls_echo_server().await;
    let ws =
        WebSocket::with_options(&format!("wss://localhost:{}/", addr.port()), options).unwrap();
    assert_eq!(within(5, ws.next_event()).await, Some(BrowserEvent::Open));
    ws.send("over tls").unwrap();
    assert_eq!(
        within(5, ws.next_event()).await,
        Some(BrowserEvent::Message(MessageData::Text("over tls".into())))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_accept_gives_up_on_a_silent_client_at_its_deadline() {
    let (cert, key) = self_signed();
    let server = server_config(vec![cert], key).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Connects, then says nothing.
    let _silent = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (tcp, _) = listener.accept().await.unwrap();
    let started = std::time::Instant::now();
    let result = within(
        10,
        websock_tokio::tls::accept_tls_within(tcp, server, std::time::Duration::from_millis(500)),
    )
    .await;
    let took = started.elapsed();
    assert!(
        matches!(
            result,
            Err(Error::Protocol(websock_core::Error::HandshakeTimeout))
        ),
        "{:?}",
        result.map(|_| ())
    );
    assert!(took >= std::time::Duration::from_millis(450), "{took:?}");
    assert!(
        took < std::time::Duration::from_secs(2),
        "held for {took:?}"
    );
}
