//! What only the async runtimes' browser `WebSocket` has: `events()` as a `futures`
//! `Stream` (core's async handle, the same code in websock-tokio).
//!
//! The browser behaviour the three runtimes share is in `tests/tests/browser_api.rs`,
//! `browser_conformance.rs` and `behaviour.rs` (package websock-tests).

mod common;

use std::time::Duration;

use common::*;
use websock_smol::{BrowserEvent, MessageData, ServerOptions, WebSocket};

fn browser(url: &str, protocols: &[&str]) -> WebSocket {
    WebSocket::with_options(url, client_options().protocols(protocols.iter().copied())).unwrap()
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
