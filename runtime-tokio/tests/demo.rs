//! The demo's chat server: the page at `GET /`, WebSocket upgrades on the same port,
//! broadcast to every member, and the demo's in-process browser-face client (`--once`).

#[path = "../examples/demo/chat.rs"]
#[allow(dead_code)]
mod chat;
mod common;

use common::within;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use websock_tokio::{connect, Message};

async fn start() -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(chat::serve(listener));
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_page_that_uses_the_browsers_websocket() {
    let addr = start().await;
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut page = String::new();
    within(5, tcp.read_to_string(&mut page)).await.unwrap();
    assert!(page.starts_with("HTTP/1.1 200 OK"), "{page}");
    assert!(page.contains("new WebSocket("));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_broadcast_to_every_member() {
    let addr = start().await;
    let url = format!("ws://{addr}/");
    let mut alice = within(5, connect(&url)).await.unwrap();
    let mut bob = within(5, connect(&url)).await.unwrap();
    // Both are subscribed once their handshakes are done; give the server a moment.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    alice.send(Message::text("hi all")).await.unwrap();
    assert_eq!(
        within(5, bob.recv()).await.unwrap().unwrap(),
        Message::text("hi all")
    );
    assert_eq!(
        within(5, alice.recv()).await.unwrap().unwrap(),
        Message::text("hi all")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_client_gets_its_hello_back() {
    let addr = start().await;
    let got = within(10, chat::demo_client(&format!("ws://{addr}/"), true))
        .await
        .unwrap();
    assert_eq!(got.as_deref(), Some("Hello Server!"));
}
