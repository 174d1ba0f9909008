//! The `tracing` feature: every runtime's connections emit the engine's events under a
//! `websocket` span that carries the role, the peer address and the URL (client) or
//! request path (server), whichever thread or task made the engine call.
//!
//! One process-wide subscriber (set once) captures every event with a snapshot of its
//! parent span's fields; each test picks its own connections out by a unique request
//! path, so tests (and runtimes' threads) running at the same time do not mix.

use std::collections::HashMap;
use std::fmt;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};
use websock_tests::facade::each_runtime;
use websock_tests::script::{Script, Step};
use websock_tests::{Runtime, Scheme};

/// One captured event.
#[derive(Debug, Clone)]
struct Captured {
    level: Level,
    /// The event's fields (`message` included), as text.
    fields: HashMap<String, String>,
    /// The name of the explicit parent span (`None`: no explicit parent).
    span_name: Option<&'static str>,
    /// The parent span's fields at the time of the event.
    span: HashMap<String, String>,
}

impl Captured {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    fn span_field(&self, name: &str) -> Option<&str> {
        self.span.get(name).map(String::as_str)
    }

    fn message(&self) -> &str {
        self.field("message").unwrap_or("")
    }
}

/// Fields as text: strings unquoted, everything else as its `Debug` (which is the
/// `Display` for `%` fields).
struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

/// A span's name and fields.
type SpanData = (&'static str, HashMap<String, String>);

#[derive(Default)]
struct Capture {
    next_id: AtomicU64,
    spans: Mutex<HashMap<u64, SpanData>>,
    events: Mutex<Vec<Captured>>,
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = HashMap::new();
        span.record(&mut Fields(&mut fields));
        self.spans
            .lock()
            .unwrap()
            .insert(id, (span.metadata().name(), fields));
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        if let Some((_, fields)) = self.spans.lock().unwrap().get_mut(&span.into_u64()) {
            values.record(&mut Fields(fields));
        }
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        let (span_name, span) = match event.parent() {
            Some(id) => match self.spans.lock().unwrap().get(&id.into_u64()) {
                Some((name, fields)) => (Some(*name), fields.clone()),
                None => (None, HashMap::new()),
            },
            None => (None, HashMap::new()),
        };
        self.events.lock().unwrap().push(Captured {
            level: *event.metadata().level(),
            fields,
            span_name,
            span,
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// The process-wide capturing subscriber, installed on first use.
fn capture() -> &'static Capture {
    static CAPTURE: OnceLock<&'static Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture: &'static Capture = Box::leak(Box::default());
        tracing::subscriber::set_global_default(Forward(capture))
            .expect("no other global subscriber in this test binary");
        capture
    })
}

/// The global subscriber: forwards to the leaked [`Capture`] (which the tests read).
struct Forward(&'static Capture);

impl Subscriber for Forward {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        self.0.enabled(m)
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        self.0.new_span(span)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        self.0.record(span, values)
    }
    fn record_follows_from(&self, span: &Id, follows: &Id) {
        self.0.record_follows_from(span, follows)
    }
    fn event(&self, event: &Event<'_>) {
        self.0.event(event)
    }
    fn enter(&self, span: &Id) {
        self.0.enter(span)
    }
    fn exit(&self, span: &Id) {
        self.0.exit(span)
    }
}

/// The captured events of the connections whose span names `path` (a client's URL
/// ending with it, or a server's request path).
fn events_of(path: &str) -> Vec<Captured> {
    capture()
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|e| {
            e.span_field("path") == Some(path)
                || e.span_field("url").is_some_and(|u| u.ends_with(path))
        })
        .cloned()
        .collect()
}

/// Waits (up to 10 s) until `done` holds for the events of `path`, then returns them.
fn wait_for(path: &str, what: &str, done: impl Fn(&[Captured]) -> bool) -> Vec<Captured> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let events = events_of(path);
        if done(&events) {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: not seen within 10 s; events of {path}: {events:#?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn role(events: &[Captured], role: &str) -> Vec<Captured> {
    events
        .iter()
        .filter(|e| e.span_field("role") == Some(role))
        .cloned()
        .collect()
}

fn find<'a>(events: &'a [Captured], message: &str) -> Option<&'a Captured> {
    events.iter().find(|e| e.message() == message)
}

#[test]
fn exchange_reports_span_handshake_and_close() {
    capture();
    each_runtime("tracing_exchange", |rt| {
        let server = rt.start_server(Scheme::Ws);
        let path = format!("/tracing-exchange-{rt}");
        let url = server.url(&path);
        let script = Script::new(vec![Step::text("hello"), Step::client_close(1000, "bye")])
            .offering(&["superchat"]);
        rt.run_client(&url, &script).expect("the client's script");

        let events = wait_for(&path, "both sides' close", |events| {
            ["client", "server"]
                .iter()
                .all(|r| find(&role(events, r), "closed").is_some())
        });
        // Every event has its connection's span as its explicit parent.
        for e in &events {
            assert_eq!(e.span_name, Some("websocket"), "{e:?}");
        }

        let client = role(&events, "client");
        let server_side = role(&events, "server");
        // The spans: the client's URL and peer (the server's listening address), the
        // server's request path and peer (the client's address, not its own).
        for e in &client {
            assert_eq!(e.span_field("url"), Some(url.as_str()), "{e:?}");
            assert_eq!(
                e.span_field("peer"),
                Some(server.addr.to_string().as_str()),
                "{e:?}"
            );
        }
        for e in &server_side {
            assert_eq!(e.span_field("path"), Some(path.as_str()), "{e:?}");
            let peer: SocketAddr = e
                .span_field("peer")
                .unwrap_or_else(|| panic!("server span without peer: {e:?}"))
                .parse()
                .expect("a socket address");
            assert!(peer.ip().is_loopback() && peer != server.addr, "{e:?}");
        }

        // The handshake agreed the subprotocol, on both sides.
        for side in [&client, &server_side] {
            let open = find(side, "handshake succeeded").expect("a handshake event");
            assert_eq!(open.level, Level::DEBUG);
            assert_eq!(open.field("protocol"), Some("superchat"), "{open:?}");
        }

        // The close: the client started it with 1000 "bye", the server echoed 1000.
        let closed = find(&client, "closed").unwrap();
        assert_eq!(closed.level, Level::DEBUG);
        assert_eq!(closed.field("code"), Some("1000"), "{closed:?}");
        assert_eq!(closed.field("reason"), Some(""), "{closed:?}");
        assert_eq!(closed.field("initiator"), Some("local"), "{closed:?}");
        assert_eq!(closed.field("clean"), Some("true"), "{closed:?}");
        let closed = find(&server_side, "closed").unwrap();
        assert_eq!(closed.field("code"), Some("1000"), "{closed:?}");
        assert_eq!(closed.field("reason"), Some("bye"), "{closed:?}");
        assert_eq!(closed.field("initiator"), Some("remote"), "{closed:?}");
        assert_eq!(closed.field("clean"), Some("true"), "{closed:?}");

        // Nothing failed.
        for e in &events {
            assert!(e.level > Level::INFO, "unexpected event: {e:?}");
        }
    });
}

/// Opens a raw TCP connection to `addr`, completes the handshake for `path` by hand,
/// sends an unmasked (so invalid) client frame, and returns the bytes the server sent
/// after its 101 response, and the raw socket's own address.
fn unmasked_frame_to(addr: SocketAddr, path: &str) -> (Vec<u8>, SocketAddr) {
    let mut tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    let head_end = loop {
        if let Some(i) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = tcp.read(&mut buf).unwrap();
        assert!(n > 0, "end of stream before the response: {received:?}");
        received.extend_from_slice(&buf[..n]);
    };
    assert!(
        received.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&received)
    );
    // A text frame "hi", unmasked: a server must fail the connection with 1002.
    tcp.write_all(&[0x81, 0x02, b'h', b'i']).unwrap();
    let mut after = received.split_off(head_end);
    loop {
        match tcp.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => after.extend_from_slice(&buf[..n]),
        }
    }
    (after, tcp.local_addr().unwrap())
}

#[test]
fn protocol_error_reports_its_close_code() {
    capture();
    each_runtime("tracing_protocol_error", |rt: Runtime| {
        let server = rt.start_server(Scheme::Ws);
        let path = format!("/tracing-protocol-error-{rt}");
        let (wire, raw_addr) = unmasked_frame_to(server.addr, &path);
        // On the wire: a Close frame with 1002 (0x03EA).
        assert!(
            wire.len() >= 4 && wire[0] == 0x88 && wire[2..4] == [0x03, 0xEA],
            "{wire:?}"
        );

        let events = wait_for(&path, "the server's close", |events| {
            find(events, "closed").is_some()
        });
        for e in &events {
            assert_eq!(e.span_name, Some("websocket"), "{e:?}");
            assert_eq!(e.span_field("role"), Some("server"), "{e:?}");
            assert_eq!(e.span_field("path"), Some(path.as_str()), "{e:?}");
            assert_eq!(
                e.span_field("peer"),
                Some(raw_addr.to_string().as_str()),
                "{e:?}"
            );
        }
        assert!(
            find(&events, "handshake succeeded").is_some(),
            "{events:#?}"
        );
        let error = find(&events, "protocol error").expect("a protocol error event");
        // The peer's fault, on a server: debug, not error.
        assert_eq!(error.level, Level::DEBUG);
        assert_eq!(error.field("close_code"), Some("1002"), "{error:?}");
        assert!(
            error.field("error").is_some_and(|e| e.contains("unmasked")),
            "{error:?}"
        );
        let closed = find(&events, "closed").unwrap();
        assert_eq!(closed.level, Level::INFO);
        assert_eq!(closed.field("code"), Some("1006"), "{closed:?}");
        assert_eq!(closed.field("clean"), Some("false"), "{closed:?}");
        assert_eq!(closed.field("initiator"), Some("local"), "{closed:?}");
    });
}
