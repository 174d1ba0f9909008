//! The browser's face: exceptions, readyState, bufferedAmount, events in order.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{echo_server, raw_peer, serve, unused_port, within};
use futures_util::StreamExt;
use tokio::net::TcpListener;
use websock_tokio::{
    ApiError, BinaryType, BrowserEvent, ClientOptions, Decision, MessageData, ReadyState, WebSocket,
};

#[tokio::test]
async fn constructor_and_close_exceptions() {
    assert_eq!(
        WebSocket::new("ftp://x", &[]).unwrap_err(),
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
        WebSocket::new("ws://localhost:9001", &["echo", "eCho"]).unwrap_err(),
        ApiError::Syntax
    );
    // A listener that never answers keeps the socket CONNECTING.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", listener.local_addr().unwrap());
    let ws = WebSocket::new(&url, &[]).unwrap();
    assert_eq!(ws.url(), url);
    assert_eq!(ws.ready_state(), ReadyState::Connecting);
    assert_eq!(ws.send("too early").unwrap_err(), ApiError::InvalidState);
    assert_eq!(
        ws.close(Some(1001), None).unwrap_err(),
        ApiError::InvalidAccess
    );
    let long = "x".repeat(124);
    assert_eq!(
        ws.close(Some(1000), Some(&long)).unwrap_err(),
        ApiError::Syntax
    );
    assert_eq!(ws.protocol(), "");
    assert_eq!(ws.binary_type(), BinaryType::Blob);
    // close() while CONNECTING fails the connection: error, then close 1006.
    ws.close(None, None).unwrap();
    assert_eq!(within(5, ws.next_event()).await, Some(BrowserEvent::Error));
    match within(5, ws.next_event()).await {
        Some(BrowserEvent::Close(c)) => assert_eq!((c.code, c.was_clean), (1006, false)),
        other => panic!("{other:?}"),
    }
    assert_eq!(ws.ready_state(), ReadyState::Closed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_state_and_events_in_order() {
    let addr = echo_server().await;
    let ws = WebSocket::new(&format!("ws://{addr}/"), &[]).unwrap();
    assert_eq!(ws.ready_state(), ReadyState::Connecting);
    assert_eq!(within(5, ws.next_event()).await, Some(BrowserEvent::Open));
    assert_eq!(ws.ready_state(), ReadyState::Open);
    ws.send("hello").unwrap();
    ws.send(vec![1u8, 2, 3]).unwrap();
    assert_eq!(
        within(5, ws.next_event()).await,
        Some(BrowserEvent::Message(MessageData::Text("hello".into())))
    );
    assert_eq!(
        within(5, ws.next_event()).await,
        Some(BrowserEvent::Message(MessageData::Blob(
            vec![1u8, 2, 3].into()
        )))
    );
    ws.set_binary_type(BinaryType::ArrayBuffer);
    ws.send(&[9u8][..]).unwrap();
    assert_eq!(
        within(5, ws.next_event()).await,
        Some(BrowserEvent::Message(MessageData::ArrayBuffer(
            vec![9u8].into()
        )))
    );
    ws.close(Some(1000), Some("bye")).unwrap();
    assert_eq!(ws.ready_state(), ReadyState::Closing);
    match within(5, ws.next_event()).await {
        Some(BrowserEvent::Close(c)) => assert_eq!((c.code, c.was_clean), (1000, true)),
        other => panic!("{other:?}"),
    }
    assert_eq!(ws.ready_state(), ReadyState::Closed);
    assert_eq!(within(5, ws.next_event()).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buffered_amount_grows_and_keeps_growing_after_close() {
    let addr = raw_peer(|tcp| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(tcp);
    })
    .await;
    let ws = WebSocket::new(&format!("ws://{addr}/"), &[]).unwrap();
    assert_eq!(within(5, ws.next_event()).await, Some(BrowserEvent::Open));
    assert_eq!(ws.buffered_amount(), 0);
    ws.send(vec![0u8; 16 << 20]).unwrap();
    assert!(ws.buffered_amount() > 0);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = ws.buffered_amount();
    assert!(before > 0, "a peer that does not read leaves data buffered");
    ws.close(None, None).unwrap();
    ws.send("abc").unwrap();
    assert!(ws.buffered_amount() >= before + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connection_is_error_then_close_1006() {
    let port = unused_port().await;
    let ws = WebSocket::new(&format!("ws://127.0.0.1:{port}/"), &[]).unwrap();
    let events: Vec<_> = within(5, ws.events().collect::<Vec<_>>()).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0], BrowserEvent::Error);
    match &events[1] {
        BrowserEvent::Close(c) => assert_eq!((c.code, c.was_clean), (1006, false)),
        other => panic!("{other:?}"),
    }
    assert_eq!(ws.ready_state(), ReadyState::Closed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_handshake_is_error_then_close_1006() {
    let addr = serve(|_| Decision::reject(403)).await;
    let ws = WebSocket::new(&format!("ws://{addr}/"), &[]).unwrap();
    assert_eq!(within(5, ws.next_event()).await, Some(BrowserEvent::Error));
    match within(5, ws.next_event()).await {
        Some(BrowserEvent::Close(c)) => assert_eq!(c.code, 1006),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_mid_connection_is_close_1006_without_error() {
    let addr = raw_peer(|tcp| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(tcp);
    })
    .await;
    let ws = WebSocket::new(&format!("ws://{addr}/"), &[]).unwrap();
    let events: Vec<_> = within(5, ws.events().collect::<Vec<_>>()).await;
    // An unclean close is not a failure: no error event (the standard; Chromium).
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0], BrowserEvent::Open);
    match &events[1] {
        BrowserEvent::Close(c) => assert_eq!((c.code, c.was_clean), (1006, false)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_run_in_browser_order_mdn_example() {
    let addr = serve(|req| {
        assert_eq!(req.protocols(), ["chat"]);
        Decision::accept_protocol("chat")
    })
    .await;
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let ws = WebSocket::with_options(
        &format!("ws://{addr}/"),
        ClientOptions::new().protocol("chat"),
    )
    .unwrap();
    let l = log.clone();
    ws.on_open(move |ws| {
        l.lock().unwrap().push(format!("open {}", ws.protocol()));
        ws.send("Hello Server!").unwrap();
    });
    let l = log.clone();
    ws.on_message(move |ws, data| {
        l.lock().unwrap().push(format!("message {data}"));
        ws.close(Some(1000), None).unwrap();
    });
    let l = log.clone();
    ws.on_error(move |_| l.lock().unwrap().push("error".into()));
    let l = log.clone();
    ws.on_close(move |_, c| {
        l.lock()
            .unwrap()
            .push(format!("close {} {}", c.code, c.was_clean))
    });
    // Every event went to a handler: the stream ends without yielding any.
    assert_eq!(within(5, ws.next_event()).await, None);
    assert_eq!(
        *log.lock().unwrap(),
        ["open chat", "message Hello Server!", "close 1000 true"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_messages_nobody_takes_stall_the_peer_instead_of_growing_memory() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncWriteExt;
    // Far more than the kernel's socket buffers hold: only a bounded event queue (by
    // count: these messages are empty) stops the client reading before this.
    const LIMIT: usize = 128 << 20;
    let written = Arc::new(AtomicUsize::new(0));
    let w = written.clone();
    let addr = raw_peer(move |mut tcp| {
        let written = w.clone();
        async move {
            // Empty unmasked binary frames, 64 KiB of them per write.
            let chunk = [0x82u8, 0x00].repeat(32 << 10);
            while written.load(Ordering::SeqCst) < LIMIT {
                if tcp.write_all(&chunk).await.is_err() {
                    break;
                }
                written.fetch_add(chunk.len(), Ordering::SeqCst);
            }
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    })
    .await;
    let ws = WebSocket::new(&format!("ws://{addr}/"), &[]).unwrap();
    // Nobody takes events: the peer's writes must stall well before LIMIT.
    let mut last = usize::MAX;
    let stalled = within(30, async {
        loop {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let now = written.load(Ordering::SeqCst);
            if now == last {
                return now;
            }
            last = now;
        }
    })
    .await;
    assert!(
        stalled > 0 && stalled < LIMIT,
        "the client kept reading: {stalled} bytes of empty messages"
    );
    // The open event waits in the queue: readyState follows event dispatch.
    assert_eq!(ws.ready_state(), ReadyState::Connecting);
    // Taking events lets the reading, and so the peer, go on.
    assert_eq!(within(5, ws.next_event()).await, Some(BrowserEvent::Open));
    assert_eq!(ws.ready_state(), ReadyState::Open);
    within(20, async {
        while written.load(Ordering::SeqCst) == stalled {
            let event = ws.next_event().await;
            assert!(matches!(event, Some(BrowserEvent::Message(_))), "{event:?}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_does_not_stop_the_connection() {
    let addr = echo_server().await;
    let ws = WebSocket::new(&format!("ws://{addr}/"), &[]).unwrap();
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    let l = log.clone();
    ws.on_message(move |ws, data| {
        let text = data.to_string();
        l.lock().unwrap().push(text.clone());
        if text == "boom" {
            ws.send("after").unwrap();
            panic!("a handler's exception");
        }
        ws.close(Some(1000), None).unwrap();
    });
    let l = log.clone();
    ws.on_close(move |_, c| l.lock().unwrap().push(format!("close {}", c.code)));
    assert_eq!(within(5, ws.next_event()).await, Some(BrowserEvent::Open));
    ws.send("boom").unwrap();
    assert_eq!(within(5, ws.next_event()).await, None);
    assert_eq!(*log.lock().unwrap(), ["boom", "after", "close 1000"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_are_dropped_after_the_close_event() {
    let addr = echo_server().await;
    let ws = WebSocket::new(&format!("ws://{addr}/"), &[]).unwrap();
    // A handler holding a handle of its own socket must not keep it alive for ever.
    let marker = Arc::new(());
    let (m, me) = (marker.clone(), ws.clone());
    ws.on_error(move |_| {
        let _ = (&m, &me);
    });
    assert_eq!(within(5, ws.next_event()).await, Some(BrowserEvent::Open));
    ws.close(Some(1000), None).unwrap();
    assert!(matches!(
        within(5, ws.next_event()).await,
        Some(BrowserEvent::Close(_))
    ));
    assert_eq!(Arc::strong_count(&marker), 1, "the handler is still kept");
    let m = marker.clone();
    ws.on_message(move |_, _| {
        let _ = &m;
    });
    assert_eq!(Arc::strong_count(&marker), 1, "a late handler is kept");
}
