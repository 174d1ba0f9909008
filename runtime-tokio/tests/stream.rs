//! The idiomatic API between this runtime's client and server over loopback TCP.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{echo_server, raw_peer, serve, unused_port, within};
use futures_util::StreamExt;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use websock_tokio::{
    accept, connect, connect_with, ClientOptions, Decision, DeflateConfig, Error, HandshakeError,
    Incoming, Limits, Message, MessageKind, SendError, Timeouts,
};

fn url(addr: std::net::SocketAddr) -> String {
    format!("ws://{addr}/echo")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_and_binary_of_many_sizes_echo() {
    let addr = echo_server().await;
    let mut ws = within(5, connect(&url(addr))).await.unwrap();
    ws.send(Message::text("héllo wörld")).await.unwrap();
    assert_eq!(
        ws.recv().await.unwrap().unwrap(),
        Message::text("héllo wörld")
    );
    for size in [0usize, 1, 125, 126, 65_535, 65_536, 3 << 20] {
        let data: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        ws.send(Message::binary(data.clone())).await.unwrap();
        let got = within(10, ws.recv()).await.unwrap().unwrap();
        assert_eq!(got, Message::binary(data), "size {size}");
    }
    ws.send(Message::text("")).await.unwrap();
    assert_eq!(ws.recv().await.unwrap().unwrap(), Message::text(""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragmented_message_arrives_whole() {
    let addr = echo_server().await;
    let mut ws = within(5, connect(&url(addr))).await.unwrap();
    ws.send_fragment(MessageKind::Text, Bytes::from_static(b"frag"), false)
        .await
        .unwrap();
    ws.ping(&b"in between"[..]).unwrap();
    ws.send_fragment(MessageKind::Text, Bytes::from_static(b"men"), false)
        .await
        .unwrap();
    ws.send_fragment(MessageKind::Text, Bytes::from_static(b"ted"), true)
        .await
        .unwrap();
    let got = within(5, ws.recv()).await.unwrap().unwrap();
    assert_eq!(got, Message::text("fragmented"));
    // A new message while one is unfinished is refused.
    ws.send_fragment(MessageKind::Binary, Bytes::from_static(b"a"), false)
        .await
        .unwrap();
    let err = ws.send(Message::text("x")).await.unwrap_err();
    assert!(
        matches!(err, Error::Send(SendError::FragmentOrder)),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ping_gets_pong() {
    let addr = echo_server().await;
    let mut ws = within(5, connect(&url(addr))).await.unwrap();
    ws.ping(&b"are you there"[..]).unwrap();
    let got = within(5, ws.recv_incoming()).await.unwrap().unwrap();
    assert_eq!(got, Incoming::Pong(Bytes::from_static(b"are you there")));
    let err = ws.ping(vec![0u8; 126]).unwrap_err();
    assert!(matches!(err, Error::Send(SendError::ControlFrameTooLong)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permessage_deflate_is_negotiated_by_default_and_can_be_declined() {
    let addr = echo_server().await;
    let mut ws = within(5, connect(&url(addr))).await.unwrap();
    assert!(
        ws.extensions().starts_with("permessage-deflate"),
        "{}",
        ws.extensions()
    );
    let text = "compress me ".repeat(10_000);
    ws.send(Message::text(text.as_str())).await.unwrap();
    let got = within(5, ws.recv()).await.unwrap().unwrap();
    assert_eq!(got, Message::text(text.as_str()));

    let addr = echo_server().await;
    let off = DeflateConfig {
        enabled: false,
        ..Default::default()
    };
    let options = ClientOptions::default().deflate(off);
    let mut ws = within(5, connect_with(&url(addr), options)).await.unwrap();
    assert_eq!(ws.extensions(), "");
    ws.send(Message::text("plain")).await.unwrap();
    let got = within(5, ws.recv()).await.unwrap().unwrap();
    assert_eq!(got, Message::text("plain"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_closes_with_code_and_reason() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = accept(tcp).await.unwrap();
        assert!(within(5, ws.recv()).await.is_none());
        ws.close_event().unwrap()
    });
    let mut ws = within(5, connect(&url(addr))).await.unwrap();
    let mine = within(5, ws.close(Some(4000), "bye")).await.unwrap();
    assert_eq!((mine.code, mine.was_clean), (4000, true));
    let theirs = within(5, server).await.unwrap();
    assert_eq!(
        (theirs.code, theirs.reason.as_str(), theirs.was_clean),
        (4000, "bye", true)
    );
    assert!(matches!(
        ws.send(Message::text("late")).await,
        Err(Error::Closed)
    ));
    assert!(ws.recv().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_closes_with_code_and_reason() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = accept(tcp).await.unwrap();
        ws.send(Message::text("last words")).await.unwrap();
        ws.close(Some(4001), "done").await.unwrap();
    });
    let mut ws = within(5, connect(&url(addr))).await.unwrap();
    assert_eq!(
        ws.recv().await.unwrap().unwrap(),
        Message::text("last words")
    );
    assert!(within(5, ws.recv()).await.is_none());
    let event = ws.close_event().unwrap();
    assert_eq!(
        (event.code, event.reason.as_str(), event.was_clean),
        (4001, "done", true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subprotocol_headers_and_origin_reach_the_callback() {
    let addr = serve(|req| {
        if req.origin() != Some("https://good.example") {
            return Decision::reject(403);
        }
        assert_eq!(req.path, "/echo");
        assert_eq!(req.header_str("authorization"), Some("Bearer t0ken"));
        assert_eq!(req.protocols(), ["v2.chat", "v1.chat"]);
        Decision::accept_protocol("v1.chat")
    })
    .await;
    let options = ClientOptions::new()
        .protocols(["v2.chat", "v1.chat"])
        .header("Origin", "https://good.example")
        .header("Authorization", "Bearer t0ken");
    let ws = within(5, connect_with(&url(addr), options)).await.unwrap();
    assert_eq!(ws.protocol(), Some("v1.chat"));
    assert_eq!(ws.response().unwrap().status, 101);

    let bad = ClientOptions::new().header("Origin", "https://evil.example");
    let err = within(5, connect_with(&url(addr), bad)).await.unwrap_err();
    assert!(
        matches!(err, Error::Handshake(HandshakeError::UnexpectedStatus(403))),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_is_an_io_error() {
    let port = unused_port().await;
    let err = within(5, connect(&format!("ws://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_urls_are_refused_before_connecting() {
    assert!(matches!(
        connect("ftp://x").await,
        Err(Error::Url(websock_tokio::ApiError::Syntax))
    ));
    assert!(matches!(
        connect_with(
            "ws://127.0.0.1:25/",
            ClientOptions::new().check_bad_ports(true)
        )
        .await,
        Err(Error::Url(websock_tokio::ApiError::Security))
    ));
    // A bad subprotocol list is the caller's URL-and-protocols mistake, as in the
    // browser's constructor, in every runtime.
    let port = unused_port().await;
    assert!(matches!(
        connect_with(
            &format!("ws://127.0.0.1:{port}/"),
            ClientOptions::new().protocols(["chat", "Chat"])
        )
        .await,
        Err(Error::Url(websock_tokio::ApiError::Syntax))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_deadline_covers_a_silent_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (_tcp, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let options = ClientOptions::new().timeouts(Timeouts {
        handshake: Some(Duration::from_millis(300)),
        ..Timeouts::default()
    });
    let err = within(5, connect_with(&url(addr), options))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Protocol(websock_core::Error::HandshakeTimeout)),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_vanishing_mid_connection_is_1006() {
    let addr = raw_peer(|tcp| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(tcp);
    })
    .await;
    let mut ws = within(5, connect(&url(addr))).await.unwrap();
    let err = within(5, ws.recv()).await.unwrap().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Protocol(websock_core::Error::ConnectionLost) | Error::Io(_)
        ),
        "{err:?}"
    );
    assert!(ws.recv().await.is_none());
    let event = ws.close_event().unwrap();
    assert_eq!((event.code, event.was_clean), (1006, false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_stops_reading_fills_a_bounded_queue() {
    let addr = raw_peer(|tcp| async move {
        // Never read; keep the socket open.
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(tcp);
    })
    .await;
    let limit = 256 << 10;
    let options = ClientOptions::new().limits(Limits {
        max_send_queue: limit,
        ..Limits::default()
    });
    let mut ws = within(5, connect_with(&url(addr), options)).await.unwrap();
    let chunk = Bytes::from(vec![7u8; 64 << 10]);
    let mut full = false;
    for _ in 0..4096 {
        match ws.try_send(Message::Binary(chunk.clone())) {
            Ok(()) => tokio::task::yield_now().await,
            Err(Error::Send(SendError::Full)) => {
                full = true;
                break;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(full, "the queue never filled");
    assert!(
        ws.buffered_amount() <= limit + chunk.len(),
        "{}",
        ws.buffered_amount()
    );
    // A waiting send waits once the kernel's buffers are full too.
    let mut waited = false;
    for _ in 0..1000 {
        let send = ws.send(Message::Binary(chunk.clone()));
        if tokio::time::timeout(Duration::from_millis(300), send)
            .await
            .is_err()
        {
            waited = true;
            break;
        }
    }
    assert!(waited, "send never waited");
    assert!(
        ws.buffered_amount() <= limit + chunk.len(),
        "{}",
        ws.buffered_amount()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_detects_a_silent_peer() {
    let addr = raw_peer(|mut tcp| async move {
        // Read (and ignore) everything, answer nothing.
        let mut sink = [0u8; 1024];
        while let Ok(n) = tcp.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
    let options = ClientOptions::new().timeouts(Timeouts {
        keepalive_interval: Some(Duration::from_millis(200)),
        keepalive_timeout: Duration::from_millis(300),
        ..Timeouts::default()
    });
    let mut ws = within(5, connect_with(&url(addr), options)).await.unwrap();
    let err = within(5, ws.recv()).await.unwrap().unwrap_err();
    assert!(
        matches!(err, Error::Protocol(websock_core::Error::KeepaliveTimeout)),
        "{err:?}"
    );
    assert_eq!(ws.close_event().unwrap().code, 1006);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_halves_work_from_two_tasks_with_stream_and_sink() {
    let addr = echo_server().await;
    let ws = within(5, connect(&url(addr))).await.unwrap();
    let (mut tx, mut rx) = ws.split();
    let writer = tokio::spawn(async move {
        for i in 0..200 {
            tx.send(Message::text(format!("m{i}"))).await.unwrap();
        }
        tx.flush().await.unwrap();
        tx
    });
    let mut seen = 0;
    while seen < 200 {
        let got = within(5, rx.next()).await.unwrap().unwrap();
        assert_eq!(got, Message::text(format!("m{seen}")));
        seen += 1;
    }
    let mut tx = writer.await.unwrap();
    let event = within(5, tx.close(Some(1000), "")).await.unwrap();
    assert!(event.was_clean);
    assert!(within(5, rx.next()).await.is_none());
}

/// A transport that counts the bytes written through it (what the peer receives).
struct CountingStream {
    inner: tokio::net::TcpStream,
    written: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl tokio::io::AsyncRead for CountingStream {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for CountingStream {
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

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_uncompressed_skips_permessage_deflate() {
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Arc;

    let addr = echo_server().await;
    let written = Arc::new(AtomicUsize::new(0));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let stream = CountingStream {
        inner: tcp,
        written: written.clone(),
    };
    let mut ws = within(
        5,
        websock_tokio::client_handshake(stream, &url(addr), ClientOptions::default()),
    )
    .await
    .unwrap();
    assert!(
        ws.extensions().starts_with("permessage-deflate"),
        "{}",
        ws.extensions()
    );
    // 64 KiB that deflate shrinks to a few hundred bytes.
    let message = Message::binary(vec![b'z'; 64 * 1024]);

    let before = written.load(SeqCst);
    ws.send(message.clone()).await.unwrap();
    assert_eq!(within(5, ws.recv()).await.unwrap().unwrap(), message);
    let compressed = written.load(SeqCst) - before;
    assert!(compressed < 4096, "send wrote {compressed} bytes");

    let before = written.load(SeqCst);
    ws.send_uncompressed(message.clone()).await.unwrap();
    assert_eq!(within(5, ws.recv()).await.unwrap().unwrap(), message);
    let plain = written.load(SeqCst) - before;
    assert!(plain > 64 * 1024, "send_uncompressed wrote {plain} bytes");
    assert_eq!(ws.buffered_amount(), 0);

    let before = written.load(SeqCst);
    ws.try_send_uncompressed(message.clone()).unwrap();
    assert_eq!(within(5, ws.recv()).await.unwrap().unwrap(), message);
    assert!(written.load(SeqCst) - before > 64 * 1024);

    let (mut tx, mut rx) = ws.split();
    let before = written.load(SeqCst);
    tx.send_uncompressed(message.clone()).await.unwrap();
    tx.try_send_uncompressed(message.clone()).unwrap();
    for _ in 0..2 {
        assert_eq!(within(5, rx.recv()).await.unwrap().unwrap(), message);
    }
    assert!(written.load(SeqCst) - before > 2 * 64 * 1024);
    assert_eq!(tx.buffered_amount(), 0);
}
