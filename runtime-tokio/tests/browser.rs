//! What only the async runtimes' browser `WebSocket` has: it is `Clone`, so a handler
//! can hold a handle of its own socket; that cycle must not keep the socket alive.
//!
//! The browser behaviour the three runtimes share is in `tests/tests/browser_api.rs`,
//! `browser_conformance.rs` and `behaviour.rs` (package websock-tests).

mod common;

use std::sync::Arc;

use common::{echo_server, within};
use websock_tokio::{BrowserEvent, WebSocket};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_holding_a_clone_of_its_socket_is_dropped_after_the_close_event() {
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
