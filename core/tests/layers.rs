//! The layers every driver shares: driver helpers, the idiomatic session and the
//! browser socket, each pinned once here for all runtimes.

mod common;

use std::io::{self, Read, Write};
use std::time::Duration;

use common::*;
use websock_core::browser::{BrowserSocket, EventQueue, Handlers};
use websock_core::dom::{BrowserEvent, MessageData, ReadyState};
use websock_core::session::{Error, Incoming, Opening, Received, Session};
use websock_core::{Config, Connection, Decision, Event, Limits, Message, Role, SendError};

const T0: Duration = Duration::ZERO;

fn small_queue(limit: usize) -> Config {
    Config {
        limits: Limits {
            max_send_queue: limit,
            ..Limits::default()
        },
        ..Config::default()
    }
}

// ---- driver helpers -------------------------------------------------------------

#[test]
fn wants_read_is_false_while_events_wait_and_true_once_taken() {
    let mut server = open_server();
    assert!(server.wants_read());
    let mut input = client_frame(0x1, true, b"one");
    input.extend(client_frame(0x1, true, b"two"));
    server.handle_input(T0, &input);
    assert!(!server.wants_read(), "a message waits");
    assert!(matches!(server.poll_event(), Some(Event::Message(_))));
    assert!(
        !server.wants_read(),
        "the second message was processed on poll"
    );
    assert!(matches!(server.poll_event(), Some(Event::Message(_))));
    assert!(server.wants_read());
}

#[test]
fn wants_read_stays_true_while_the_send_queue_is_over_its_limit() {
    // Two peers that both send more than the transport holds must each keep reading,
    // or each waits for the other to read first.
    let mut server = Connection::upgraded(Role::Server, None, small_queue(100), T0);
    server.poll_event();
    server.send(Message::binary(vec![0u8; 200])).unwrap();
    assert!(server.wants_write());
    assert!(!server.has_send_room());
    assert!(server.wants_read());
    // Input is still taken and delivered while the queue is full.
    server.handle_input(T0, &client_frame(0x2, true, b"in"));
    assert!(matches!(server.poll_event(), Some(Event::Message(_))));
    drain(&mut server);
    assert!(!server.wants_write());
    assert!(server.wants_read());
    // Closing: the peer's Close is read.
    server.send(Message::binary(vec![0u8; 200])).unwrap();
    server.close(T0, Some(1000), "").unwrap();
    assert!(server.wants_read());
}

#[test]
fn a_transport_error_fails_with_transport_failed_and_finishes() {
    let mut server = open_server();
    server.send(Message::text("queued")).unwrap();
    server.handle_transport_error(T0);
    let events = events(&mut server);
    assert!(matches!(
        &events[..],
        [Event::Error(websock_core::Error::TransportFailed), Event::Close(c)] if c.code == 1006 && !c.was_clean
    ));
    assert!(server.is_finished());
    assert!(!server.wants_write() && !server.wants_read());
}

#[test]
fn a_transport_error_while_closing_closes_without_an_error_event() {
    let mut server = open_server();
    server.close(T0, Some(1000), "").unwrap();
    drain(&mut server);
    server.handle_transport_error(T0);
    let events = events(&mut server);
    assert!(matches!(&events[..], [Event::Close(c)] if c.code == 1006));
}

#[test]
fn try_send_hands_the_message_back_when_full() {
    let mut server = Connection::upgraded(Role::Server, None, small_queue(10), T0);
    server.poll_event();
    server
        .try_send(Message::text("0123456789ab"), true)
        .unwrap();
    let refused = server.try_send(Message::text("keep me"), true).unwrap_err();
    assert_eq!(refused.error, SendError::Full);
    assert_eq!(refused.message, Message::text("keep me"));
    drain(&mut server);
    server.try_send(refused.message, true).unwrap();
    let frames = decode_frames(&drain(&mut server));
    assert_eq!(frames[0].payload, b"keep me");
}

/// `Session::park` keeps every parked message, in order (the sender half is `Clone`:
/// two `Sink`s may each park one before either is queued), and `unpark` queues them
/// oldest first as room appears.
#[test]
fn parked_messages_are_kept_in_order_and_unparked_oldest_first() {
    let mut server = Connection::upgraded(Role::Server, None, small_queue(10), T0);
    server.poll_event();
    let mut session = Session::new();
    server.try_send(Message::text("fill"), true).unwrap();
    session.park(Message::text("first, parked"), true);
    session.park(Message::text("second, parked"), true);
    assert!(session.has_parked());
    assert_eq!(session.unpark(&mut server), Ok(false), "the queue is full");
    drain(&mut server);
    // One at a time: each fills the queue past its limit.
    assert_eq!(session.unpark(&mut server), Ok(false));
    let first = decode_frames(&drain(&mut server));
    assert_eq!(session.unpark(&mut server), Ok(true));
    assert!(!session.has_parked());
    let second = decode_frames(&drain(&mut server));
    assert_eq!(first[0].payload, b"first, parked");
    assert_eq!(second[0].payload, b"second, parked");
}

#[test]
fn a_server_needs_no_random_source() {
    // Without std the default source panics; a server must never ask for one. With
    // std, check that the server's frames are unmasked and the connection works.
    let mut server = Connection::server(Config::default(), T0);
    let mut client = open_client();
    let _ = &mut client;
    let request = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    server.handle_input(T0, request);
    assert!(matches!(server.poll_event(), Some(Event::Request(_))));
    server.decide(Decision::accept()).unwrap();
    server.send(Message::text("hi")).unwrap();
    let out = drain(&mut server);
    let frames = decode_frames(after_head(&out));
    assert!(!frames[0].masked);
}

/// A transport that hands out its input in small reads, then ends, and records writes
/// (taking at most `write_cap` bytes per call).
struct Pipe {
    input: Vec<u8>,
    read_chunk: usize,
    written: Vec<u8>,
    write_cap: usize,
    vectored_calls: usize,
    fail_writes: bool,
}

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.read_chunk.min(buf.len()).min(self.input.len());
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input.drain(..n);
        Ok(n)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[io::IoSlice::new(buf)])
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        if self.fail_writes {
            return Err(io::ErrorKind::ConnectionReset.into());
        }
        if self.write_cap == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        self.vectored_calls += 1;
        let mut n = 0;
        for b in bufs {
            let take = b.len().min(self.write_cap - n);
            self.written.extend_from_slice(&b[..take]);
            n += take;
            if n == self.write_cap {
                break;
            }
        }
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn pipe(input: Vec<u8>) -> Pipe {
    Pipe {
        input,
        read_chunk: 3,
        written: Vec::new(),
        write_cap: usize::MAX,
        vectored_calls: 0,
        fail_writes: false,
    }
}

#[test]
fn read_from_feeds_the_engine_and_reports_the_end_of_stream() {
    let mut server = open_server();
    let mut input = client_frame(0x1, true, b"hello");
    input.extend(client_frame(0x8, true, &1000u16.to_be_bytes()));
    let mut io = pipe(input);
    let mut messages = Vec::new();
    loop {
        while let Some(e) = server.poll_event() {
            messages.push(e);
        }
        if !server.wants_read() {
            break;
        }
        if server.read_from(T0, &mut io).unwrap() == 0 {
            break;
        }
    }
    while let Some(e) = server.poll_event() {
        messages.push(e);
    }
    assert!(matches!(&messages[0], Event::Message(m) if *m == Message::text("hello")));
    assert!(matches!(messages.last(), Some(Event::Close(c)) if c.code == 1000));
    // The echoed Close goes out through write_to, in one vectored call.
    assert!(server.write_to(&mut io).unwrap() > 0);
    assert_eq!(io.vectored_calls, 1);
    assert!(server.should_shutdown());
    assert_eq!(server.read_from(T0, &mut io).unwrap(), 0);
    assert!(server.is_finished());
}

#[test]
fn write_to_stops_at_would_block_and_keeps_the_rest() {
    let mut server = open_server();
    for _ in 0..3 {
        server.send(Message::binary(vec![7u8; 1000])).unwrap();
    }
    let mut io = pipe(Vec::new());
    io.write_cap = 1500;
    // Partial writes, then WouldBlock once the cap is 0.
    let n = server.write_to(&mut io).unwrap();
    assert_eq!(n, 3 * 1004);
    io.write_cap = 0;
    server.send(Message::binary(vec![7u8; 10])).unwrap();
    let e = server.write_to(&mut io).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    assert!(server.wants_write(), "nothing was lost");
    io.write_cap = 100;
    assert_eq!(server.write_to(&mut io).unwrap(), 12);
}

#[test]
fn a_failed_write_fails_the_connection() {
    let mut server = open_server();
    server.send(Message::text("x")).unwrap();
    let mut io = pipe(Vec::new());
    io.fail_writes = true;
    assert!(server.write_to(&mut io).is_err());
    assert!(server.is_finished());
    assert!(matches!(
        server.poll_event(),
        Some(Event::Error(websock_core::Error::TransportFailed))
    ));
}

#[test]
fn owned_buffers_carry_the_same_bytes_without_copies() {
    let mut server = open_server();
    let mut buf = server.take_receive_buffer();
    assert!(buf.capacity() >= 8 << 10);
    buf.extend_from_slice(&client_frame(0x2, true, &[1, 2, 3]));
    server.handle_received_owned(T0, buf);
    assert!(
        matches!(server.poll_event(), Some(Event::Message(m)) if m == Message::binary(vec![1, 2, 3]))
    );
    server.send(Message::binary(vec![9u8; 5000])).unwrap();
    let mut out = Vec::new();
    let total = server.poll_transmit_owned(&mut out);
    assert_eq!(total, out.iter().map(|b| b.len()).sum::<usize>());
    assert_eq!(total, 5004);
    server.advance_transmit(total);
    assert!(!server.wants_write());
}

// ---- the session -----------------------------------------------------------------

#[test]
fn the_session_yields_messages_pings_then_the_end_for_ever() {
    let mut server = open_server();
    let mut session = Session::new();
    let mut input = client_frame(0x1, true, b"a");
    input.extend(client_frame(0x9, true, b"p"));
    input.extend(client_frame(0x8, true, &4001u16.to_be_bytes()));
    server.handle_input(T0, &input);
    assert!(
        matches!(session.poll_received(&mut server), Some(Received::Incoming(Incoming::Message(m))) if m == Message::text("a"))
    );
    assert!(
        matches!(session.poll_received(&mut server), Some(Received::Incoming(Incoming::Ping(p))) if &p[..] == b"p")
    );
    assert!(matches!(
        session.poll_received(&mut server),
        Some(Received::End)
    ));
    assert!(matches!(
        session.poll_received(&mut server),
        Some(Received::End)
    ));
    assert_eq!(session.close_event().map(|c| c.code), Some(4001));
}

#[test]
fn a_failure_is_reported_once_then_the_end() {
    let mut server = open_server();
    let mut session = Session::new();
    server.handle_input(T0, &client_frame(0x1, true, &[0xff]));
    assert!(matches!(
        session.poll_received(&mut server),
        Some(Received::Failed(_))
    ));
    assert!(matches!(
        session.poll_received(&mut server),
        Some(Received::End)
    ));
    assert!(matches!(
        session.poll_received(&mut server),
        Some(Received::End)
    ));
    assert_eq!(session.close_event().map(|c| c.code), Some(1006));
}

#[test]
fn nothing_yet_is_none() {
    let mut server = open_server();
    let mut session = Session::new();
    assert!(session.poll_received(&mut server).is_none());
    server.handle_input(T0, &client_frame(0x1, false, b"part"));
    assert!(session.poll_received(&mut server).is_none());
}

#[test]
fn the_handshake_outcome_carries_the_request_into_what_was_agreed() {
    let mut pair = Pair::with_defaults(usize::MAX);
    let mut session = Session::new();
    let wire = drain(&mut pair.client);
    pair.server.handle_input(T0, &wire);
    let Some(Opening::Request(req)) = session.open(&mut pair.server) else {
        panic!("no request")
    };
    assert_eq!(req.path, "/chat");
    pair.server.decide(Decision::accept()).unwrap();
    let Some(Opening::Open(agreed)) = session.open(&mut pair.server) else {
        panic!("not open")
    };
    assert_eq!(agreed.request.map(|r| r.path), Some("/chat".to_owned()));
    assert!(agreed.protocol.is_none());
}

#[test]
fn a_rejected_or_failed_handshake_is_reported() {
    let mut server = Connection::server(Config::default(), T0);
    let mut session = Session::new();
    server.handle_input(T0, b"POST / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(matches!(
        session.open(&mut server),
        Some(Opening::Failed(websock_core::Error::Handshake(_)))
    ));
    assert!(matches!(session.open(&mut server), Some(Opening::Closed)));
}

#[test]
fn a_parked_message_waits_for_room_and_is_not_lost() {
    let mut server = Connection::upgraded(Role::Server, None, small_queue(10), T0);
    server.poll_event();
    let mut session = Session::new();
    server.send(Message::text("0123456789ab")).unwrap();
    session.park(Message::text("parked"), true);
    assert_eq!(session.unpark(&mut server), Ok(false));
    assert!(session.has_parked());
    drain(&mut server);
    assert_eq!(session.unpark(&mut server), Ok(true));
    assert!(!session.has_parked());
    assert_eq!(decode_frames(&drain(&mut server))[0].payload, b"parked");
}

#[test]
fn advance_to_close_keeps_messages_for_the_receiver_within_a_bound() {
    let mut server = open_server();
    let mut session = Session::new();
    server.close(T0, Some(1000), "").unwrap();
    let mut input = Vec::new();
    for i in 0..2000u32 {
        input.extend(client_frame(0x9, true, b""));
        input.extend(client_frame(0x2, true, &i.to_be_bytes()));
    }
    input.extend(client_frame(0x8, true, &1000u16.to_be_bytes()));
    server.handle_input(T0, &input);
    let close = session.advance_to_close(&mut server).expect("closed");
    assert!(close.was_clean);
    assert!(server.poll_event().is_none());
    // The first messages reach the receiver, in order; pings and the excess do not.
    let mut n = 0u32;
    while let Some(Received::Incoming(Incoming::Message(m))) = session.poll_received(&mut server) {
        assert_eq!(m, Message::binary(n.to_be_bytes().to_vec()));
        n += 1;
    }
    assert_eq!(
        n as usize,
        websock_core::session::KEPT_WHILE_CLOSING_MESSAGES
    );
    assert!(matches!(
        session.poll_received(&mut server),
        Some(Received::End)
    ));
}

#[test]
fn the_transport_error_wins_only_for_transport_failures() {
    let io = || Some(io::Error::from(io::ErrorKind::ConnectionReset));
    assert!(matches!(
        Error::from_failure(websock_core::Error::TransportFailed, io()),
        Error::Io(_)
    ));
    assert!(matches!(
        Error::from_failure(websock_core::Error::ConnectionLost, io()),
        Error::Io(_)
    ));
    assert!(matches!(
        Error::from_failure(websock_core::Error::ConnectionLost, None),
        Error::Protocol(websock_core::Error::ConnectionLost)
    ));
    assert!(matches!(
        Error::from_failure(websock_core::Error::CloseTimeout, io()),
        Error::Protocol(_)
    ));
    assert!(matches!(
        Error::from_failure(
            websock_core::Error::Handshake(websock_core::HandshakeError::UnexpectedEof),
            io()
        ),
        Error::Io(_)
    ));
    assert!(matches!(Error::from_send(SendError::Closed), Error::Closed));
    assert!(matches!(
        Error::from_send(SendError::Full),
        Error::Send(SendError::Full)
    ));
}

// ---- the browser socket -------------------------------------------------------------

#[test]
fn the_event_queue_is_bounded_by_count_and_by_bytes() {
    let mut q = EventQueue::new(3, 1 << 20);
    for _ in 0..3 {
        assert!(q.has_room());
        q.push(BrowserEvent::Message(MessageData::Text(String::new())));
    }
    assert!(!q.has_room(), "empty messages count");
    q.pop();
    assert!(q.has_room());

    let mut q = EventQueue::new(1000, 1000);
    q.push(BrowserEvent::Message(MessageData::ArrayBuffer(
        vec![0; 2000].into(),
    )));
    assert!(!q.has_room());
    assert!(q.cost() >= 2000);
    q.pop();
    assert_eq!(q.cost(), 0);

    let mut q = EventQueue::default();
    let mut n = 0;
    while q.has_room() {
        q.push(BrowserEvent::Message(MessageData::Text(String::new())));
        n += 1;
    }
    assert!(n <= 4096, "{n} empty messages queued");
}

#[test]
fn the_queue_ends_after_the_close_event() {
    let mut q = EventQueue::default();
    q.push(BrowserEvent::Open);
    q.push(BrowserEvent::Close(websock_core::CloseEvent {
        code: 1000,
        reason: String::new(),
        was_clean: true,
    }));
    assert!(q.is_done() && !q.is_over());
    q.pop();
    q.pop();
    assert!(q.is_over());
}

#[test]
fn browser_send_rules() {
    let mut client = Connection::client(
        websock_core::handshake::ClientRequest::new("x", "/"),
        Config::default(),
        T0,
    )
    .unwrap();
    assert_eq!(
        BrowserSocket::send(&mut client, "early"),
        Err(websock_core::ApiError::InvalidState)
    );
    let mut server = Connection::upgraded(Role::Server, None, small_queue(10), T0);
    server.poll_event();
    BrowserSocket::send(&mut server, "0123456789ab").unwrap();
    // Over the send buffer: the connection fails, as a browser's does.
    BrowserSocket::send(&mut server, "more").unwrap();
    assert!(matches!(
        server.poll_event(),
        Some(Event::Error(websock_core::Error::SendQueueFull))
    ));
    assert_eq!(server.ready_state(), ReadyState::Closed);
    // Closed: dropped and counted, no error.
    let before = server.buffered_amount();
    BrowserSocket::send(&mut server, "late").unwrap();
    assert_eq!(server.buffered_amount(), before + 4);
}

#[test]
fn browser_close_rules_and_the_last_handle() {
    let mut server = open_server();
    let mut socket = BrowserSocket::new();
    assert_eq!(
        socket.close(&mut server, T0, Some(1001), None),
        Err(websock_core::ApiError::InvalidAccess)
    );
    assert_eq!(
        socket.close(&mut server, T0, Some(1000), Some(&"x".repeat(124))),
        Err(websock_core::ApiError::Syntax)
    );
    assert_eq!(server.ready_state(), ReadyState::Open);
    BrowserSocket::last_handle_dropped(&mut server, T0);
    assert_eq!(server.ready_state(), ReadyState::Closing);
    assert_eq!(close_code(&decode_frames(&drain(&mut server))), Some(1001));
}

#[test]
fn browser_events_follow_the_binary_type() {
    let mut server = open_server();
    let mut socket = BrowserSocket::new();
    socket.set_binary_type(websock_core::dom::BinaryType::ArrayBuffer);
    server.handle_input(T0, &client_frame(0x2, true, &[1]));
    assert!(matches!(
        socket.next_event(&mut server),
        Some(BrowserEvent::Message(MessageData::ArrayBuffer(_)))
    ));
}

#[test]
fn handlers_run_outside_the_lock_survive_panics_and_are_dropped_after_close() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let calls = Arc::new(AtomicUsize::new(0));
    let mut handlers: Handlers<()> = Handlers::default();
    let c = calls.clone();
    handlers.set_message(move |_, _| {
        c.fetch_add(1, Ordering::SeqCst);
        panic!("a handler's bug");
    });
    for _ in 0..2 {
        let mut call = handlers
            .take(BrowserEvent::Message(MessageData::Text("m".into())))
            .unwrap();
        call.run(&());
        handlers.restore(call);
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the handler stays after a panic"
    );
    // No open handler: the event comes back.
    assert!(matches!(
        handlers.take(BrowserEvent::Open),
        Err(BrowserEvent::Open)
    ));
    // The close event drops every handler, and later ones are ignored.
    let close = websock_core::CloseEvent {
        code: 1000,
        reason: String::new(),
        was_clean: true,
    };
    assert!(handlers.take(BrowserEvent::Close(close)).is_err());
    assert!(handlers.is_closed());
    handlers.set_open(|_| {});
    assert!(handlers
        .take(BrowserEvent::Message(MessageData::Text("m".into())))
        .is_err());
    assert!(handlers.take(BrowserEvent::Open).is_err());
}

// ---- API decisions ---------------------------------------------------------------

fn closing_server(receive_after_close: bool) -> Vec<Event> {
    let config = Config {
        receive_after_close,
        ..Config::default()
    };
    let mut server = Connection::upgraded(Role::Server, None, config, T0);
    server.poll_event();
    server.close(T0, Some(1000), "").unwrap();
    let mut input = client_frame(0x1, true, b"late");
    input.extend(client_frame(0x8, true, &1000u16.to_be_bytes()));
    server.handle_input(T0, &input);
    events(&mut server)
}

#[test]
fn messages_after_our_close_reach_the_idiomatic_api_but_not_the_browser() {
    let events = closing_server(true);
    assert!(matches!(&events[0], Event::Message(m) if *m == Message::text("late")));
    assert!(matches!(events.last(), Some(Event::Close(c)) if c.was_clean));
    let events = closing_server(false);
    assert!(matches!(&events[..], [Event::Close(c)] if c.was_clean));
    // The browser connection from the settings has the browser's rule.
    let settings: websock_core::ClientSettings = websock_core::ClientSettings::new();
    let url = settings.parse_browser_url("ws://h/").unwrap();
    assert!(settings.browser_connection(&url, T0).is_ok());
}

#[test]
fn ready_state_advances_with_event_dispatch() {
    use websock_core::dom::ReadyState::*;
    let mut server = open_server();
    let mut socket = BrowserSocket::new();
    // The engine is already OPEN: the application sees CONNECTING until the open event.
    assert_eq!(socket.ready_state(server.ready_state()), Connecting);
    socket.dispatched(&BrowserEvent::Open);
    assert_eq!(socket.ready_state(server.ready_state()), Open);
    socket.close(&mut server, T0, Some(1000), None).unwrap();
    assert_eq!(socket.ready_state(server.ready_state()), Closing);
    // The peer's Close arrives: the engine is CLOSED, the socket CLOSING until the
    // close event is dispatched.
    server.handle_input(T0, &client_frame(0x8, true, &1000u16.to_be_bytes()));
    assert_eq!(server.ready_state(), Closed);
    assert_eq!(socket.ready_state(server.ready_state()), Closing);
    let close = socket.next_event(&mut server).unwrap();
    socket.dispatched(&close);
    assert_eq!(socket.ready_state(server.ready_state()), Closed);

    // close() while CONNECTING is CLOSING until the close event (not CLOSED at once).
    let mut client = Connection::client(
        websock_core::handshake::ClientRequest::new("x", "/"),
        Config::default(),
        T0,
    )
    .unwrap();
    let mut socket = BrowserSocket::new();
    socket.close(&mut client, T0, None, None).unwrap();
    assert_eq!(client.ready_state(), Closed);
    assert_eq!(socket.ready_state(client.ready_state()), Closing);
    // A server-initiated close after open: CLOSING until dispatched.
    let mut server = open_server();
    let mut socket = BrowserSocket::new();
    socket.dispatched(&BrowserEvent::Open);
    server.handle_input(T0, &client_frame(0x8, true, &1001u16.to_be_bytes()));
    assert_eq!(socket.ready_state(server.ready_state()), Closing);
}

#[test]
fn messages_convert_from_strings_and_bytes() {
    use websock_core::{Bytes, Message};
    assert_eq!(Message::from("hi"), Message::text("hi"));
    assert_eq!(Message::from(String::from("hi")), Message::text("hi"));
    assert_eq!(Message::from(vec![1u8, 2]), Message::binary(vec![1u8, 2]));
    assert_eq!(Message::from(&[1u8, 2][..]), Message::binary(vec![1u8, 2]));
    assert_eq!(
        Message::from(Bytes::from_static(b"x")),
        Message::binary(&b"x"[..])
    );
    let text: Message = String::from("é").into();
    assert_eq!(text.kind(), websock_core::MessageKind::Text);
    assert_eq!(text.as_bytes(), "é".as_bytes());
}
