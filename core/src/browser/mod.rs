//! The browser socket: the state and rules behind every runtime's `WebSocket` face,
//! decided once.
//!
//! * [`BrowserSocket`]: `binaryType`, `readyState`, `protocol` and `extensions`, the
//!   `send` / `close` rules (with UTF-16 input), which edition of the rules applies
//!   ([`Compat`]), what happens when the last handle goes away, and the engine events
//!   shaped as the browser's, one at a time;
//! * [`BrowserSocket::start`]: the constructor's checks and the engine it starts;
//! * [`fires_error_event`]: which failures the browser reports with an `error` event;
//! * [`EventQueue`]: the events no handler took, bounded by count **and** bytes (an
//!   empty message costs its bookkeeping), so a slow reader stops the reading;
//! * [`Handlers`]: the `on*` slots, called outside every lock (take, call, restore),
//!   a panicking handler contained (with `std`), all of them dropped after the close
//!   event.
//!
//! A runtime keeps these beside its [`Connection`] and moves bytes, time and wake-ups.

#[cfg(feature = "std")]
mod commands;
mod failure;
mod handlers;
mod queue;

use alloc::string::String;
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};
use core::time::Duration;

use crate::connection::{Connection, SendError};
use crate::dom::{
    close_frame_code, is_blocked_port, parse_websocket_url_with, validate_close_args, BinaryType,
    BrowserEvent, Compat, MessageData, ReadyState, UrlOptions, WsUrl,
};
use crate::error::ApiError;
use crate::event::{Event, Open};
use crate::message::Message;
use crate::settings::ClientSettings;

#[cfg(feature = "std")]
pub(crate) use commands::browser_commands;
pub use failure::fires_error_event;
pub use handlers::{Call, Handlers};
pub use queue::EventQueue;

/// What the opening handshake agreed, as the browser's attributes show it.
#[derive(Debug, Clone, Default)]
struct Agreed {
    /// `protocol`: the subprotocol the server selected (empty if none).
    protocol: String,
    /// `extensions`: the server's `Sec-WebSocket-Extensions` value as it sent it.
    extensions: String,
}

impl Agreed {
    fn from_open(open: &Open) -> Agreed {
        Agreed {
            protocol: open.protocol.clone().unwrap_or_default(),
            extensions: extensions_as_sent(open),
        }
    }
}

/// The `extensions` attribute for an open event: the server's
/// `Sec-WebSocket-Extensions` value exactly as sent (several header lines joined with
/// `", "`, as HTTP combines them), not the engine's re-serialization. Without the
/// response (a connection upgraded elsewhere), the engine's text.
fn extensions_as_sent(open: &Open) -> String {
    let Some(response) = &open.response else {
        return open.extensions.clone();
    };
    let values: Vec<String> = response
        .headers_all("sec-websocket-extensions")
        .filter(|v| !v.is_empty())
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect();
    values.join(", ")
}

/// A browser `WebSocket` ready to be driven: what [`BrowserSocket::start`] made of the
/// constructor's arguments.
#[derive(Debug)]
pub struct Start {
    /// The parsed URL: the `url` attribute, and where to connect.
    pub url: WsUrl,
    /// The engine: CONNECTING with its request queued, or already failed (see `dial`).
    pub conn: Connection,
    /// The browser socket's state, following the chosen [`Compat`].
    pub socket: BrowserSocket,
    /// Whether to connect. `false`: the connection already failed (a blocked port under
    /// [`Compat::Standard`]); dial nothing, only deliver its events (error, then close
    /// with 1006), asynchronously as every event is.
    pub dial: bool,
}

/// The browser socket's own state: `binaryType`, the [`Compat`] it follows, the
/// `readyState` the application has seen, and what the handshake agreed, plus its rules
/// as methods that act on the [`Connection`] (which holds the `url`:
/// [`Connection::url`]).
///
/// [`next_event`](Self::next_event) takes `&self` (the async runtimes call it while
/// holding the engine's lock, with the socket borrowed); what it learns from the
/// engine's events (`protocol` and `extensions` at open, whether the engine had already
/// closed behind an event) is kept in cells.
#[derive(Debug, Clone, Default)]
pub struct BrowserSocket {
    binary_type: BinaryType,
    compat: Compat,
    /// The readyState the application has seen events for: CONNECTING until the open
    /// event is dispatched, CLOSED once the error or close event is.
    dispatched: ReadyState,
    /// `close()` was called while CONNECTING or OPEN.
    close_called: bool,
    /// A handler is running (between [`take_handler`](Self::take_handler) and
    /// [`restore_handler`](Self::restore_handler)): a closing the engine saw meanwhile
    /// is the browser's next task, not this one's.
    in_handler: bool,
    /// Set when the engine reports the connection open (before the open event is
    /// dispatched): what it agreed.
    agreed: RefCell<Option<Agreed>>,
    /// The engine was already closed when the latest open or message event was taken
    /// from it: its closing (a Close frame or a bad frame read with that input) comes
    /// after events not dispatched yet, so it does not show yet.
    closed_behind: Cell<bool>,
}

impl BrowserSocket {
    /// A socket whose open event is not dispatched yet, `binaryType` `"blob"`, following
    /// [`Compat::Mdn`].
    pub fn new() -> BrowserSocket {
        BrowserSocket::default()
    }

    /// Like [`new`](Self::new), following `compat`.
    pub fn with_compat(compat: Compat) -> BrowserSocket {
        BrowserSocket {
            compat,
            ..BrowserSocket::default()
        }
    }

    /// [`start`](Self::start) for a runtime's handles: `wss://` is also a `SyntaxError`
    /// when the runtime has no TLS (`supports_tls` false), before anything is dialled.
    #[cfg(feature = "std")]
    pub(crate) fn start_on<Tls>(
        url: &str,
        options: &ClientSettings<Tls>,
        compat: Compat,
        supports_tls: bool,
    ) -> Result<Start, ApiError> {
        let start = Self::start(url, options, compat)?;
        if start.url.is_secure() && !supports_tls {
            return Err(ApiError::Syntax);
        }
        Ok(start)
    }

    /// `new WebSocket(url, protocols)` with `options` (its `protocols`, `headers`,
    /// limits, timeouts and `check_bad_ports`), following `compat`: checks the
    /// arguments and creates the engine (at time zero) and the socket.
    ///
    /// A blocked port (unless `check_bad_ports` is `Some(false)`) is a `SecurityError`
    /// under [`Compat::Mdn`]; under [`Compat::Standard`] the constructor succeeds, the
    /// engine is failed at once as a refused connection would be (an error event, then
    /// a close event with 1006, both delivered as usual), and [`Start::dial`] is false.
    ///
    /// # Errors
    ///
    /// `SyntaxError` for a URL that does not parse, a scheme other than
    /// ws/wss/http/https, a fragment, a bad protocol list (not tokens, or duplicates
    /// ignoring ASCII case), or an extra header that would corrupt the request;
    /// `SecurityError` for a blocked port under [`Compat::Mdn`].
    pub fn start<Tls>(
        url: &str,
        options: &ClientSettings<Tls>,
        compat: Compat,
    ) -> Result<Start, ApiError> {
        let check_bad_ports = options.browser_checks_bad_ports();
        let url = parse_websocket_url_with(
            url,
            UrlOptions {
                check_bad_ports: check_bad_ports && compat.throws_for_blocked_port(),
            },
        )?;
        let mut conn = options.browser_connection(&url, Duration::ZERO)?;
        let blocked = check_bad_ports && url.explicit_port().is_some_and(is_blocked_port);
        if blocked {
            // The fetch fails before any connection is attempted: a network error.
            conn.handle_transport_error(Duration::ZERO);
        }
        Ok(Start {
            url,
            conn,
            socket: BrowserSocket::with_compat(compat),
            dial: !blocked,
        })
    }

    /// The edition of the rules this socket follows.
    pub fn compat(&self) -> Compat {
        self.compat
    }

    /// `binaryType`.
    pub fn binary_type(&self) -> BinaryType {
        self.binary_type
    }

    /// Sets `binaryType`; it applies to messages shaped from now on.
    pub fn set_binary_type(&mut self, binary_type: BinaryType) {
        self.binary_type = binary_type;
    }

    /// `protocol`: empty until the open event is dispatched, then the subprotocol the
    /// server selected (empty if none).
    pub fn protocol(&self) -> String {
        self.agreed_once_open(|a| a.protocol.clone())
    }

    /// `extensions`: empty until the open event is dispatched, then the server's
    /// `Sec-WebSocket-Extensions` value exactly as it sent it (e.g.
    /// `"permessage-deflate;server_no_context_takeover"`, spacing included).
    pub fn extensions(&self) -> String {
        self.agreed_once_open(|a| a.extensions.clone())
    }

    fn agreed_once_open(&self, f: impl FnOnce(&Agreed) -> String) -> String {
        if self.dispatched == ReadyState::Connecting {
            return String::new();
        }
        self.agreed.borrow().as_ref().map(f).unwrap_or_default()
    }

    /// `send(data)`: `InvalidStateError` while CONNECTING. Once CLOSING or CLOSED the
    /// data is dropped and its length added to `bufferedAmount`, without an error. If
    /// the send buffer ([`crate::Limits::max_send_queue`]) would overflow, the
    /// connection fails (error, then close 1006), as a browser's does.
    pub fn send(conn: &mut Connection, data: impl Into<MessageData>) -> Result<(), ApiError> {
        match conn.send(Message::from(data.into())) {
            Ok(()) | Err(SendError::Closed) => Ok(()),
            Err(SendError::Full) => {
                conn.overflow();
                Ok(())
            }
            Err(e) => Err(e.as_api_error().unwrap_or(ApiError::InvalidState)),
        }
    }

    /// `send(data)` with a script's string (UTF-16), sent as a text message:
    /// `InvalidStateError` while CONNECTING; then, for an unpaired surrogate,
    /// `SyntaxError` under [`Compat::Mdn`], or U+FFFD in its place under
    /// [`Compat::Standard`]. Otherwise as [`send`](Self::send) (`bufferedAmount` counts
    /// the UTF-8 bytes).
    pub fn send_utf16(&self, conn: &mut Connection, units: &[u16]) -> Result<(), ApiError> {
        if conn.ready_state() == ReadyState::Connecting {
            return Err(ApiError::InvalidState);
        }
        let text = self.compat.text_from_utf16(units)?;
        Self::send(conn, text)
    }

    /// `readyState` as the application sees it, given the engine's state: it advances
    /// with event dispatch, as the standard's task queue does, so a handler never sees
    /// a state ahead of its event:
    ///
    /// * CONNECTING until the open event is dispatched ([`dispatched`](Self::dispatched));
    /// * CLOSING once `close()` was called (also while CONNECTING), or once the engine
    ///   is closing after open — but not while a handler runs for an event taken
    ///   before that closing, nor while the closing waits behind events not dispatched
    ///   yet (a Close frame or a bad frame read in the same segment as the `101`:
    ///   `onopen` sees OPEN, as in Chromium);
    /// * CLOSED once the error event (the standard sets CLOSED just before firing it)
    ///   or the close event is dispatched.
    pub fn ready_state(&self, engine: ReadyState) -> ReadyState {
        match self.dispatched {
            ReadyState::Closed => ReadyState::Closed,
            _ if self.close_called => ReadyState::Closing,
            ReadyState::Connecting => ReadyState::Connecting,
            ReadyState::Open | ReadyState::Closing => match engine {
                ReadyState::Closing => ReadyState::Closing,
                ReadyState::Closed if !self.in_handler && !self.closed_behind.get() => {
                    ReadyState::Closing
                }
                _ => ReadyState::Open,
            },
        }
    }

    /// Records that `event` is being dispatched (its handler is about to run, or the
    /// application took it from the queue): the open event makes the socket OPEN, the
    /// error and close events CLOSED.
    pub fn dispatched(&mut self, event: &BrowserEvent) {
        match event {
            BrowserEvent::Open if self.dispatched == ReadyState::Connecting => {
                self.dispatched = ReadyState::Open;
            }
            BrowserEvent::Error | BrowserEvent::Close(_) => self.dispatched = ReadyState::Closed,
            _ => {}
        }
    }

    /// Takes the handler for `event` ([`Handlers::take`]) and records the dispatch
    /// when there is one; without one the event comes back (queue it, and take it later
    /// with [`pop_event`](Self::pop_event)).
    pub fn take_handler<W>(
        &mut self,
        handlers: &mut Handlers<W>,
        event: BrowserEvent,
    ) -> Result<Call<W>, BrowserEvent> {
        // A message no longer delivered goes to the queue, where `pop_event` drops it.
        if self.drops(&event) {
            return Err(event);
        }
        let marker = match &event {
            BrowserEvent::Open => Some(BrowserEvent::Open),
            BrowserEvent::Error => Some(BrowserEvent::Error),
            BrowserEvent::Close(c) => Some(BrowserEvent::Close(c.clone())),
            BrowserEvent::Message(_) => None,
        };
        let call = handlers.take(event)?;
        if let Some(marker) = marker {
            self.dispatched(&marker);
        }
        self.in_handler = true;
        Ok(call)
    }

    /// A handler from [`take_handler`](Self::take_handler) ran: puts it back
    /// ([`Handlers::restore`]) and ends its dispatch.
    pub fn restore_handler<W>(&mut self, handlers: &mut Handlers<W>, call: Call<W>) {
        self.in_handler = false;
        handlers.restore(call);
    }

    /// The oldest queued event, for the application, recording its dispatch. Messages
    /// queued before [`close`](Self::close) was called are dropped here: a message is
    /// only delivered while OPEN, judged when it is dispatched (as the browser's
    /// message task checks `readyState` when it runs), not when it was read.
    pub fn pop_event(&mut self, queue: &mut EventQueue) -> Option<BrowserEvent> {
        loop {
            let event = queue.pop()?;
            if self.drops(&event) {
                continue;
            }
            self.dispatched(&event);
            return Some(event);
        }
    }

    /// Whether `event` is no longer delivered: a message once messages are not
    /// ([`delivers_messages`](Self::delivers_messages)).
    fn drops(&self, event: &BrowserEvent) -> bool {
        matches!(event, BrowserEvent::Message(_)) && !self.delivers_messages()
    }

    /// Whether a message is still delivered: not once `close()` was called (the one
    /// rule for messages queued here and for those the engine still holds).
    fn delivers_messages(&self) -> bool {
        !self.close_called
    }

    /// `close(code, reason)`: `InvalidAccessError` for a code other than 1000 or
    /// 3000-4999, `SyntaxError` for a reason over 123 UTF-8 bytes. Starts the closing
    /// handshake (a reason without a code is sent with 1000), fails a connection still
    /// CONNECTING, and does nothing once CLOSING or CLOSED. `readyState` becomes
    /// CLOSING (from CONNECTING too) until the close event is dispatched.
    pub fn close(
        &mut self,
        conn: &mut Connection,
        now: Duration,
        code: Option<u16>,
        reason: Option<&str>,
    ) -> Result<(), ApiError> {
        validate_close_args(code, reason)?;
        conn.close(now, close_frame_code(code, reason), reason.unwrap_or(""))?;
        if self.dispatched != ReadyState::Closed {
            self.close_called = true;
        }
        Ok(())
    }

    /// `close(code, reason)` with the reason as a script's string (UTF-16): the code is
    /// checked first (`InvalidAccessError`), then the reason: an unpaired surrogate is
    /// a `SyntaxError` under [`Compat::Mdn`] and U+FFFD under [`Compat::Standard`];
    /// over 123 UTF-8 bytes (after that replacement) is a `SyntaxError`. Then as
    /// [`close`](Self::close).
    pub fn close_utf16(
        &mut self,
        conn: &mut Connection,
        now: Duration,
        code: Option<u16>,
        reason: Option<&[u16]>,
    ) -> Result<(), ApiError> {
        let reason = self.compat.close_reason_from_utf16(code, reason)?;
        self.close(conn, now, code, reason.as_deref())
    }

    /// The last handle went away: an OPEN connection is closed with 1001 (going away),
    /// a CONNECTING one is failed; CLOSING or CLOSED ones finish on their own.
    pub fn last_handle_dropped(conn: &mut Connection, now: Duration) {
        match conn.ready_state() {
            ReadyState::Open => {
                let _ = conn.close(now, Some(crate::close::GOING_AWAY), "");
            }
            ReadyState::Connecting => conn.abort(),
            ReadyState::Closing | ReadyState::Closed => {}
        }
    }

    /// The engine's next event shaped as the browser's (`None`: nothing yet). Call it
    /// only when the event can be delivered (a handler is free, or
    /// [`EventQueue::has_room`]): the engine processes later input only as events are
    /// taken, so a handler's answer to a message goes out before later frames are acted
    /// on.
    ///
    /// The engine's open event fixes `protocol` and `extensions` (shown once it is
    /// dispatched); its failure becomes an error event only if the connection was
    /// *failed* ([`fires_error_event`]): a peer that drops TCP after open gives open,
    /// then close (1006, not clean), and no error.
    pub fn next_event(&self, conn: &mut Connection) -> Option<BrowserEvent> {
        loop {
            let event = match conn.poll_event()? {
                Event::Open(open) => {
                    *self.agreed.borrow_mut() = Some(Agreed::from_open(&open));
                    self.closed_behind
                        .set(conn.ready_state() == ReadyState::Closed);
                    BrowserEvent::Open
                }
                // Read before `close()` was called, dispatched after: not delivered.
                Event::Message(_) if !self.delivers_messages() => continue,
                Event::Message(m) => {
                    self.closed_behind
                        .set(conn.ready_state() == ReadyState::Closed);
                    BrowserEvent::Message(MessageData::from_message(m, self.binary_type))
                }
                Event::Error(e) => {
                    if !fires_error_event(&e, self.agreed.borrow().is_some()) {
                        continue;
                    }
                    BrowserEvent::Error
                }
                other => match BrowserEvent::from_event(other, self.binary_type) {
                    Some(event) => event,
                    None => continue,
                },
            };
            return Some(event);
        }
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::event::CloseEvent;
    use alloc::borrow::ToOwned;
    use alloc::format;

    type Settings = ClientSettings<()>;

    /// Everything `conn` wants written.
    fn transmit(conn: &mut Connection) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let mut slices: [&[u8]; 16] = [&[]; 16];
            let n = conn.poll_transmit(&mut slices);
            if n == 0 {
                return out;
            }
            let before = out.len();
            for s in &slices[..n] {
                out.extend_from_slice(s);
            }
            let written = out.len() - before;
            conn.advance_transmit(written);
        }
    }

    /// A 101 response to the request `conn` sent, with `extra` header lines.
    fn response(conn: &mut Connection, extra: &str) -> Vec<u8> {
        let request = String::from_utf8(transmit(conn)).unwrap();
        let key = request
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .expect("a key")
            .trim()
            .to_owned();
        let accept = crate::handshake::accept_key(key.as_bytes());
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {accept}\r\n{extra}\r\n"
        )
        .into_bytes()
    }

    /// Takes every event, dispatching each, with the readyState seen at each.
    fn events(socket: &mut BrowserSocket, conn: &mut Connection) -> Vec<(BrowserEvent, u16)> {
        let mut out = Vec::new();
        while let Some(event) = socket.next_event(conn) {
            socket.dispatched(&event);
            out.push((event, socket.ready_state(conn.ready_state()).as_u16()));
        }
        out
    }

    fn open(compat: Compat, extra: &str) -> (BrowserSocket, Connection) {
        let start = BrowserSocket::start("ws://example.com/", &Settings::new(), compat).unwrap();
        assert!(start.dial);
        let (mut socket, mut conn) = (start.socket, start.conn);
        let head = response(&mut conn, extra);
        conn.handle_input(Duration::ZERO, &head);
        assert_eq!(events(&mut socket, &mut conn), [(BrowserEvent::Open, 1)]);
        (socket, conn)
    }

    fn abnormal() -> BrowserEvent {
        BrowserEvent::Close(CloseEvent {
            code: 1006,
            reason: String::new(),
            was_clean: false,
        })
    }

    #[test]
    fn a_dropped_transport_after_open_is_close_1006_without_error() {
        let (mut socket, mut conn) = open(Compat::Mdn, "");
        conn.handle_eof(Duration::ZERO);
        assert_eq!(events(&mut socket, &mut conn), [(abnormal(), 3)]);
        let (mut socket, mut conn) = open(Compat::Mdn, "");
        conn.handle_transport_error(Duration::ZERO);
        assert_eq!(events(&mut socket, &mut conn), [(abnormal(), 3)]);
    }

    #[test]
    fn a_message_read_before_close_is_not_delivered_after_it() {
        // Read by the engine while OPEN, not yet taken when the application calls
        // close(): dropped, as the browser's message task finds readyState CLOSING.
        let (mut socket, mut conn) = open(Compat::Mdn, "");
        conn.handle_input(Duration::ZERO, &[0x81, 0x03, b't', b'w', b'o']);
        socket.close(&mut conn, Duration::ZERO, None, None).unwrap();
        assert_eq!(events(&mut socket, &mut conn), []);
        // The same for one already in the event queue.
        let (mut socket, mut conn) = open(Compat::Mdn, "");
        let mut queue = EventQueue::default();
        queue.push(BrowserEvent::Message(MessageData::Text("two".into())));
        socket.close(&mut conn, Duration::ZERO, None, None).unwrap();
        assert_eq!(socket.pop_event(&mut queue), None);
        // A message taken before close() is delivered as usual.
        let (mut socket, mut conn) = open(Compat::Mdn, "");
        conn.handle_input(Duration::ZERO, &[0x81, 0x03, b'o', b'n', b'e']);
        let text = BrowserEvent::Message(MessageData::Text("one".into()));
        assert_eq!(events(&mut socket, &mut conn), [(text, 1)]);
    }

    #[test]
    fn a_protocol_violation_is_error_then_close_and_error_sees_closed() {
        let (mut socket, mut conn) = open(Compat::Mdn, "");
        // A text frame with RSV1 set and no extension agreed.
        conn.handle_input(Duration::ZERO, &[0xC1, 0x01, b'a']);
        assert_eq!(
            events(&mut socket, &mut conn),
            [(BrowserEvent::Error, 3), (abnormal(), 3)]
        );
    }

    #[test]
    fn frames_read_with_the_101_do_not_show_ahead_of_their_events() {
        let start = BrowserSocket::start("ws://example.com/", &Settings::new(), Compat::Mdn)
            .expect("valid");
        let (mut socket, mut conn) = (start.socket, start.conn);
        let mut input = response(&mut conn, "");
        // A text "hi", then a Close (1000, "bye"), in the same read as the 101.
        input.extend_from_slice(&[0x81, 0x02, b'h', b'i', 0x88, 0x05, 0x03, 0xE8]);
        input.extend_from_slice(b"bye");
        conn.handle_input(Duration::ZERO, &input);
        let close = BrowserEvent::Close(CloseEvent {
            code: 1000,
            reason: "bye".to_owned(),
            was_clean: true,
        });
        assert_eq!(
            events(&mut socket, &mut conn),
            [
                (BrowserEvent::Open, 1),
                (BrowserEvent::Message(MessageData::Text("hi".to_owned())), 1),
                (close, 3)
            ]
        );
        // A bad frame with the 101: OPEN at open, CLOSED at error.
        let start = BrowserSocket::start("ws://example.com/", &Settings::new(), Compat::Mdn)
            .expect("valid");
        let (mut socket, mut conn) = (start.socket, start.conn);
        let mut input = response(&mut conn, "");
        input.extend_from_slice(&[0x83, 0x00]);
        conn.handle_input(Duration::ZERO, &input);
        assert_eq!(
            events(&mut socket, &mut conn),
            [
                (BrowserEvent::Open, 1),
                (BrowserEvent::Error, 3),
                (abnormal(), 3)
            ]
        );
    }

    #[test]
    fn a_close_read_while_a_handler_runs_shows_after_it() {
        let (mut socket, mut conn) = open(Compat::Mdn, "");
        let mut handlers: Handlers<()> = Handlers::default();
        handlers.set_message(|_, _| {});
        conn.handle_input(Duration::ZERO, &[0x81, 0x01, b'a']);
        let message = socket.next_event(&mut conn).expect("a message");
        let call = socket
            .take_handler(&mut handlers, message)
            .expect("a handler");
        // The peer's Close is read while the handler runs.
        conn.handle_input(Duration::ZERO, &[0x88, 0x02, 0x03, 0xE8]);
        assert_eq!(conn.ready_state(), ReadyState::Closed);
        assert_eq!(socket.ready_state(conn.ready_state()), ReadyState::Open);
        socket.restore_handler(&mut handlers, call);
        assert_eq!(socket.ready_state(conn.ready_state()), ReadyState::Closing);
        let close = socket.next_event(&mut conn).expect("the close event");
        socket.dispatched(&close);
        assert_eq!(socket.ready_state(conn.ready_state()), ReadyState::Closed);
    }

    #[test]
    fn a_failure_before_open_is_error_then_close() {
        let start = BrowserSocket::start("ws://example.com/", &Settings::new(), Compat::Mdn)
            .expect("valid");
        let (mut socket, mut conn) = (start.socket, start.conn);
        conn.handle_transport_error(Duration::ZERO);
        assert_eq!(
            events(&mut socket, &mut conn),
            [(BrowserEvent::Error, 3), (abnormal(), 3)]
        );
    }

    // The server agrees permessage-deflate, which a client without it refuses.
    #[cfg(feature = "deflate")]
    #[test]
    fn extensions_are_the_header_as_sent_once_open_is_dispatched() {
        let start = BrowserSocket::start("ws://example.com/", &Settings::new(), Compat::Mdn)
            .expect("valid");
        let (mut socket, mut conn) = (start.socket, start.conn);
        let head = response(
            &mut conn,
            "Sec-WebSocket-Extensions: permessage-deflate;server_no_context_takeover\r\n",
        );
        conn.handle_input(Duration::ZERO, &head);
        let open = socket.next_event(&mut conn);
        assert_eq!(open, Some(BrowserEvent::Open));
        // Not dispatched yet: still CONNECTING, nothing agreed to show.
        assert_eq!(socket.extensions(), "");
        assert_eq!(
            socket.ready_state(conn.ready_state()),
            ReadyState::Connecting
        );
        socket.dispatched(&BrowserEvent::Open);
        assert_eq!(
            socket.extensions(),
            "permessage-deflate;server_no_context_takeover"
        );
        assert_eq!(socket.protocol(), "");
        // The engine's own text is re-serialized.
        assert_eq!(
            conn.extensions(),
            "permessage-deflate; server_no_context_takeover"
        );
    }

    #[test]
    fn blocked_ports_by_compat() {
        let url = "ws://example.com:25/";
        assert_eq!(
            BrowserSocket::start(url, &Settings::new(), Compat::Mdn).err(),
            Some(ApiError::Security)
        );
        let start = BrowserSocket::start(url, &Settings::new(), Compat::Standard).expect("ok");
        assert!(!start.dial);
        assert_eq!(start.url.as_str(), url);
        let (mut socket, mut conn) = (start.socket, start.conn);
        assert_eq!(
            socket.ready_state(conn.ready_state()),
            ReadyState::Connecting
        );
        assert_eq!(
            events(&mut socket, &mut conn),
            [(BrowserEvent::Error, 3), (abnormal(), 3)]
        );
        // Turned off: both dial.
        let off = Settings::new().check_bad_ports(false);
        for compat in [Compat::Mdn, Compat::Standard] {
            assert!(BrowserSocket::start(url, &off, compat).expect("ok").dial);
        }
        // Other errors are the same in both.
        for compat in [Compat::Mdn, Compat::Standard] {
            for bad in ["ws://example.com/#", "ftp://example.com/", "ws://a b/"] {
                assert_eq!(
                    BrowserSocket::start(bad, &Settings::new(), compat).err(),
                    Some(ApiError::Syntax)
                );
            }
        }
    }

    #[test]
    fn utf16_send_and_close_by_compat() {
        let lone = [0x61, 0xD807];
        for compat in [Compat::Mdn, Compat::Standard] {
            let start = BrowserSocket::start("ws://h/", &Settings::new(), compat).unwrap();
            let (socket, mut conn) = (start.socket, start.conn);
            // CONNECTING is checked first.
            assert_eq!(
                socket.send_utf16(&mut conn, &lone),
                Err(ApiError::InvalidState)
            );
        }
        let (socket, mut conn) = open(Compat::Mdn, "");
        assert_eq!(socket.send_utf16(&mut conn, &lone), Err(ApiError::Syntax));
        assert_eq!(conn.buffered_amount(), 0);
        let (socket, mut conn) = open(Compat::Standard, "");
        assert_eq!(socket.send_utf16(&mut conn, &lone), Ok(()));
        assert_eq!(conn.buffered_amount(), 4, "a + U+FFFD (3 bytes)");

        let (mut socket, mut conn) = open(Compat::Mdn, "");
        assert_eq!(
            socket.close_utf16(&mut conn, Duration::ZERO, Some(1000), Some(&lone)),
            Err(ApiError::Syntax)
        );
        assert_eq!(socket.ready_state(conn.ready_state()), ReadyState::Open);
        let (mut socket, mut conn) = open(Compat::Standard, "");
        assert_eq!(
            socket.close_utf16(&mut conn, Duration::ZERO, Some(1000), Some(&lone)),
            Ok(())
        );
        assert_eq!(socket.ready_state(conn.ready_state()), ReadyState::Closing);
        let wire = transmit(&mut conn);
        // A masked Close frame: 2 + 4 (mask) + 2 (code) + 4 ("a" + U+FFFD).
        assert_eq!((wire[0], wire[1] & 0x7F, wire.len()), (0x88, 6, 12));
        let unmasked: Vec<u8> = wire[6..]
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ wire[2 + i % 4])
            .collect();
        assert_eq!(
            unmasked,
            [&[0x03, 0xE8][..], "a\u{FFFD}".as_bytes()].concat()
        );
    }
}
