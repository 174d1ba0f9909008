//! wss:// with rustls: a self-signed certificate made at test time.
#![cfg(feature = "tls")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use websock_smol::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use websock_smol::tls::{accept_tls, client_config_trusting, server_config};
use websock_smol::{accept, connect_with, BrowserEvent, Error, Message, MessageData, WebSocket};

struct TestCert {
    cert: CertificateDer<'static>,
    server: Arc<websock_smol::rustls::ServerConfig>,
}

fn test_cert() -> TestCert {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = made.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.key_pair.serialize_der()));
    let server = server_config(vec![cert.clone()], key).unwrap();
    TestCert { cert, server }
}

/// A wss echo server; returns its port.
async fn tls_echo_server(config: Arc<websock_smol::rustls::ServerConfig>) -> u16 {
    let (listener, addr) = listen().await;
    smol::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let config = config.clone();
            smol::spawn(async move {
                let Ok(tls) = accept_tls(tcp, config).await else {
                    return;
                };
                if let Ok(ws) = accept(tls).await {
                    echo(ws).await;
                }
            })
            .detach();
        }
    })
    .detach();
    addr.port()
}

#[test]
fn wss_round_trip_and_clean_close() {
    run(async {
        let cert = test_cert();
        let port = tls_echo_server(cert.server.clone()).await;
        let options = client_options().tls_config(client_config_trusting([cert.cert]).unwrap());
        let mut ws = connect_with(&format!("wss://localhost:{port}/secure"), options)
            .await
            .unwrap();
        ws.send(Message::text("secret")).await.unwrap();
        assert_eq!(ws.recv().await.unwrap().unwrap(), Message::text("secret"));
        for size in [0, 70_000, 3 << 20] {
            let payload: Vec<u8> = (0..size).map(|i| (i % 253) as u8).collect();
            ws.send(Message::binary(payload.clone())).await.unwrap();
            assert_eq!(ws.recv().await.unwrap().unwrap(), Message::binary(payload));
        }
        ws.close(Some(1000), "tls bye").await.unwrap();
        assert!(within(Duration::from_secs(5), ws.recv()).await.is_none());
        assert!(ws.close_event().unwrap().was_clean);
    });
}

#[test]
fn an_untrusted_certificate_is_a_tls_error() {
    run(async {
        let cert = test_cert();
        let port = tls_echo_server(cert.server.clone()).await;
        // Default options trust the webpki roots only.
        let err = connect_with(&format!("wss://localhost:{port}/"), client_options())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Tls(_)), "{err:?}");
    });
}

#[test]
fn the_browser_face_over_wss() {
    run(async {
        let cert = test_cert();
        let port = tls_echo_server(cert.server.clone()).await;
        let options = client_options().tls_config(client_config_trusting([cert.cert]).unwrap());
        let ws = WebSocket::with_options(&format!("wss://localhost:{port}"), options).unwrap();
        assert_eq!(ws.url(), format!("wss://localhost:{port}/"));
        assert_eq!(
            within(Duration::from_secs(10), ws.next_event()).await,
            Some(BrowserEvent::Open)
        );
        ws.send("over tls").unwrap();
        assert_eq!(
            within(Duration::from_secs(10), ws.next_event()).await,
            Some(BrowserEvent::Message(MessageData::Text("over tls".into())))
        );
        ws.close(None, None).unwrap();
        let Some(BrowserEvent::Close(ev)) = within(Duration::from_secs(10), ws.next_event()).await
        else {
            panic!("no close event")
        };
        assert_eq!((ev.code, ev.was_clean), (1005, true));
    });
}

#[test]
fn tls_accept_gives_up_on_a_silent_client_at_its_deadline() {
    smol::block_on(async {
        let TestCert { server, .. } = test_cert();
        let (listener, addr) = listen().await;
        // Connects, then says nothing.
        let _silent = smol::net::TcpStream::connect(addr).await.unwrap();
        let (tcp, _) = listener.accept().await.unwrap();
        let started = std::time::Instant::now();
        let result = within(
            Duration::from_secs(10),
            websock_smol::tls::accept_tls_within(tcp, server, Duration::from_millis(500)),
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
        assert!(took >= Duration::from_millis(450), "{took:?}");
        assert!(took < Duration::from_secs(2), "held for {took:?}");
    });
}
