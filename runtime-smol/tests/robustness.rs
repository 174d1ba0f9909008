//! Peers that misbehave: one that stops reading, one that goes silent, one that never
//! finishes the handshake.

mod common;

use std::time::Duration;

use common::*;
use websock_smol::{
    accept, accept_with, connect_with, Error, Limits, Message, SendError, ServerOptions, Timeouts,
};

#[test]
fn a_peer_that_stops_reading_blocks_the_sender_and_bounds_memory() {
    run(async {
        let (listener, addr) = listen().await;
        // The server completes the handshake, then never reads again.
        let server = smol::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let ws = accept(tcp).await.unwrap();
            std::future::pending::<()>().await;
            drop(ws);
        });
        let limit = 256 << 10;
        let options = client_options().limits(Limits {
            max_send_queue: limit,
            ..Limits::default()
        });
        let mut ws = connect_with(&ws_url(addr, "/"), options).await.unwrap();
        let chunk = incompressible(64 << 10);
        // Sending blocks once the socket buffers are full (well before 256 MiB).
        let mut blocked = false;
        for _ in 0..4096 {
            let send = ws.send(Message::binary(chunk.clone()));
            if try_within(Duration::from_millis(300), send).await.is_none() {
                blocked = true;
                break;
            }
        }
        assert!(blocked, "send never blocked on a peer that does not read");
        // Without waiting, the queue fills up to its limit and then reports Full.
        let mut full = false;
        for _ in 0..100 {
            match ws.try_send(Message::binary(chunk.clone())) {
                Ok(()) => {}
                Err(Error::Send(SendError::Full)) => {
                    full = true;
                    break;
                }
                Err(e) => panic!("unexpected {e:?}"),
            }
        }
        assert!(full, "try_send never reported Full");
        assert!(
            ws.send_queue_len() <= limit + chunk.len() + 64,
            "{}",
            ws.send_queue_len()
        );
        drop(server);
    });
}

#[test]
fn keepalive_detects_a_silent_peer() {
    run(async {
        let (addr, server) = silent_server().await;
        let options = client_options().timeouts(Timeouts {
            keepalive_interval: Some(Duration::from_millis(100)),
            keepalive_timeout: Duration::from_millis(200),
            ..Timeouts::default()
        });
        let mut ws = connect_with(&ws_url(addr, "/"), options).await.unwrap();
        let started = std::time::Instant::now();
        let got = within(Duration::from_secs(5), ws.recv()).await;
        assert!(
            matches!(
                got,
                Some(Err(Error::Protocol(websock_core::Error::KeepaliveTimeout)))
            ),
            "{got:?}"
        );
        assert!(started.elapsed() >= Duration::from_millis(250));
        assert!(within(Duration::from_secs(5), ws.recv()).await.is_none());
        let ev = ws.close_event().unwrap();
        assert_eq!((ev.code, ev.was_clean), (1006, false));
        drop(server);
    });
}

#[test]
fn keepalive_keeps_a_live_connection_open() {
    run(async {
        // The echo server answers pings while it waits in `recv`.
        let addr = echo_server(ServerOptions::default()).await;
        let options = client_options().timeouts(Timeouts {
            keepalive_interval: Some(Duration::from_millis(50)),
            keepalive_timeout: Duration::from_millis(100),
            ..Timeouts::default()
        });
        let mut ws = connect_with(&ws_url(addr, "/"), options).await.unwrap();
        // Several keepalive rounds pass without anything to receive.
        assert!(try_within(Duration::from_millis(500), ws.recv())
            .await
            .is_none());
        ws.send(Message::text("still here")).await.unwrap();
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::text("still here")
        );
    });
}

#[test]
fn a_server_that_never_answers_hits_the_handshake_deadline() {
    run(async {
        let (addr, server) = mute_server().await;
        let options = client_options().timeouts(Timeouts {
            handshake: Some(Duration::from_millis(200)),
            ..Timeouts::default()
        });
        let err = connect_with(&ws_url(addr, "/"), options).await.unwrap_err();
        assert!(
            matches!(err, Error::Protocol(websock_core::Error::HandshakeTimeout)),
            "{err:?}"
        );
        drop(server);
    });
}

#[test]
fn a_client_that_never_sends_its_request_hits_the_handshake_deadline() {
    run(async {
        let (listener, addr) = listen().await;
        let _client = async_net::TcpStream::connect(addr).await.unwrap();
        let (tcp, _) = listener.accept().await.unwrap();
        let options = ServerOptions::default().timeouts(Timeouts {
            handshake: Some(Duration::from_millis(200)),
            ..Timeouts::default()
        });
        let started = std::time::Instant::now();
        let result = accept_with(tcp, options, |_| websock_smol::Decision::accept()).await;
        assert!(
            matches!(
                result,
                Err(Error::Protocol(websock_core::Error::HandshakeTimeout))
            ),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
    });
}

#[test]
fn an_oversized_message_fails_the_connection_with_1009() {
    run(async {
        let (listener, addr) = listen().await;
        let server = smol::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let options = ServerOptions::default().limits(Limits {
                max_message_size: 1000,
                ..Limits::default()
            });
            let mut ws = accept_with(tcp, options, |_| websock_smol::Decision::accept())
                .await
                .unwrap();
            let got = ws.recv().await;
            assert!(matches!(got, Some(Err(Error::Protocol(_)))), "{got:?}");
        });
        let mut ws = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        ws.send(Message::binary(vec![0u8; 1001])).await.unwrap();
        assert!(ws.recv().await.is_none());
        assert_eq!(ws.close_event().unwrap().code, 1009);
        server.await;
    });
}
