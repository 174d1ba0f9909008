//! The browser's face: exceptions, readyState, bufferedAmount, events and handlers.

mod common;

use std::time::Duration;

use common::*;
use websock_smol::{
    accept, accept_with, ApiError, BinaryType, BrowserEvent, CloseEvent, Decision, MessageData,
    ReadyState, ServerOptions, Timeouts, WebSocket,
};

fn browser(url: &str, protocols: &[&str]) -> WebSocket {
    WebSocket::with_options(url, client_options().protocols(protocols.iter().copied())).unwrap()
}

async fn next(ws: &WebSocket) -> Option<BrowserEvent> {
    within(Duration::from_secs(10), ws.next_event()).await
}

#[test]
fn constructor_exceptions() {
    assert_eq!(
        WebSocket::new("ftp://x", &[]).unwrap_err(),
        ApiError::Syntax
    );
    assert_eq!(
        WebSocket::new("/relative", &[]).unwrap_err(),
        ApiError::Syntax
    );
    assert_eq!(
        WebSocket::new("ws://x/#", &[]).unwrap_err(),
        ApiError::Syntax
    );
    assert_eq!(
        WebSocket::new("ws://localhost:25", &[]).unwrap_err(),
        ApiError::Security
    );
    assert_eq!(
        WebSocket::new("ws://localhost:8080", &["echo", "eCho"]).unwrap_err(),
        ApiError::Syntax
    );
    assert_eq!(
        WebSocket::new("ws://localhost:8080", &["a b"]).unwrap_err(),
        ApiError::Syntax
    );
}

#[test]
fn send_while_connecting_and_close_argument_exceptions() {
    run(async {
        let (addr, server) = mute_server().await;
        let ws = browser(&ws_url(addr, "/"), &[]);
        assert_eq!(ws.ready_state(), ReadyState::Connecting);
        assert_eq!(ws.send("too early").unwrap_err(), ApiError::InvalidState);
        assert_eq!(
            ws.close(Some(1001), None).unwrap_err(),
            ApiError::InvalidAccess
        );
        let reason = "x".repeat(124);
        assert_eq!(
            ws.close(Some(1000), Some(&reason)).unwrap_err(),
            ApiError::Syntax
        );
        assert_eq!(ws.ready_state(), ReadyState::Connecting);
        assert_eq!(ws.url(), ws_url(addr, "/"));
        // Closing while CONNECTING fails the connection: error, then close 1006.
        ws.close(None, None).unwrap();
        assert_ne!(ws.ready_state(), ReadyState::Connecting);
        assert_eq!(next(&ws).await, Some(BrowserEvent::Error));
        let Some(BrowserEvent::Close(ev)) = next(&ws).await else {
            panic!("no close event")
        };
        assert_eq!((ev.code, ev.was_clean), (1006, false));
        assert_eq!(ws.ready_state(), ReadyState::Closed);
        assert_eq!(next(&ws).await, None);
        drop(server);
    });
}

#[test]
fn ready_state_goes_0_1_2_3_with_events_in_order() {
    run(async {
        let (listener, addr) = listen().await;
        // The server answers only once the test has seen CONNECTING (else the
        // handshake could complete before the first assertion runs).
        let (go, gate) = smol::channel::bounded::<()>(1);
        let server = smol::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let _ = gate.recv().await;
            let ws = accept_with(tcp, ServerOptions::default(), |_| {
                Decision::accept_protocol("chat")
            })
            .await
            .unwrap();
            echo(ws).await;
        });
        let ws = browser(&ws_url(addr, "/"), &["chat", "other"]);
        assert_eq!(ws.ready_state(), ReadyState::Connecting);
        assert_eq!(ws.protocol(), "");
        go.send(()).await.unwrap();
        assert_eq!(next(&ws).await, Some(BrowserEvent::Open));
        assert_eq!(ws.ready_state(), ReadyState::Open);
        assert_eq!(ws.protocol(), "chat");
        // Both sides have permessage-deflate on by default.
        assert_eq!(ws.extensions(), "permessage-deflate");
        ws.send("Hello Server!").unwrap();
        assert_eq!(
            next(&ws).await,
            Some(BrowserEvent::Message(MessageData::Text(
                "Hello Server!".into()
            )))
        );
        ws.send(&b"\x00\x01"[..]).unwrap();
        let Some(BrowserEvent::Message(MessageData::Blob(b))) = next(&ws).await else {
            panic!("expected a blob")
        };
        assert_eq!(&b[..], b"\x00\x01");
        ws.set_binary_type(BinaryType::ArrayBuffer);
        assert_eq!(ws.binary_type(), BinaryType::ArrayBuffer);
        ws.send(vec![9u8; 3]).unwrap();
        assert_eq!(
            next(&ws).await,
            Some(BrowserEvent::Message(MessageData::ArrayBuffer(
                vec![9u8; 3].into()
            )))
        );
        ws.close(Some(1000), Some("done")).unwrap();
        assert_eq!(ws.ready_state(), ReadyState::Closing);
        // CLOSING: a second close does nothing.
        ws.close(Some(3000), None).unwrap();
        let Some(BrowserEvent::Close(ev)) = next(&ws).await else {
            panic!("no close event")
        };
        assert!(ev.was_clean);
        assert_eq!(ev.code, 1000);
        assert_eq!(ws.ready_state(), ReadyState::Closed);
        assert_eq!(next(&ws).await, None);
        within(Duration::from_secs(5), server).await;
    });
}

#[test]
fn buffered_amount_counts_unsent_bytes_and_keeps_growing_after_close() {
    run(async {
        let (listener, addr) = listen().await;
        // A server that never reads (after a hand-made 101).
        let server = smol::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            upgrade_by_hand(&mut tcp).await;
            std::future::pending::<()>().await;
            drop(tcp);
        });
        let options = client_options().timeouts(Timeouts {
            close: Some(Duration::from_millis(200)),
            ..Timeouts::default()
        });
        let ws = WebSocket::with_options(&ws_url(addr, "/"), options).unwrap();
        assert_eq!(ws.buffered_amount(), 0);
        assert_eq!(next(&ws).await, Some(BrowserEvent::Open));
        ws.send(incompressible(12 << 20)).unwrap();
        assert!(ws.buffered_amount() > 0);
        async_io::Timer::after(Duration::from_millis(100)).await;
        // The peer does not read: most of it is still buffered.
        assert!(ws.buffered_amount() > 0);
        ws.close(None, None).unwrap();
        // The close times out (the peer never answers): close 1006, and no error event
        // (an unclean close is not a failure, as in Chromium).
        let Some(BrowserEvent::Close(ev)) = next(&ws).await else {
            panic!("no close event")
        };
        assert!(!ev.was_clean);
        let before = ws.buffered_amount();
        ws.send("0123456789").unwrap();
        assert_eq!(ws.buffered_amount(), before + 10);
        ws.send(vec![0u8; 5]).unwrap();
        assert_eq!(ws.buffered_amount(), before + 15);
        drop(server);
    });
}

#[test]
fn a_refused_connection_gives_error_then_close_1006() {
    run(async {
        let (listener, addr) = listen().await;
        drop(listener);
        let ws = browser(&ws_url(addr, "/"), &[]);
        assert_eq!(next(&ws).await, Some(BrowserEvent::Error));
        assert_eq!(
            next(&ws).await,
            Some(BrowserEvent::Close(CloseEvent {
                code: 1006,
                reason: String::new(),
                was_clean: false
            }))
        );
        assert_eq!(ws.ready_state(), ReadyState::Closed);
    });
}

#[test]
fn a_rejected_handshake_gives_error_then_close_1006() {
    run(async {
        let (listener, addr) = listen().await;
        smol::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let _ = accept_with(tcp, ServerOptions::default(), |_| Decision::reject(403)).await;
        })
        .detach();
        let ws = browser(&ws_url(addr, "/"), &[]);
        assert_eq!(next(&ws).await, Some(BrowserEvent::Error));
        let Some(BrowserEvent::Close(ev)) = next(&ws).await else {
            panic!("no close event")
        };
        assert_eq!((ev.code, ev.was_clean), (1006, false));
    });
}

#[test]
fn a_missing_subprotocol_fails_the_connection() {
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let ws = browser(&ws_url(addr, "/"), &["needed"]);
        assert_eq!(next(&ws).await, Some(BrowserEvent::Error));
        assert!(matches!(
            next(&ws).await,
            Some(BrowserEvent::Close(CloseEvent { code: 1006, .. }))
        ));
    });
}

#[test]
fn a_server_killed_mid_connection_gives_close_1006() {
    run(async {
        let (listener, addr) = listen().await;
        // The server's process dies: its TCP connection is dropped, no Close frame.
        let server = smol::spawn(async move {
            let (mut tcp, _) = listener.accept().await.unwrap();
            upgrade_by_hand(&mut tcp).await;
            std::future::pending::<()>().await;
            drop(tcp);
        });
        let ws = browser(&ws_url(addr, "/"), &[]);
        assert_eq!(next(&ws).await, Some(BrowserEvent::Open));
        let _ = server.cancel().await;
        let mut close = None;
        while let Some(event) = next(&ws).await {
            if let BrowserEvent::Close(ev) = event {
                close = Some(ev);
            }
        }
        let ev = close.expect("no close event");
        assert_eq!((ev.code, ev.was_clean), (1006, false));
        assert_eq!(ws.ready_state(), ReadyState::Closed);
    });
}

#[test]
fn handlers_run_the_mdn_example() {
    run(async {
        let (listener, addr) = listen().await;
        // The server answers once the handlers are set (a script sets them before its
        // first event can be dispatched; here the tasks run on other threads).
        let (go, gate) = smol::channel::bounded::<()>(1);
        let _server = smol::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let _ = gate.recv().await;
            echo(accept(tcp).await.unwrap()).await;
        });
        let (tx, rx) = smol::channel::unbounded::<String>();
        let socket = browser(&ws_url(addr, "/"), &[]);
        let log = tx.clone();
        socket.on_open(move |socket| {
            log.try_send("open".into()).unwrap();
            socket.send("Hello Server!").unwrap();
        });
        let log = tx.clone();
        socket.on_message(move |socket, data| {
            log.try_send(format!("Message from server {data}")).unwrap();
            socket.close(Some(1000), None).unwrap();
        });
        let log = tx.clone();
        socket.on_error(move |_| log.try_send("error".into()).unwrap());
        socket.on_close(move |_, ev| {
            tx.try_send(format!("close {} {}", ev.code, ev.was_clean))
                .unwrap()
        });
        go.send(()).await.unwrap();
        let mut seen = Vec::new();
        while let Ok(line) = within(Duration::from_secs(10), rx.recv()).await {
            seen.push(line);
        }
        assert_eq!(
            seen,
            [
                "open",
                "Message from server Hello Server!",
                "close 1000 true"
            ]
        );
        // Handlers took every event: nothing is left for next_event.
        assert_eq!(next(&socket).await, None);
    });
}

#[test]
fn dropping_the_last_handle_closes_with_1001() {
    run(async {
        let (listener, addr) = listen().await;
        let server = smol::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = accept(tcp).await.unwrap();
            while ws.recv().await.is_some() {}
            ws.close_event().unwrap()
        });
        let ws = browser(&ws_url(addr, "/"), &[]);
        let other = ws.clone();
        assert_eq!(next(&ws).await, Some(BrowserEvent::Open));
        drop(ws);
        // Another handle still holds it open.
        async_io::Timer::after(Duration::from_millis(50)).await;
        assert_eq!(other.ready_state(), ReadyState::Open);
        drop(other);
        let ev = within(Duration::from_secs(5), server).await;
        assert_eq!((ev.code, ev.was_clean), (1001, true));
    });
}

#[test]
fn events_is_a_stream_ending_after_close() {
    use futures_util::StreamExt as _;
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let ws = browser(&ws_url(addr, "/"), &[]);
        let mut events = ws.events();
        assert_eq!(events.next().await, Some(BrowserEvent::Open));
        ws.send("one").unwrap();
        assert_eq!(
            events.next().await,
            Some(BrowserEvent::Message(MessageData::Text("one".into())))
        );
        ws.send("two").unwrap();
        ws.close(None, Some("bye")).unwrap();
        // The echo of "two" arrives while CLOSING: not delivered, as in the browser.
        let rest: Vec<BrowserEvent> = within(Duration::from_secs(10), events.collect()).await;
        assert_eq!(rest.len(), 1, "{rest:?}");
        let BrowserEvent::Close(ev) = &rest[0] else {
            panic!("{rest:?}")
        };
        // A reason without a code is sent with 1000.
        assert_eq!((ev.code, ev.was_clean), (1000, true));
    });
}

#[test]
fn a_panicking_handler_is_contained_and_keeps_being_called() {
    run(async {
        let addr = echo_server(ServerOptions::default()).await;
        let ws = browser(&ws_url(addr, "/"), &[]);
        let (tx, rx) = smol::channel::unbounded();
        ws.on_open(|ws| {
            ws.send("first").unwrap();
            ws.send("second").unwrap();
        });
        ws.on_message(move |_, data| {
            let first = data == MessageData::Text("first".into());
            tx.try_send(data).unwrap();
            // Like an exception in a browser's listener: reported, not fatal.
            assert!(!first, "a handler's panic");
        });
        let got = within(Duration::from_secs(10), async {
            [rx.recv().await.unwrap(), rx.recv().await.unwrap()]
        })
        .await;
        assert_eq!(
            got,
            [
                MessageData::Text("first".into()),
                MessageData::Text("second".into())
            ]
        );
        assert_eq!(ws.ready_state(), ReadyState::Open);
        ws.close(Some(1000), None).unwrap();
        let Some(BrowserEvent::Close(ev)) = next(&ws).await else {
            panic!("no close event")
        };
        assert_eq!((ev.code, ev.was_clean), (1000, true));
    });
}
