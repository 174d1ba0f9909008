//! The idiomatic API, client and server of this runtime over loopback TCP.

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt as _};
use websock_smol::{
    accept, accept_with, client_handshake, connect_with, Bytes, Decision, DeflateConfig, Error,
    HandshakeError, Incoming, Message, MessageKind, ReadyState, SendError, ServerOptions,
};

#[test]
fn text_and_binary_of_many_sizes_round_trip() {
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let mut ws = connect_with(&ws_url(addr, "/echo"), client_options())
            .await
            .unwrap();
        ws.send(Message::text("hello, wörld")).await.unwrap();
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::text("hello, wörld")
        );
        for size in [0, 1, 125, 126, 65_535, 65_536, 3 << 20] {
            let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
            ws.send(Message::binary(payload.clone())).await.unwrap();
            let back = ws.recv().await.unwrap().unwrap();
            assert_eq!(back, Message::binary(payload), "size {size}");
        }
        assert_eq!(ws.ready_state(), ReadyState::Open);
    });
}

#[test]
fn fragments_are_reassembled_with_a_ping_between() {
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let mut ws = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        ws.send_fragment(MessageKind::Text, Bytes::from_static(b"frag"), false)
            .await
            .unwrap();
        ws.ping(Bytes::from_static(b"between")).unwrap();
        ws.send_fragment(MessageKind::Text, Bytes::from_static(b"men"), false)
            .await
            .unwrap();
        // A new message while one is unfinished is refused.
        assert!(matches!(
            ws.send(Message::text("no")).await,
            Err(Error::Send(SendError::FragmentOrder))
        ));
        ws.send_fragment(MessageKind::Text, Bytes::from_static(b"ted"), true)
            .await
            .unwrap();
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::text("fragmented")
        );
    });
}

#[test]
fn ping_payload_over_125_bytes_is_refused() {
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let mut ws = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        assert!(matches!(
            ws.ping(vec![0u8; 126]),
            Err(Error::Send(SendError::ControlFrameTooLong))
        ));
        ws.ping(vec![7u8; 125]).unwrap();
        ws.send(Message::text("still open")).await.unwrap();
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::text("still open")
        );
    });
}

#[test]
fn client_closes_with_code_and_reason() {
    run(async {
        let (listener, addr) = listen().await;
        let server = smol::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = accept(tcp).await.unwrap();
            assert!(ws.recv().await.is_none());
            ws.close_event().unwrap()
        });
        let mut ws = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        ws.close(Some(4000), "bye now").await.unwrap();
        assert!(matches!(
            ws.ready_state(),
            ReadyState::Closing | ReadyState::Closed
        ));
        assert!(ws.recv().await.is_none());
        let mine = ws.close_event().unwrap();
        assert!(mine.was_clean);
        assert_eq!(mine.code, 4000);
        assert_eq!(ws.ready_state(), ReadyState::Closed);
        let theirs = server.await;
        assert_eq!(
            (theirs.code, theirs.reason.as_str(), theirs.was_clean),
            (4000, "bye now", true)
        );
        assert!(matches!(
            ws.send(Message::text("late")).await,
            Err(Error::Closed)
        ));
    });
}

#[test]
fn server_closes_with_code_and_reason() {
    run(async {
        let (listener, addr) = listen().await;
        let server = smol::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = accept(tcp).await.unwrap();
            ws.close(Some(4001), "server says bye").await.unwrap();
            assert!(ws.recv().await.is_none());
            ws.close_event().unwrap()
        });
        let mut ws = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        assert!(ws.recv().await.is_none());
        let ev = ws.close_event().unwrap();
        assert_eq!(
            (ev.code, ev.reason.as_str(), ev.was_clean),
            (4001, "server says bye", true)
        );
        assert!(server.await.was_clean);
    });
}

#[test]
fn invalid_close_arguments_are_refused() {
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let mut ws = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        assert!(matches!(
            ws.close(Some(1005), "").await,
            Err(Error::Api(websock_smol::ApiError::InvalidAccess))
        ));
        let long = "x".repeat(124);
        assert!(matches!(
            ws.close(Some(1000), &long).await,
            Err(Error::Api(websock_smol::ApiError::Syntax))
        ));
        assert_eq!(ws.ready_state(), ReadyState::Open);
    });
}

#[test]
fn server_sees_the_request_and_picks_a_protocol() {
    run(async {
        let (listener, addr) = listen().await;
        let server = smol::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let ws = accept_with(tcp, ServerOptions::default(), |req| {
                assert_eq!(req.path, "/chat?room=1");
                assert_eq!(req.origin(), Some("https://example.test"));
                assert_eq!(req.protocols(), ["chat.v2", "chat.v1"]);
                Decision::Accept {
                    protocol: Some("chat.v1".into()),
                    headers: vec![("X-Served-By".into(), "smol".into())],
                }
            })
            .await
            .unwrap();
            assert_eq!(ws.protocol(), Some("chat.v1"));
            assert_eq!(
                ws.request().unwrap().header_str("authorization"),
                Some("Bearer t")
            );
            echo(ws).await;
        });
        let options = client_options()
            .protocols(["chat.v2", "chat.v1"])
            .header("Origin", "https://example.test")
            .header("Authorization", "Bearer t");
        let mut ws = connect_with(&ws_url(addr, "/chat?room=1"), options)
            .await
            .unwrap();
        assert_eq!(ws.protocol(), Some("chat.v1"));
        assert_eq!(ws.response().unwrap().status, 101);
        assert_eq!(
            ws.response().unwrap().header_str("x-served-by"),
            Some("smol")
        );
        ws.close(None, "").await.unwrap();
        while ws.recv().await.is_some() {}
        server.await;
    });
}

#[test]
fn a_rejection_with_403_is_an_error_on_both_sides() {
    run(async {
        let (listener, addr) = listen().await;
        let server = smol::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            accept_with(tcp, ServerOptions::default(), |req| {
                if req.origin() == Some("https://evil.test") {
                    Decision::reject(403)
                } else {
                    Decision::accept()
                }
            })
            .await
        });
        let options = client_options().header("Origin", "https://evil.test");
        let err = connect_with(&ws_url(addr, "/"), options).await.unwrap_err();
        assert!(
            matches!(err, Error::Handshake(HandshakeError::UnexpectedStatus(403))),
            "{err:?}"
        );
        let server_err = server.await.unwrap_err();
        assert!(
            matches!(server_err, Error::Handshake(HandshakeError::Rejected(403))),
            "{server_err:?}"
        );
    });
}

#[test]
fn a_plain_http_request_gets_an_http_error() {
    run(async {
        let (listener, addr) = listen().await;
        let server = smol::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            accept(tcp).await
        });
        let mut tcp = async_net::TcpStream::connect(addr).await.unwrap();
        use futures_lite::AsyncWriteExt as _;
        tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let head = read_head(&mut tcp).await;
        assert!(head.starts_with("HTTP/1.1 4"), "{head}");
        assert!(matches!(server.await, Err(Error::Handshake(_))));
    });
}

#[test]
fn stream_and_sink_traits() {
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let mut ws = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        for i in 0..10 {
            ws.feed(Message::text(format!("m{i}"))).await.unwrap();
        }
        ws.flush().await.unwrap();
        let got: Vec<Message> = (&mut ws).take(10).map(Result::unwrap).collect().await;
        let want: Vec<Message> = (0..10).map(|i| Message::text(format!("m{i}"))).collect();
        assert_eq!(got, want);
        SinkExt::close(&mut ws).await.unwrap();
        assert!(ws.next().await.is_none());
        assert_eq!(ws.close_event().unwrap().code, 1000);
    });
}

#[test]
fn split_halves_work_from_two_threads() {
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let ws = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        let (mut tx, mut rx) = ws.split();
        let n = 2000;
        let sender = std::thread::spawn(move || {
            smol::block_on(async {
                for i in 0..n {
                    tx.send(Message::text(format!("{i}"))).await.unwrap();
                }
                tx
            })
        });
        let receiver = std::thread::spawn(move || {
            smol::block_on(async {
                for i in 0..n {
                    let m = rx.recv().await.unwrap().unwrap();
                    assert_eq!(m, Message::text(format!("{i}")));
                }
                rx
            })
        });
        let mut tx = smol::unblock(move || sender.join().unwrap()).await;
        let mut rx = smol::unblock(move || receiver.join().unwrap()).await;
        tx.close(Some(1000), "done").await.unwrap();
        assert!(rx.recv().await.is_none());
        assert!(rx.close_event().unwrap().was_clean);
    });
}

#[test]
fn handshake_over_a_stream_the_caller_opened() {
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let tcp = async_net::TcpStream::connect(addr).await.unwrap();
        let mut ws = client_handshake(tcp, "ws://example.test/custom", client_options())
            .await
            .unwrap();
        ws.send(Message::text("over my stream")).await.unwrap();
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::text("over my stream")
        );
    });
}

#[test]
fn from_upgraded_streams_talk_to_each_other() {
    run(async {
        let (listener, addr) = listen().await;
        let server = smol::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let ws = websock_smol::from_upgraded(
                tcp,
                websock_smol::Role::Server,
                None,
                Default::default(),
            );
            echo(ws).await;
        });
        let tcp = async_net::TcpStream::connect(addr).await.unwrap();
        let mut ws = websock_smol::from_upgraded(
            tcp,
            websock_smol::Role::Client,
            Some("p".into()),
            Default::default(),
        );
        assert_eq!(ws.protocol(), Some("p"));
        ws.send(Message::binary(vec![1, 2, 3])).await.unwrap();
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::binary(vec![1, 2, 3])
        );
        ws.close(None, "").await.unwrap();
        assert!(ws.recv().await.is_none());
        assert_eq!(ws.close_event().unwrap().code, 1005);
        server.await;
    });
}

#[test]
fn connecting_to_a_closed_port_is_an_io_error() {
    run(async {
        let (listener, addr) = listen().await;
        drop(listener);
        let err = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Io(_)), "{err:?}");
    });
}

#[cfg(not(feature = "tls"))]
#[test]
fn wss_without_the_tls_feature_is_a_url_error_before_connecting() {
    run(async {
        // Port 1: nothing is listening; the URL is refused before any connection.
        let err = connect_with("wss://127.0.0.1:1/", client_options())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Url(websock_smol::ApiError::Syntax)),
            "{err:?}"
        );
    });
}

#[test]
fn a_bad_subprotocol_list_is_a_url_error_before_connecting() {
    run(async {
        // Port 1: nothing is listening; the list is refused before any connection.
        for protocols in [&["a b"][..], &["chat", "CHAT"]] {
            let options = client_options().protocols(protocols.iter().copied());
            let err = connect_with("ws://127.0.0.1:1/", options)
                .await
                .unwrap_err();
            assert!(
                matches!(err, Error::Url(websock_smol::ApiError::Syntax)),
                "{protocols:?}: {err:?}"
            );
        }
    });
}

#[test]
fn bad_urls_are_refused_before_connecting() {
    run(async {
        for (url, want) in [
            ("ftp://x", websock_smol::ApiError::Syntax),
            ("ws://x/#frag", websock_smol::ApiError::Syntax),
        ] {
            let err = websock_smol::connect(url).await.unwrap_err();
            assert!(matches!(err, Error::Url(e) if e == want), "{url}: {err:?}");
        }
        // The bad-port check is the browser's; `connect` applies it when asked to.
        let checked = client_options().check_bad_ports(true);
        let err = connect_with("ws://127.0.0.1:25/", checked)
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::Url(websock_smol::ApiError::Security)),
            "{err:?}"
        );
    });
}

#[test]
fn the_server_dying_mid_connection_is_reported() {
    run(async {
        let (listener, addr) = listen().await;
        let server = smol::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            upgrade_by_hand(&mut tcp).await;
            // Wait forever; the test drops this task to kill the server abruptly (its
            // TCP connection goes with it, without a Close frame).
            std::future::pending::<()>().await;
            drop(tcp);
        });
        let mut ws = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        ws.send(Message::text("hi")).await.unwrap();
        async_io::Timer::after(Duration::from_millis(50)).await;
        let _ = server.cancel().await;
        let first = ws.recv().await;
        assert!(
            matches!(first, Some(Err(Error::Io(_) | Error::Protocol(_)))),
            "{first:?}"
        );
        assert!(ws.recv().await.is_none());
        let ev = ws.close_event().unwrap();
        assert_eq!((ev.code, ev.was_clean), (1006, false));
    });
}

#[test]
fn a_ping_from_the_peer_and_the_pong_answer_are_seen_by_recv_incoming() {
    run(async {
        let (listener, addr) = listen().await;
        let server = smol::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = accept(tcp).await.unwrap();
            ws.ping(Bytes::from_static(b"are you there")).unwrap();
            // The client's automatic pong is reported, then its message.
            let pong = within(Duration::from_secs(5), ws.recv_incoming()).await;
            assert_eq!(
                pong.unwrap().unwrap(),
                Incoming::Pong(Bytes::from_static(b"are you there"))
            );
            let message = within(Duration::from_secs(5), ws.recv_incoming()).await;
            assert_eq!(
                message.unwrap().unwrap(),
                Incoming::Message(Message::text("after the ping"))
            );
        });
        let mut ws = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        let ping = within(Duration::from_secs(5), ws.recv_incoming()).await;
        assert_eq!(
            ping.unwrap().unwrap(),
            Incoming::Ping(Bytes::from_static(b"are you there"))
        );
        ws.send(Message::text("after the ping")).await.unwrap();
        within(Duration::from_secs(5), server).await;
    });
}

#[test]
fn permessage_deflate_is_negotiated_by_default_and_can_be_declined() {
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let mut ws = connect_with(&ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        assert!(
            ws.extensions().starts_with("permessage-deflate"),
            "{}",
            ws.extensions()
        );
        let text = "compress me ".repeat(10_000);
        ws.send(Message::text(text.as_str())).await.unwrap();
        assert_eq!(
            ws.recv().await.unwrap().unwrap(),
            Message::text(text.as_str())
        );

        let addr = echo_server(ServerOptions::default()).await;
        let off = DeflateConfig {
            enabled: false,
            ..Default::default()
        };
        let mut ws = connect_with(&ws_url(addr, "/"), client_options().deflate(off))
            .await
            .unwrap();
        assert_eq!(ws.extensions(), "");
        ws.send(Message::text("plain")).await.unwrap();
        assert_eq!(ws.recv().await.unwrap().unwrap(), Message::text("plain"));
    });
}

/// A transport that counts the bytes written through it (what the peer receives).
struct CountingStream {
    inner: async_net::TcpStream,
    written: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl futures_lite::io::AsyncRead for CountingStream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl futures_lite::io::AsyncWrite for CountingStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = std::pin::Pin::new(&mut this.inner).poll_write(cx, buf);
        if let std::task::Poll::Ready(Ok(n)) = polled {
            this.written
                .fetch_add(n, std::sync::atomic::Ordering::SeqCst);
        }
        polled
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_close(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}

#[test]
fn send_uncompressed_skips_permessage_deflate() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let written = Arc::new(AtomicUsize::new(0));
        let tcp = async_net::TcpStream::connect(addr).await.unwrap();
        let stream = CountingStream {
            inner: tcp,
            written: written.clone(),
        };
        let mut ws = client_handshake(stream, &ws_url(addr, "/"), client_options())
            .await
            .unwrap();
        assert!(
            ws.extensions().starts_with("permessage-deflate"),
            "{}",
            ws.extensions()
        );
        // 64 KiB that deflate shrinks to a few hundred bytes.
        let message = Message::binary(vec![b'z'; 64 * 1024]);
        let five = Duration::from_secs(5);

        let before = written.load(SeqCst);
        ws.send(message.clone()).await.unwrap();
        assert_eq!(within(five, ws.recv()).await.unwrap().unwrap(), message);
        let compressed = written.load(SeqCst) - before;
        assert!(compressed < 4096, "send wrote {compressed} bytes");

        let before = written.load(SeqCst);
        ws.send_uncompressed(message.clone()).await.unwrap();
        assert_eq!(within(five, ws.recv()).await.unwrap().unwrap(), message);
        let plain = written.load(SeqCst) - before;
        assert!(plain > 64 * 1024, "send_uncompressed wrote {plain} bytes");
        assert_eq!(ws.buffered_amount(), 0);

        let before = written.load(SeqCst);
        ws.try_send_uncompressed(message.clone()).unwrap();
        assert_eq!(within(five, ws.recv()).await.unwrap().unwrap(), message);
        assert!(written.load(SeqCst) - before > 64 * 1024);

        let (mut tx, mut rx) = ws.split();
        let before = written.load(SeqCst);
        tx.send_uncompressed(message.clone()).await.unwrap();
        tx.try_send_uncompressed(message.clone()).unwrap();
        for _ in 0..2 {
            assert_eq!(within(five, rx.recv()).await.unwrap().unwrap(), message);
        }
        assert!(written.load(SeqCst) - before > 2 * 64 * 1024);
        assert_eq!(tx.buffered_amount(), 0);
    });
}
