//! What only websock-std does over TLS: the split halves take turns on one TLS stream
//! (a `rustls::StreamOwned` cannot be cloned; the receiver reads with a short timeout).
//!
//! `wss://` behaviour the three runtimes share is in `tests/tests/tls.rs`, and the time
//! limits over TLS in `tests/tests/time_accounting.rs` (package websock-tests).
#![cfg(feature = "tls")]

mod common;

use std::thread;
use std::time::Duration;

use common::{listener, tls_configs, within};
use websock_std::{accept, connect_with, ClientOptions, Message};

/// A TLS echo server for one connection; returns the close code it saw.
fn tls_echo_server() -> (
    u16,
    thread::JoinHandle<Option<u16>>,
    websock_std::rustls::ClientConfig,
) {
    let (server_config, client_config) = tls_configs();
    let (l, addr) = listener();
    let handle = thread::spawn(move || {
        let (tcp, _) = l.accept().unwrap();
        let stream = websock_std::tls::accept_tls(tcp, server_config).unwrap();
        let ws = accept(stream).ok()?;
        Some(common::echo_custom(ws))
    });
    (addr.port(), handle, (*client_config).clone())
}

#[test]
fn wss_split_halves_take_turns_on_one_stream() {
    within(30, || {
        let (port, server, client_config) = tls_echo_server();
        let options = ClientOptions::default().tls_config(client_config.into());
        let ws = connect_with(&format!("wss://localhost:{port}/"), options).unwrap();
        let (tx, mut rx) = ws.split();
        let reader = thread::spawn(move || {
            let mut n = 0;
            while let Some(m) = rx.recv() {
                m.unwrap();
                n += 1;
            }
            n
        });
        for i in 0..50 {
            tx.send(Message::text(format!("m{i}"))).unwrap();
        }
        thread::sleep(Duration::from_millis(300));
        tx.close(Some(1000), "").unwrap();
        assert_eq!(reader.join().unwrap(), 50);
        assert_eq!(server.join().unwrap(), Some(1000));
    });
}
