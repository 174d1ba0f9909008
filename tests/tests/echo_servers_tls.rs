//! Every runtime's `echo-server` example, core's `mio_echo` and websock-tokio's
//! `hyper-server` and `axum-server` serve `wss://` with `--tls CERT.pem KEY.pem`, and a client that opens a TCP connection and says nothing
//! holds up nobody.
//!
//! The three `echo-server` examples share a name, so each is run from the binary its
//! own build reported ([`start_example`]), never from the shared
//! `target/debug/examples/echo-server`.

use std::net::TcpStream;
use std::time::Duration;

use websock_std::{connect_with, ClientOptions, Message};
use websock_tests::examples::start_example;

/// A self-signed certificate for `localhost`, written as PEM files into a fresh
/// directory; returns the files and the client options that trust it.
fn certificate(dir: &std::path::Path) -> (String, String, ClientOptions) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.key_pair.serialize_pem()).unwrap();
    let trusted = websock_std::tls::client_config_trusting([made.cert.der().clone()]).unwrap();
    let options = ClientOptions::default().tls_config(trusted);
    let path = |p: std::path::PathBuf| p.to_str().unwrap().to_owned();
    (path(cert), path(key), options)
}

fn serves_wss(package: &str, example: &str, features: &[&str]) {
    let dir = std::env::temp_dir().join(format!(
        "websock-tls-{package}-{example}-{}",
        std::process::id()
    ));
    let (cert, key, options) = certificate(&dir);
    let (_server, addr) = start_example(package, example, features, &["--tls", &cert, &key]);
    let port = addr.rsplit(':').next().unwrap();
    // A silent TCP client first: it must not hold up the next one.
    let _silent = TcpStream::connect(&addr).unwrap();
    let mut ws = connect_with(&format!("wss://localhost:{port}/"), options).unwrap();
    ws.send(Message::text("over TLS")).unwrap();
    assert_eq!(ws.recv().unwrap().unwrap(), Message::text("over TLS"));
    let big = Message::binary((0..(1u32 << 20)).map(|i| i as u8).collect::<Vec<u8>>());
    ws.send(big.clone()).unwrap();
    assert_eq!(ws.recv().unwrap().unwrap(), big);
    let closed = ws.close(Some(1000), "done").unwrap();
    assert!(closed.was_clean, "{closed:?}");
    let _ = std::fs::remove_dir_all(dir);
    // A plain-TCP client to a wss server fails its handshake rather than hanging.
    let mut options = ClientOptions::default();
    options.timeouts.handshake = Some(Duration::from_secs(5));
    assert!(connect_with(&format!("ws://{addr}/"), options).is_err());
}

#[test]
fn tokio_echo_server_serves_wss() {
    serves_wss("websock-tokio", "echo-server", &[]);
}

#[test]
fn smol_echo_server_serves_wss() {
    serves_wss("websock-smol", "echo-server", &[]);
}

#[test]
fn std_echo_server_serves_wss() {
    serves_wss("websock-std", "echo-server", &[]);
}

#[test]
fn mio_echo_serves_wss() {
    serves_wss("websock-core", "mio_echo", &[]);
}

#[test]
fn hyper_server_serves_wss() {
    serves_wss("websock-tokio", "hyper-server", &["hyper"]);
}

#[test]
fn axum_server_serves_wss() {
    serves_wss("websock-tokio", "axum-server", &["hyper"]);
}
