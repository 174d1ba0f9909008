//! wss:// over loopback with a self-signed certificate made at test time.
#![cfg(feature = "tls")]

mod common;

use std::thread;
use std::time::Duration;

use common::{listener, tls_configs, within};
use websock_std::{
    accept, connect, connect_with, BrowserEvent, ClientOptions, Error, Message, MessageData,
    WebSocket,
};

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
fn wss_round_trip_and_close() {
    within(30, || {
        let (port, server, client_config) = tls_echo_server();
        let options = ClientOptions::default().tls_config(client_config.into());
        let mut ws = connect_with(&format!("wss://localhost:{port}/secure"), options).unwrap();
        ws.send(Message::text("over TLS")).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::text("over TLS"));
        let big: Vec<u8> = (0..3_000_000u32).map(|i| i as u8).collect();
        ws.send(Message::binary(big.clone())).unwrap();
        assert_eq!(ws.recv().unwrap().unwrap(), Message::binary(big));
        ws.close(Some(3000), "tls bye").unwrap();
        assert!(ws.recv().is_none());
        assert!(ws.close_event().unwrap().was_clean);
        assert_eq!(server.join().unwrap(), Some(3000));
    });
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

#[test]
fn untrusted_certificate_is_a_tls_error() {
    within(30, || {
        let (port, _server, _) = tls_echo_server();
        // The default configuration trusts the webpki roots, not our certificate.
        match connect(&format!("wss://localhost:{port}/")) {
            Err(Error::Tls(_)) => {}
            other => panic!("expected a TLS error, got {other:?}"),
        }
    });
}

#[test]
fn browser_face_over_wss() {
    within(30, || {
        let (port, server, client_config) = tls_echo_server();
        let options = ClientOptions::default().tls_config(client_config.into());
        let ws = WebSocket::with_options(&format!("wss://localhost:{port}"), options).unwrap();
        let next = || ws.next_event_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(next(), BrowserEvent::Open);
        ws.send("secure hello").unwrap();
        assert_eq!(
            next(),
            BrowserEvent::Message(MessageData::Text("secure hello".into()))
        );
        ws.close(None, None).unwrap();
        assert!(matches!(next(), BrowserEvent::Close(c) if c.was_clean));
        assert_eq!(server.join().unwrap(), Some(1005));
    });
}

/// The first bytes of a TLS record, then one more byte each `every` (never a whole
/// record), until the peer hangs up.
fn trickle(mut tcp: std::net::TcpStream, every: Duration) {
    use std::io::Write;
    if tcp.write_all(&[0x16, 0x03, 0x01, 0x40, 0x00]).is_err() {
        return;
    }
    while tcp.write_all(&[0x01]).is_ok() {
        thread::sleep(every);
    }
}

#[test]
fn tls_accept_gives_up_on_a_trickling_client_at_its_deadline() {
    within(20, || {
        let (server_config, _) = tls_configs();
        let (l, addr) = listener();
        let client = thread::spawn(move || {
            let tcp = std::net::TcpStream::connect(addr).unwrap();
            trickle(tcp, Duration::from_millis(100));
        });
        let (tcp, _) = l.accept().unwrap();
        let started = std::time::Instant::now();
        let result =
            websock_std::tls::accept_tls_within(tcp, server_config, Duration::from_millis(800));
        let took = started.elapsed();
        assert!(
            matches!(
                result,
                Err(Error::Protocol(websock_core::Error::HandshakeTimeout))
            ),
            "{result:?}"
        );
        assert!(took >= Duration::from_millis(700), "{took:?}");
        assert!(took < Duration::from_millis(1800), "held for {took:?}");
        drop(result);
        client.join().unwrap();
    });
}

#[test]
fn a_trickling_tls_server_cannot_stretch_the_client_handshake_deadline() {
    within(20, || {
        let (_, client_config) = tls_configs();
        let (l, addr) = listener();
        let server = thread::spawn(move || {
            let (tcp, _) = l.accept().unwrap();
            trickle(tcp, Duration::from_millis(100));
        });
        let mut options = ClientOptions::default().tls_config(client_config);
        options.timeouts.handshake = Some(Duration::from_secs(1));
        let started = std::time::Instant::now();
        let result = connect_with(&format!("wss://localhost:{}/", addr.port()), options);
        let took = started.elapsed();
        assert!(
            matches!(
                result,
                Err(Error::Protocol(websock_core::Error::HandshakeTimeout))
            ),
            "{:?}",
            result.map(|_| ())
        );
        assert!(took < Duration::from_secs(2), "held for {took:?}");
        server.join().unwrap();
    });
}
