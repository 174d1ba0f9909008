//! Test helpers: servers on port 0, time limits, a self-signed certificate.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
#[cfg(feature = "tls")]
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use websock_std::{accept_with, Decision, Request, ServerOptions, WebSocketStream};

/// Run `f` on a thread; panic if it does not finish within `secs` seconds.
pub fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the closure returned without sending"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("timed out after {secs} s"),
    }
}

/// A listener on 127.0.0.1, port 0.
pub fn listener() -> (TcpListener, SocketAddr) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    (l, addr)
}

/// A one-connection server: accepts one TCP connection, runs the WebSocket handshake
/// with `decide`, then hands the stream to `serve`. Returns the address and the thread.
pub fn server<F, R>(
    options: ServerOptions,
    decide: fn(&Request) -> Decision,
    serve: F,
) -> (SocketAddr, JoinHandle<Option<R>>)
where
    F: FnOnce(WebSocketStream<TcpStream>) -> R + Send + 'static,
    R: Send + 'static,
{
    let (l, addr) = listener();
    let handle = thread::spawn(move || {
        let (tcp, _) = l.accept().unwrap();
        let ws = accept_with(tcp, options, decide).ok()?;
        Some(serve(ws))
    });
    (addr, handle)
}

/// Echo every message until the connection closes; return the close event's code,
/// reason and cleanliness.
pub fn echo(mut ws: WebSocketStream<TcpStream>) -> Closed {
    while let Some(m) = ws.recv() {
        match m {
            Ok(m) => {
                if ws.send(m).is_err() {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    while ws.recv().is_some() {}
    ws.close_event()
        .map(|c| (c.code, c.reason.clone(), c.was_clean))
}

/// What [`echo`] saw: the close code, reason and cleanliness.
pub type Closed = Option<(u16, String, bool)>;

/// An echo server for one connection.
pub fn echo_server() -> (SocketAddr, JoinHandle<Option<Closed>>) {
    server(ServerOptions::default(), |_| Decision::accept(), echo)
}

/// A self-signed certificate for "localhost": (server config, client config).
#[cfg(feature = "tls")]
pub fn tls_configs() -> (
    Arc<websock_std::rustls::ServerConfig>,
    Arc<websock_std::rustls::ClientConfig>,
) {
    use websock_std::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let der: CertificateDer<'static> = cert.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let server = websock_std::tls::server_config(vec![der.clone()], key).unwrap();
    let client = websock_std::tls::client_config_trusting([der]).unwrap();
    (server, client)
}

/// A raw TCP peer that completes a client handshake by hand; returns the stream
/// positioned after the 101 response.
pub fn raw_client(addr: SocketAddr) -> TcpStream {
    use std::io::{Read, Write};
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(
        b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    s
}

/// A raw TCP server that answers one WebSocket handshake by hand, then gives the
/// stream to `then`.
pub fn raw_server(then: impl FnOnce(TcpStream) + Send + 'static) -> (SocketAddr, JoinHandle<()>) {
    use std::io::{Read, Write};
    let (l, addr) = listener();
    let handle = thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if s.read_exact(&mut byte).is_err() {
                return;
            }
            head.push(byte[0]);
        }
        let text = String::from_utf8_lossy(&head).to_string();
        let key = text
            .lines()
            .find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case("sec-websocket-key")
                    .then(|| v.trim().to_string())
            })
            .unwrap();
        let accept = websock_core::handshake::accept_key(key.as_bytes());
        write!(
            s,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        )
        .unwrap();
        then(s);
    });
    (addr, handle)
}

/// Echo over any transport; return the close code.
pub fn echo_custom<S: websock_std::Transport>(mut ws: WebSocketStream<S>) -> u16 {
    while let Some(Ok(m)) = ws.recv() {
        if ws.send(m).is_err() {
            break;
        }
    }
    while ws.recv().is_some() {}
    ws.close_event().map_or(0, |c| c.code)
}
