//! The browser's face: exceptions, readyState, bufferedAmount, events and their order.

mod common;

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{echo_server, server, within};
use websock_std::{
    ApiError, BinaryType, BrowserEvent, ClientOptions, CloseEvent, Decision, MessageData,
    ReadyState, ServerOptions, WebSocket,
};

const WAIT: Duration = Duration::from_secs(10);

fn next(ws: &WebSocket) -> BrowserEvent {
    ws.next_event_timeout(WAIT).expect("an event in time")
}

fn wait_for_state(ws: &WebSocket, state: ReadyState) {
    let deadline = Instant::now() + WAIT;
    while ws.ready_state() != state {
        assert!(Instant::now() < deadline, "stuck in {:?}", ws.ready_state());
        thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn constructor_exceptions() {
    assert_eq!(
        WebSocket::new("ftp://x", &[]).unwrap_err(),
        ApiError::Syntax
    );
    assert_eq!(
        WebSocket::new("not a url", &[]).unwrap_err(),
        ApiError::Syntax
    );
    assert_eq!(
        WebSocket::new("ws://x/#", &[]).unwrap_err(),
        ApiError::Syntax
    );
    assert_eq!(
        WebSocket::new("ws://127.0.0.1:25", &[]).unwrap_err(),
        ApiError::Security
    );
    assert_eq!(
        WebSocket::new("ws://127.0.0.1:25", &[]).unwrap_err().name(),
        "SecurityError"
    );
    assert_eq!(
        WebSocket::new("ws://x", &["echo", "eCho"]).unwrap_err(),
        ApiError::Syntax
    );
    assert_eq!(
        WebSocket::new("ws://x", &["a b"]).unwrap_err(),
        ApiError::Syntax
    );
}

#[test]
fn lifecycle_ready_states_events_and_close_rules() {
    within(30, || {
        let (addr, server) = echo_server();
        let ws = WebSocket::new(&format!("http://{addr}/path?q"), &[]).unwrap();
        assert_eq!(ws.url(), format!("ws://{addr}/path?q"));
        assert_eq!(ws.ready_state(), ReadyState::Connecting);
        assert_eq!(ws.ready_state().as_u16(), 0);
        assert_eq!(ws.protocol(), "");
        assert_eq!(ws.extensions(), "", "empty until open");
        assert_eq!(ws.binary_type(), BinaryType::Blob);
        assert_eq!(
            ws.send("too early").unwrap_err(),
            ApiError::InvalidState,
            "send while CONNECTING"
        );
        assert_eq!(next(&ws), BrowserEvent::Open);
        assert_eq!(ws.ready_state().as_u16(), 1);

        ws.send("hello").unwrap();
        assert_eq!(
            next(&ws),
            BrowserEvent::Message(MessageData::Text("hello".into()))
        );
        ws.send(vec![1u8, 2, 3]).unwrap();
        assert_eq!(
            next(&ws),
            BrowserEvent::Message(MessageData::Blob(vec![1u8, 2, 3].into()))
        );
        ws.set_binary_type(BinaryType::ArrayBuffer);
        ws.send(&b"\x00"[..]).unwrap();
        assert_eq!(
            next(&ws),
            BrowserEvent::Message(MessageData::ArrayBuffer(vec![0u8].into()))
        );

        assert_eq!(
            ws.close(Some(1001), None).unwrap_err(),
            ApiError::InvalidAccess
        );
        assert_eq!(
            ws.close(Some(2999), None).unwrap_err(),
            ApiError::InvalidAccess
        );
        let long = "é".repeat(62); // 124 bytes
        assert_eq!(
            ws.close(Some(1000), Some(&long)).unwrap_err(),
            ApiError::Syntax
        );
        assert_eq!(ws.ready_state(), ReadyState::Open);

        ws.close(Some(4000), Some("bye")).unwrap();
        // CLOSING, or already CLOSED if the echo was quick (see
        // buffered_amount_grows_with_a_big_send for a CLOSING that lasts).
        assert!(ws.ready_state().as_u16() >= 2);
        // CLOSING: close() again does nothing; send() counts into bufferedAmount.
        ws.close(Some(1000), None).unwrap();
        let before = ws.buffered_amount();
        ws.send("12345").unwrap();
        assert_eq!(ws.buffered_amount(), before + 5);

        match next(&ws) {
            BrowserEvent::Close(c) => {
                assert_eq!((c.code, c.was_clean), (4000, true));
            }
            other => panic!("expected close, got {other:?}"),
        }
        assert_eq!(ws.ready_state().as_u16(), 3);
        assert!(ws.next_event_timeout(WAIT).is_none(), "nothing after close");
        ws.send("after close").unwrap();
        assert_eq!(ws.buffered_amount(), before + 5 + 11);
        assert_eq!(server.join().unwrap().unwrap().unwrap().0, 4000);
    });
}

#[test]
fn buffered_amount_grows_with_a_big_send() {
    within(30, || {
        // A peer that never reads: once the kernel's buffers are full (tens of MiB on
        // loopback at most), the rest stays queued.
        const CHUNK: usize = 8 << 20;
        const COUNT: usize = 8;
        let (hang_up, hang_up_rx) = std::sync::mpsc::channel::<()>();
        let (addr, server) = common::raw_server(move |s| {
            let _ = hang_up_rx.recv_timeout(Duration::from_secs(20));
            drop(s);
        });
        let options = ClientOptions::default().limits(websock_std::Limits {
            max_send_queue: 256 << 20,
            ..Default::default()
        });
        let ws = WebSocket::with_options(&format!("ws://{addr}"), options).unwrap();
        assert_eq!(next(&ws), BrowserEvent::Open);
        let chunk = websock_std::Bytes::from(vec![7u8; CHUNK]);
        for _ in 0..COUNT {
            ws.send(chunk.clone()).unwrap();
        }
        assert!(ws.buffered_amount() > 0);
        thread::sleep(Duration::from_millis(300));
        let queued = ws.buffered_amount();
        assert!(queued >= CHUNK, "only {queued} bytes still queued");

        // The Close frame waits behind the data: CLOSING lasts.
        ws.close(Some(1000), None).unwrap();
        assert_eq!(ws.ready_state().as_u16(), 2);
        ws.send("abc").unwrap();
        assert_eq!(ws.buffered_amount(), queued + 3, "counts on after close()");
        assert_eq!(ws.ready_state().as_u16(), 2);

        // The peer vanishes while CLOSING: the connection closed (not failed), so no
        // error event, only close with 1006.
        hang_up.send(()).unwrap();
        server.join().unwrap();
        assert!(matches!(next(&ws), BrowserEvent::Close(c) if c.code == 1006 && !c.was_clean));
        assert_eq!(ws.ready_state().as_u16(), 3);
        let after = ws.buffered_amount();
        ws.send(vec![0u8; 10]).unwrap();
        assert_eq!(ws.buffered_amount(), after + 10, "and after CLOSED");
    });
}

#[test]
fn refused_connection_gives_error_then_close_1006() {
    within(20, || {
        let (l, addr) = common::listener();
        drop(l);
        let ws = WebSocket::new(&format!("ws://{addr}"), &[]).unwrap();
        assert_eq!(next(&ws), BrowserEvent::Error);
        assert_eq!(
            next(&ws),
            BrowserEvent::Close(CloseEvent {
                code: 1006,
                reason: String::new(),
                was_clean: false
            })
        );
        assert_eq!(ws.ready_state(), ReadyState::Closed);
        assert!(ws.next_event_timeout(Duration::from_millis(100)).is_none());
    });
}

#[test]
fn unknown_host_gives_error_then_close_1006() {
    within(30, || {
        let ws = WebSocket::new("ws://nonexistent.invalid/", &[]).unwrap();
        assert_eq!(next(&ws), BrowserEvent::Error);
        assert!(matches!(next(&ws), BrowserEvent::Close(c) if c.code == 1006 && !c.was_clean));
    });
}

#[test]
fn rejected_handshake_gives_error_then_close_1006() {
    within(20, || {
        let (addr, _server) = server(ServerOptions::default(), |_| Decision::reject(403), |_| ());
        let ws = WebSocket::new(&format!("ws://{addr}"), &[]).unwrap();
        assert_eq!(next(&ws), BrowserEvent::Error);
        assert!(matches!(next(&ws), BrowserEvent::Close(c) if c.code == 1006 && !c.was_clean));
    });
}

#[test]
fn server_without_the_requested_protocol_fails_the_connection() {
    within(20, || {
        let (addr, _server) = echo_server();
        let ws = WebSocket::new(&format!("ws://{addr}"), &["chat"]).unwrap();
        assert_eq!(next(&ws), BrowserEvent::Error);
        assert!(matches!(next(&ws), BrowserEvent::Close(c) if c.code == 1006));
    });
}

#[test]
fn protocol_is_set_on_open() {
    within(20, || {
        let (addr, _server) = server(
            ServerOptions::default(),
            |req| Decision::accept_protocol(req.protocols()[1].clone()),
            common::echo,
        );
        let ws = WebSocket::new(&format!("ws://{addr}"), &["v2", "v1"]).unwrap();
        assert_eq!(next(&ws), BrowserEvent::Open);
        assert_eq!(ws.protocol(), "v1");
    });
}

#[test]
fn killed_server_mid_connection_gives_close_1006_without_error() {
    within(20, || {
        let (addr, server) = server(
            ServerOptions::default(),
            |_| Decision::accept(),
            |mut ws| {
                // Wait for one message, then vanish without a closing handshake.
                let _ = ws.recv();
                drop(ws);
            },
        );
        let ws = WebSocket::new(&format!("ws://{addr}"), &[]).unwrap();
        assert_eq!(next(&ws), BrowserEvent::Open);
        ws.send("bye").unwrap();
        server.join().unwrap();
        // An unclean close is not a failure: no error event (the standard; Chromium).
        assert!(matches!(next(&ws), BrowserEvent::Close(c) if c.code == 1006 && !c.was_clean));
        assert_eq!(ws.ready_state(), ReadyState::Closed);
    });
}

#[test]
fn close_while_connecting_fails_the_connection() {
    within(20, || {
        let (l, addr) = common::listener();
        // Accept TCP but never answer the handshake.
        let _hold = thread::spawn(move || {
            let conn = l.accept();
            thread::sleep(Duration::from_secs(3));
            drop(conn);
        });
        let ws = WebSocket::new(&format!("ws://{addr}"), &[]).unwrap();
        ws.close(None, None).unwrap();
        assert!(ws.ready_state() >= ReadyState::Closing);
        assert_eq!(next(&ws), BrowserEvent::Error);
        assert!(matches!(next(&ws), BrowserEvent::Close(c) if c.code == 1006));
    });
}

#[test]
fn handlers_run_in_browser_order_and_can_send() {
    within(20, || {
        let (addr, server) = echo_server();
        let log = Arc::new(Mutex::new(Vec::<String>::new()));
        let ws = WebSocket::new(&format!("ws://{addr}"), &[]).unwrap();
        let l = log.clone();
        ws.on_open(move |ws| {
            l.lock().unwrap().push("open".into());
            ws.send("Hello Server!").unwrap();
        });
        let l = log.clone();
        ws.on_message(move |ws, data| {
            l.lock().unwrap().push(format!("message {data:?}"));
            ws.close(Some(1000), Some("thanks")).unwrap();
        });
        let l = log.clone();
        ws.on_error(move |_| l.lock().unwrap().push("error".into()));
        let l = log.clone();
        ws.on_close(move |_, c| {
            l.lock()
                .unwrap()
                .push(format!("close {} {}", c.code, c.was_clean))
        });
        // Every event went to a handler: nothing is left to pull.
        assert!(ws.next_event_timeout(WAIT).is_none());
        assert_eq!(
            *log.lock().unwrap(),
            ["open", "message Text(\"Hello Server!\")", "close 1000 true"]
        );
        assert_eq!(server.join().unwrap().unwrap().unwrap().1, "thanks");
    });
}

#[test]
fn idle_connection_does_not_busy_loop() {
    within(20, || {
        let (addr, _server) = echo_server();
        let ws = WebSocket::new(&format!("ws://{addr}"), &[]).unwrap();
        assert_eq!(next(&ws), BrowserEvent::Open);
        let before = ws.driver_reads();
        thread::sleep(Duration::from_secs(1));
        let reads = ws.driver_reads() - before;
        // The read timeout is capped at 250 ms: about 4 wake-ups per second.
        assert!(reads <= 10, "{reads} reads in one idle second");
        ws.send("still there").unwrap();
        assert!(matches!(next(&ws), BrowserEvent::Message(_)));
    });
}

#[test]
fn dropping_the_socket_closes_it() {
    within(20, || {
        let (addr, server) = echo_server();
        let ws = WebSocket::new(&format!("ws://{addr}"), &[]).unwrap();
        assert_eq!(next(&ws), BrowserEvent::Open);
        drop(ws);
        let (code, _, clean) = server.join().unwrap().unwrap().unwrap();
        assert_eq!((code, clean), (1001, true));
    });
}

#[test]
fn send_queue_overflow_fails_the_connection() {
    within(20, || {
        // A peer that completes the handshake and never reads.
        let (addr, _server) = common::raw_server(|s| {
            thread::sleep(Duration::from_secs(5));
            drop(s);
        });
        let options = ClientOptions {
            limits: websock_std::Limits {
                max_send_queue: 1 << 20,
                ..Default::default()
            },
            ..ClientOptions::default()
        };
        let ws = WebSocket::with_options(&format!("ws://{addr}"), options).unwrap();
        assert_eq!(next(&ws), BrowserEvent::Open);
        let chunk = vec![0u8; 256 << 10];
        let mut sent = 0;
        while ws.ready_state() == ReadyState::Open && sent < 1000 {
            ws.send(chunk.clone()).unwrap();
            sent += 1;
        }
        assert!(sent < 1000, "the send buffer never filled");
        assert_eq!(next(&ws), BrowserEvent::Error);
        assert!(matches!(next(&ws), BrowserEvent::Close(c) if c.code == 1006 && !c.was_clean));
        wait_for_state(&ws, ReadyState::Closed);
    });
}

#[test]
fn a_reason_without_a_code_is_sent_with_1000() {
    within(20, || {
        let (addr, server) = echo_server();
        let ws = WebSocket::new(&format!("ws://{addr}"), &[]).unwrap();
        assert_eq!(next(&ws), BrowserEvent::Open);
        ws.close(None, Some("why")).unwrap();
        assert!(matches!(next(&ws), BrowserEvent::Close(c) if c.code == 1000 && c.was_clean));
        let (code, reason, _) = server.join().unwrap().unwrap().unwrap();
        assert_eq!((code, reason.as_str()), (1000, "why"));
    });
}

#[test]
fn a_panicking_handler_does_not_stop_the_connection() {
    within(20, || {
        let (addr, _server) = echo_server();
        let ws = WebSocket::new(&format!("ws://{addr}"), &[]).unwrap();
        ws.on_open(|_| panic!("a handler bug"));
        ws.on_message(|ws, _| {
            ws.close(Some(1000), None).unwrap();
            panic!("another handler bug");
        });
        // Open may have fired before the handler was set: then it is queued.
        let first = ws.next_event_timeout(Duration::from_millis(500));
        assert!(
            matches!(first, None | Some(BrowserEvent::Open)),
            "{first:?}"
        );
        wait_for_state(&ws, ReadyState::Open);
        ws.send("x").unwrap();
        assert!(matches!(next(&ws), BrowserEvent::Close(c) if c.code == 1000 && c.was_clean));
    });
}

/// A socket nobody reads: a peer sends `count` binary messages of `size` bytes (with
/// one write: a light peer). The events no handler took wait in a bounded queue
/// (websock-core's `EventQueue`): it fills up to `bound` events, then the socket stops
/// reading and the rest waits in the kernel's buffers, not in our memory. Pulling the
/// events lets it read on: nothing is lost.
fn queue_stops_at(count: usize, size: usize, bound: usize) {
    use std::io::{Read, Write};
    let mut frame = vec![0x82u8];
    match size {
        0..=125 => frame.push(size as u8),
        126..=0xFFFF => {
            frame.push(126);
            frame.extend((size as u16).to_be_bytes());
        }
        _ => {
            frame.push(127);
            frame.extend((size as u64).to_be_bytes());
        }
    }
    frame.resize(frame.len() + size, 1);
    let frames = frame.repeat(count);
    let (addr, server) = common::raw_server(move |mut s| {
        s.write_all(&frames).unwrap();
        // The client's Close: answer it (1000), then wait for the end of the stream.
        let mut buf = [0u8; 64];
        let _ = s.read(&mut buf);
        s.write_all(&[0x88, 0x02, 0x03, 0xE8]).unwrap();
        while s.read(&mut buf).is_ok_and(|n| n > 0) {}
    });
    let ws = WebSocket::new(&format!("ws://{addr}"), &[]).unwrap();
    let deadline = Instant::now() + WAIT;
    while ws.queued_events() < bound {
        assert!(Instant::now() < deadline, "{} queued", ws.queued_events());
        thread::sleep(Duration::from_millis(5));
    }
    // Time to read on, if the socket did (the peer has sent more than the bound).
    thread::sleep(Duration::from_millis(300));
    assert_eq!(ws.queued_events(), bound, "the queue stopped at its bound");

    assert_eq!(next(&ws), BrowserEvent::Open);
    for i in 0..count {
        match next(&ws) {
            BrowserEvent::Message(MessageData::Blob(b)) if b.len() == size => {}
            other => panic!("message {i}: {other:?}"),
        }
    }
    ws.close(Some(1000), None).unwrap();
    assert!(matches!(next(&ws), BrowserEvent::Close(c) if c.code == 1000 && c.was_clean));
    server.join().unwrap();
}

#[test]
fn a_socket_nobody_reads_queues_a_bounded_number_of_events() {
    // Empty messages: the bound is the count, 4096 events (the open event and 4095
    // messages).
    within(60, || queue_stops_at(6_000, 0, 4096));
}

#[test]
fn a_socket_nobody_reads_queues_a_bounded_number_of_bytes() {
    // 64 KiB messages: the bound is 1 MiB, which the 16th message crosses (each event
    // costs its payload and 64 bytes of bookkeeping): the open event and 16 messages.
    within(60, || queue_stops_at(24, 64 << 10, 17));
}

#[test]
fn handlers_are_dropped_after_the_close_event() {
    within(20, || {
        let (addr, server) = echo_server();
        // What the handlers hold: a socket, a channel... here a counted reference.
        let held = Arc::new(());
        let ws = WebSocket::new(&format!("ws://{addr}"), &[]).unwrap();
        let h = held.clone();
        ws.on_message(move |_, _| drop(h.clone()));
        let h = held.clone();
        ws.on_close(move |_, _| drop(h.clone()));
        assert_eq!(Arc::strong_count(&held), 3);
        assert_eq!(next(&ws), BrowserEvent::Open);
        ws.close(Some(1000), None).unwrap();
        // The close event went to its handler: nothing is left to pull.
        assert!(ws.next_event_timeout(WAIT).is_none());
        assert_eq!(Arc::strong_count(&held), 1, "every handler was dropped");
        // A handler set after the close event is dropped at once: it can never run.
        let h = held.clone();
        ws.on_message(move |_, _| drop(h.clone()));
        assert_eq!(Arc::strong_count(&held), 1);
        assert_eq!(server.join().unwrap().unwrap().unwrap().0, 1000);
    });
}
