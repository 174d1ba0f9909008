//! The browser-shaped `WebSocket`, one suite for the three runtimes (each test runs the
//! same body with `websock-tokio`, `websock-smol` and `websock-std` through
//! `websock_tests::facade`): what `browser_conformance.rs` (the WHATWG rules, event by
//! event) and `behaviour.rs` do not already pin: handlers are dropped after the close
//! event, an unknown host fails like a refused connection, and a send queue over its
//! limit fails the connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use websock_core::dom::{BrowserEvent, MessageData, ReadyState};
use websock_core::{Decision, Limits, Message};
use websock_tests::facade::{
    browser, browser_with, each_runtime, serve_echo, serve_one, Browser, Options, RawListener,
    ServerOptions,
};
use websock_tests::Runtime;

/// How long to wait for one event.
const WAIT: Duration = Duration::from_secs(10);

/// The next event within [`WAIT`], or a panic naming the runtime.
fn next(rt: Runtime, ws: &dyn Browser) -> BrowserEvent {
    ws.next_event(WAIT)
        .unwrap_or_else(|| panic!("{rt}: no event within {WAIT:?}"))
}

#[test]
fn handlers_are_dropped_after_the_close_event() {
    each_runtime("handlers dropped", |rt| {
        let addr = serve_echo(rt, ServerOptions::default(), |_| Decision::accept());
        let ws = browser(rt, &format!("ws://{addr}/"), &[]).unwrap();
        let marker = Arc::new(());
        let m = marker.clone();
        ws.on_message(Box::new(move |_| {
            let _ = &m;
        }));
        assert_eq!(next(rt, &*ws), BrowserEvent::Open, "{rt}");
        ws.close(Some(1000), None).unwrap();
        assert!(
            matches!(next(rt, &*ws), BrowserEvent::Close(_)),
            "{rt}: the close event"
        );
        assert_eq!(
            Arc::strong_count(&marker),
            1,
            "{rt}: the handler is still kept"
        );
        let m = marker.clone();
        ws.on_message(Box::new(move |_| {
            let _ = &m;
        }));
        assert_eq!(
            Arc::strong_count(&marker),
            1,
            "{rt}: a late handler is kept"
        );
    });
}

#[test]
fn an_unknown_host_gives_error_then_close_1006() {
    each_runtime("unknown host", |rt| {
        let ws = browser(rt, "ws://nonexistent.invalid/", &[]).unwrap();
        assert_eq!(next(rt, &*ws), BrowserEvent::Error, "{rt}");
        let close = next(rt, &*ws);
        assert!(
            matches!(&close, BrowserEvent::Close(c) if c.code == 1006 && !c.was_clean),
            "{rt}: {close:?}"
        );
    });
}

#[test]
fn a_send_queue_over_its_limit_fails_the_connection() {
    each_runtime("send queue overflow", |rt| {
        // A peer that completes the handshake and never reads.
        let raw = RawListener::bind();
        let url = raw.url();
        let (hang_up, hold) = std::sync::mpsc::channel::<()>();
        let server = std::thread::spawn(move || {
            let _peer = raw.accept().unwrap();
            let _ = hold.recv_timeout(Duration::from_secs(30));
        });
        let options = Options::new().limits(Limits {
            max_send_queue: 1 << 20,
            ..Limits::default()
        });
        let ws = browser_with(rt, &url, &options, None).unwrap();
        assert_eq!(next(rt, &*ws), BrowserEvent::Open, "{rt}");
        let chunk = vec![0u8; 256 << 10];
        let mut sent = 0;
        while ws.ready_state() == ReadyState::Open && sent < 1000 {
            ws.send(MessageData::from(chunk.clone())).unwrap();
            sent += 1;
        }
        assert!(sent < 1000, "{rt}: the send queue never filled");
        assert_eq!(next(rt, &*ws), BrowserEvent::Error, "{rt}");
        let close = next(rt, &*ws);
        assert!(
            matches!(&close, BrowserEvent::Close(c) if c.code == 1006 && !c.was_clean),
            "{rt}: {close:?}"
        );
        assert_eq!(ws.ready_state(), ReadyState::Closed, "{rt}");
        drop(hang_up);
        server.join().unwrap();
    });
}

/// `WebSocket` is `Clone`, in every runtime: clones share the connection and one queue
/// of events; the connection outlives the original while a clone is alive, and
/// dropping the last clone closes it with 1001 (going away).
#[test]
fn clones_share_the_connection_and_the_last_one_closes_it() {
    each_runtime("clone", |rt| {
        let (url, server) = serve_one(rt, |mut ws| {
            while let Some(Ok(m)) = ws.recv() {
                if ws.send(m).is_err() {
                    break;
                }
            }
            ws.close_event()
        });
        let ws = browser(rt, &url, &[]).unwrap();
        assert_eq!(next(rt, &*ws), BrowserEvent::Open, "{rt}");
        let clone = ws.clone_handle();
        // One queue: the echo is pulled through one handle, not both.
        ws.send(MessageData::from("via the original")).unwrap();
        assert_eq!(
            next(rt, &*clone),
            BrowserEvent::Message(MessageData::from("via the original")),
            "{rt}"
        );
        assert_eq!(ws.next_event(Duration::from_millis(100)), None, "{rt}");
        drop(ws);
        assert_eq!(clone.ready_state(), ReadyState::Open, "{rt}");
        clone.send(MessageData::from("via the clone")).unwrap();
        assert_eq!(
            next(rt, &*clone),
            BrowserEvent::Message(MessageData::from("via the clone")),
            "{rt}"
        );
        drop(clone);
        let theirs = server.join().unwrap();
        assert!(
            matches!(&theirs, Some(c) if c.code == 1001),
            "{rt}: the peer saw {theirs:?}"
        );
    });
}

/// Clones waiting in `next_event` at the same time, in every runtime: each event wakes
/// the waiters and goes to one of them; a waiter is never forgotten (with one waker
/// slot, the second waiter's registration erased the first's, which then slept
/// through the second event until its timeout).
#[test]
fn clones_waiting_at_once_each_get_one_event() {
    each_runtime("concurrent next_event", |rt| {
        let (url, server) = serve_one(rt, |mut ws| {
            // On "go": two messages, apart, so that the first is taken before the second.
            if let Some(Ok(_go)) = ws.recv() {
                ws.send(Message::text("one")).unwrap();
                std::thread::sleep(Duration::from_millis(300));
                ws.send(Message::text("two")).unwrap();
            }
            while let Some(Ok(_)) = ws.recv() {}
        });
        let ws = browser(rt, &url, &[]).unwrap();
        assert_eq!(next(rt, &*ws), BrowserEvent::Open, "{rt}");
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let clone = ws.clone_handle();
                std::thread::spawn(move || clone.next_event(WAIT))
            })
            .collect();
        // Both wait before anything arrives.
        std::thread::sleep(Duration::from_millis(200));
        let started = Instant::now();
        ws.send(MessageData::from("go")).unwrap();
        let mut got: Vec<String> = waiters
            .into_iter()
            .map(|w| match w.join().unwrap() {
                Some(BrowserEvent::Message(MessageData::Text(t))) => t,
                other => panic!("{rt}: a waiter got {other:?}"),
            })
            .collect();
        got.sort();
        assert_eq!(got, ["one", "two"], "{rt}");
        let took = started.elapsed();
        assert!(took < WAIT / 2, "{rt}: the waiters took {took:?}");
        ws.close(Some(1000), None).unwrap();
        drop(ws);
        server.join().unwrap();
    });
}

/// `next_event_timeout`, in every runtime: `None` when no event comes in time, the
/// event when one does (an event that comes later is not lost).
#[test]
fn next_event_timeout_gives_up_or_delivers() {
    each_runtime("next_event_timeout", |rt| {
        let addr = serve_echo(rt, ServerOptions::default(), |_| Decision::accept());
        let ws = browser(rt, &format!("ws://{addr}/"), &[]).unwrap();
        assert_eq!(next(rt, &*ws), BrowserEvent::Open, "{rt}");
        let started = std::time::Instant::now();
        assert_eq!(ws.next_event(Duration::from_millis(100)), None, "{rt}");
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(5),
            "{rt}: gave up after {took:?}"
        );
        ws.send(MessageData::from("hello")).unwrap();
        assert_eq!(
            next(rt, &*ws),
            BrowserEvent::Message(MessageData::from("hello")),
            "{rt}"
        );
        ws.close(Some(1000), None).unwrap();
        assert!(
            matches!(next(rt, &*ws), BrowserEvent::Close(c) if c.code == 1000),
            "{rt}: the close event"
        );
        assert_eq!(ws.next_event(Duration::from_millis(100)), None, "{rt}");
    });
}
