//! The peer address, the local address and the TLS facts of an open connection, the
//! same in every runtime: over `ws://` the client's `peer_addr` is the server's
//! listening address and its `local_addr` is what the server sees as its peer, with no
//! TLS; over `wss://` both sides report TLS 1.3, the client the server's certificate
//! and both the server name the client asked for.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Duration;

use websock_core::tls::TlsInfo;
use websock_tests::facade::each_runtime;
use websock_tests::tls::TestCert;
use websock_tests::Runtime;

/// What one side of a connection reported.
#[derive(Debug, Clone)]
struct Seen {
    peer: Option<SocketAddr>,
    local: Option<SocketAddr>,
    tls: Option<TlsInfo>,
}

macro_rules! seen {
    ($ws:expr) => {
        Seen {
            peer: $ws.peer_addr(),
            local: $ws.local_addr(),
            tls: $ws.tls().cloned(),
        }
    };
}

/// The halves report what the stream does.
macro_rules! check_halves {
    ($ws:ident, $seen:expr) => {{
        let seen = $seen;
        let (tx, rx) = $ws.split();
        assert_eq!(tx.peer_addr(), seen.peer);
        assert_eq!(rx.peer_addr(), seen.peer);
        assert_eq!(tx.local_addr(), seen.local);
        assert_eq!(rx.local_addr(), seen.local);
        assert_eq!(tx.tls(), seen.tls.as_ref());
        assert_eq!(rx.tls(), seen.tls.as_ref());
        (tx, rx)
    }};
}

/// One connection on `rt`, `ws://` or `wss://`: what the client and the server saw, and
/// the server's listening address.
fn connection(rt: Runtime, secure: bool) -> (Seen, Seen, SocketAddr) {
    let cert = TestCert::get();
    let server_tls = secure.then(|| cert.server_config(rt));
    let client_tls = cert.client_config(rt);
    let (to_test, seen_by_server) = mpsc::channel();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let url = |port: u16| {
        if secure {
            format!("wss://localhost:{port}/")
        } else {
            format!("ws://127.0.0.1:{port}/")
        }
    };
    let client = match rt {
        Runtime::Tokio => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                listener.set_nonblocking(true).unwrap();
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                tokio::spawn(async move {
                    let (tcp, _) = listener.accept().await.unwrap();
                    let stream = match server_tls {
                        Some(config) => websock_tokio::tls::accept_tls(tcp, config).await.unwrap(),
                        None => tcp.into(),
                    };
                    let ws = websock_tokio::accept(stream).await.unwrap();
                    to_test.send(seen!(ws)).unwrap();
                    let (_tx, mut rx) = check_halves!(ws, seen!(ws));
                    while rx.recv().await.is_some() {}
                });
                let options = websock_tokio::ClientOptions::default().tls_config(client_tls);
                let ws = websock_tokio::connect_with(&url(addr.port()), options)
                    .await
                    .unwrap();
                let seen = seen!(ws);
                let (tx, _rx) = check_halves!(ws, seen.clone());
                tx.close(Some(1000), "").await.unwrap();
                seen
            })
        }
        Runtime::Smol => smol::block_on(async move {
            let listener = smol::net::TcpListener::try_from(listener).unwrap();
            smol::spawn(async move {
                let (tcp, _) = listener.accept().await.unwrap();
                let stream = match server_tls {
                    Some(config) => websock_smol::tls::accept_tls(tcp, config).await.unwrap(),
                    None => websock_smol::MaybeTlsStream::Plain(tcp),
                };
                let ws = websock_smol::accept(stream).await.unwrap();
                to_test.send(seen!(ws)).unwrap();
                let (_tx, mut rx) = check_halves!(ws, seen!(ws));
                while rx.recv().await.is_some() {}
            })
            .detach();
            let options = websock_smol::ClientOptions::default().tls_config(client_tls);
            let ws = websock_smol::connect_with(&url(addr.port()), options)
                .await
                .unwrap();
            let seen = seen!(ws);
            let (tx, _rx) = check_halves!(ws, seen.clone());
            tx.close(Some(1000), "").await.unwrap();
            seen
        }),
        Runtime::Std => {
            let server = std::thread::spawn(move || {
                let (tcp, _) = listener.accept().unwrap();
                let stream = match server_tls {
                    Some(config) => websock_std::tls::accept_tls(tcp, config).unwrap(),
                    None => websock_std::MaybeTlsStream::Plain(tcp),
                };
                let ws = websock_std::accept(stream).unwrap();
                to_test.send(seen!(ws)).unwrap();
                let (_tx, mut rx) = check_halves!(ws, seen!(ws));
                while rx.recv().is_some() {}
            });
            let options = websock_std::ClientOptions::default().tls_config(client_tls);
            let ws = websock_std::connect_with(&url(addr.port()), options).unwrap();
            let seen = seen!(ws);
            let (tx, mut rx) = check_halves!(ws, seen.clone());
            // The std sender's close needs the receiver receiving on another thread.
            let receiving = std::thread::spawn(move || while rx.recv().is_some() {});
            tx.close(Some(1000), "").unwrap();
            receiving.join().unwrap();
            server.join().unwrap();
            seen
        }
    };
    let server = seen_by_server
        .recv_timeout(Duration::from_secs(10))
        .expect("the server's facts");
    (client, server, addr)
}

#[test]
fn plain_connection_reports_its_addresses_and_no_tls() {
    each_runtime("plain_connection_facts", |rt| {
        let (client, server, listening) = connection(rt, false);
        assert_eq!(client.peer, Some(listening));
        assert_eq!(server.local, Some(listening));
        assert!(client.local.is_some());
        assert_eq!(client.local, server.peer);
        assert!(client.tls.is_none());
        assert!(server.tls.is_none());
    });
}

#[test]
fn tls_connection_reports_the_session() {
    each_runtime("tls_connection_facts", |rt| {
        let (client, server, listening) = connection(rt, true);
        assert_eq!(client.peer, Some(listening));
        assert_eq!(client.local, server.peer);
        let tls = client.tls.expect("client: TLS facts");
        assert_eq!(
            tls.protocol_version,
            Some(websock_std::rustls::ProtocolVersion::TLSv1_3)
        );
        assert!(tls.cipher_suite.is_some_and(|s| s.starts_with("TLS13_")));
        assert_eq!(tls.peer_certificates, vec![TestCert::get().cert.clone()]);
        assert_eq!(tls.server_name.as_deref(), Some("localhost"));
        let tls = server.tls.expect("server: TLS facts");
        assert_eq!(
            tls.protocol_version,
            Some(websock_std::rustls::ProtocolVersion::TLSv1_3)
        );
        assert_eq!(tls.server_name.as_deref(), Some("localhost"));
        assert!(tls.peer_certificates.is_empty());
    });
}
