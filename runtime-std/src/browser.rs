//! The browser's face: [`WebSocket`], shaped like the WHATWG `WebSocket` interface.
//!
//! # Threads
//!
//! [`WebSocket::new`] checks its arguments synchronously and returns; a background
//! thread resolves the host, connects and runs the handshake, then reads and
//! dispatches events. A second thread (started once connected) writes: `send` and
//! `close` only queue into the engine and signal it, so they never block, like the
//! browser's. The engine (`readyState`, `bufferedAmount`...) is shared by all three
//! behind one `Mutex`; nothing is duplicated.
//!
//! The reader blocks in `read` with a timeout taken from the engine's next deadline,
//! capped at 250 ms so a close timeout armed by `close()` fires on time (20 ms over
//! TLS, where reader and writer take turns on one stream). An idle connection thus
//! wakes a few times a second, no more.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use websock_core::dom::{close_frame_code, validate_close_args, BinaryType, ReadyState};
use websock_core::{ApiError, CloseEvent, Event, Message, SendError};

use crate::connect;
use crate::driver::{lock, Reader, Shared};
use crate::options::ClientOptions;
use crate::stream::MaybeTlsStream;

pub use websock_core::dom::{BrowserEvent, MessageData};

type OpenHandler = Box<dyn FnMut(&WebSocket) + Send>;
type MessageHandler = Box<dyn FnMut(&WebSocket, MessageData) + Send>;
type CloseHandler = Box<dyn FnMut(&WebSocket, CloseEvent) + Send>;

#[derive(Default)]
struct Handlers {
    open: Option<OpenHandler>,
    message: Option<MessageHandler>,
    error: Option<OpenHandler>,
    close: Option<CloseHandler>,
}

#[derive(Default)]
struct Queue {
    events: VecDeque<BrowserEvent>,
    /// The last event was dispatched.
    done: bool,
}

struct Inner {
    shared: Shared<MaybeTlsStream>,
    url: String,
    binary_type: Mutex<BinaryType>,
    handlers: Mutex<Handlers>,
    queue: Mutex<Queue>,
    queued: Condvar,
}

/// A WebSocket with the browser's interface: `new WebSocket(url, protocols)`,
/// `readyState`, `bufferedAmount`, `send`, `close`, and the events open, message,
/// error and close, in the browser's order and with its rules (every rule is
/// websock-core's, shared by all websock runtimes).
///
/// Events are delivered two ways; use either:
///
/// * **handlers**, like `onopen`/`onmessage`/`onerror`/`onclose`:
///   [`on_open`](Self::on_open), [`on_message`](Self::on_message),
///   [`on_error`](Self::on_error), [`on_close`](Self::on_close). They run on the
///   connection's background thread, receive the socket as their first argument
///   (the event's `target`), and may call `send` and `close` on it. Set them right
///   after [`new`](Self::new): an event that fires before its handler is set is not
///   lost but queued for the next way.
/// * **pulling**: [`next_event`](Self::next_event) blocks for the next event that no
///   handler took; [`events`](Self::events) iterates until the close event.
///
/// Dropping the `WebSocket` closes the connection (code 1001, "going away") if it is
/// still connecting or open; the background threads finish the closing handshake and
/// run the close handler.
pub struct WebSocket {
    inner: Arc<Inner>,
    /// False for the view handed to handlers: dropping it closes nothing.
    owner: bool,
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("url", &self.inner.url)
            .field("ready_state", &self.ready_state())
            .finish_non_exhaustive()
    }
}

impl WebSocket {
    /// `new WebSocket(url, protocols)`: checks `url` (SyntaxError for a bad URL,
    /// another scheme or a fragment; SecurityError for a blocked port) and `protocols`
    /// (SyntaxError for a non-token or a duplicate) synchronously, then connects in the
    /// background. readyState starts at CONNECTING. One protocol is `&["chat"]`, none
    /// is `&[]`.
    pub fn new(url: &str, protocols: &[&str]) -> Result<WebSocket, ApiError> {
        let options = ClientOptions {
            protocols: protocols.iter().map(|p| (*p).to_owned()).collect(),
            ..ClientOptions::default()
        };
        Self::with_options(url, options)
    }

    /// Like [`new`](Self::new), with [`ClientOptions`] (subprotocols, extra headers,
    /// limits, timeouts, TLS configuration, the bad-port check).
    pub fn with_options(url: &str, options: ClientOptions) -> Result<WebSocket, ApiError> {
        let (url, conn) = connect::prepare(url, &options).map_err(|e| match e {
            crate::Error::Url(e) | crate::Error::Api(e) => e,
            _ => ApiError::Syntax,
        })?;
        let epoch = Instant::now();
        let deadline = conn.poll_timeout().map(|d| epoch + d);
        let inner = Arc::new(Inner {
            shared: Shared::new(conn, epoch),
            url: url.as_str().to_owned(),
            binary_type: Mutex::new(BinaryType::default()),
            handlers: Mutex::new(Handlers::default()),
            queue: Mutex::new(Queue::default()),
            queued: Condvar::new(),
        });
        let background = inner.clone();
        let spawned = thread::Builder::new()
            .name("websock-std".into())
            .spawn(move || run(background, url, options, deadline));
        if spawned.is_err() {
            // No thread: fail the connection (error, then close 1006), as a browser
            // reports any connection failure, and deliver the events here.
            inner.shared.lock().conn.abort();
            let mut rd = Reader::new();
            let ws = WebSocket {
                inner: inner.clone(),
                owner: false,
            };
            while let Some(ev) = inner.shared.next_event(&mut rd) {
                ws.dispatch(ev);
            }
            ws.finish();
        }
        Ok(WebSocket { inner, owner: true })
    }

    /// The `url` attribute: the parsed, absolute URL (e.g. `"ws://localhost:8080/"`).
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The `readyState` attribute (CONNECTING 0, OPEN 1, CLOSING 2, CLOSED 3).
    pub fn ready_state(&self) -> ReadyState {
        self.inner.shared.lock().conn.ready_state()
    }

    /// The `bufferedAmount` attribute: payload bytes sent and not yet written; it
    /// keeps counting the bytes of every `send` after the connection started closing.
    pub fn buffered_amount(&self) -> usize {
        self.inner.shared.lock().conn.buffered_amount()
    }

    /// The `extensions` attribute: empty until open, then what the server agreed.
    pub fn extensions(&self) -> String {
        self.inner.shared.lock().conn.extensions().to_owned()
    }

    /// The `protocol` attribute: empty until open, then the subprotocol the server
    /// selected (empty if none).
    pub fn protocol(&self) -> String {
        let st = self.inner.shared.lock();
        st.conn.protocol().unwrap_or_default().to_owned()
    }

    /// The `binaryType` attribute (`Blob` by default).
    pub fn binary_type(&self) -> BinaryType {
        *lock(&self.inner.binary_type)
    }

    /// Set `binaryType`: later binary messages arrive as [`MessageData::Blob`] or
    /// [`MessageData::ArrayBuffer`]. (Parse a script's string with
    /// [`BinaryType::parse`]; the browser ignores invalid values.)
    pub fn set_binary_type(&self, binary_type: BinaryType) {
        *lock(&self.inner.binary_type) = binary_type;
    }

    /// `send(data)`: a string as a text message, bytes as a binary one.
    ///
    /// InvalidStateError while CONNECTING. Once closing or closed, the data is dropped
    /// but its length still counts in [`buffered_amount`](Self::buffered_amount), and
    /// this returns `Ok`, as in the browser. If the send queue is full
    /// ([`Limits::max_send_queue`](websock_core::Limits::max_send_queue)), the
    /// connection is failed (error, then close 1006), as the browser does.
    pub fn send(&self, data: impl Into<MessageData>) -> Result<(), ApiError> {
        let message = Message::from(data.into());
        let mut st = self.inner.shared.lock();
        let result = match st.conn.send(message) {
            Ok(()) | Err(SendError::Closed) => Ok(()),
            Err(SendError::Full) => {
                st.conn.abort();
                Ok(())
            }
            Err(e) => Err(e.as_api_error().unwrap_or(ApiError::InvalidState)),
        };
        drop(st);
        self.inner.shared.changed.notify_all();
        result
    }

    /// `close(code, reason)`: InvalidAccessError unless `code` is 1000 or 3000-4999;
    /// SyntaxError if `reason` is over 123 bytes. Then: CONNECTING fails the
    /// connection; OPEN starts the closing handshake (a reason without a code is sent
    /// with 1000, see [`close_frame_code`]); CLOSING or CLOSED does nothing.
    pub fn close(&self, code: Option<u16>, reason: Option<&str>) -> Result<(), ApiError> {
        validate_close_args(code, reason)?;
        let code = close_frame_code(code, reason);
        let reason = reason.unwrap_or("");
        let mut st = self.inner.shared.lock();
        let now = st.now();
        st.conn.close(now, code, reason)?;
        drop(st);
        self.inner.shared.changed.notify_all();
        Ok(())
    }

    /// The `onopen` handler.
    pub fn on_open(&self, handler: impl FnMut(&WebSocket) + Send + 'static) {
        lock(&self.inner.handlers).open = Some(Box::new(handler));
    }

    /// The `onmessage` handler.
    pub fn on_message(&self, handler: impl FnMut(&WebSocket, MessageData) + Send + 'static) {
        lock(&self.inner.handlers).message = Some(Box::new(handler));
    }

    /// The `onerror` handler.
    pub fn on_error(&self, handler: impl FnMut(&WebSocket) + Send + 'static) {
        lock(&self.inner.handlers).error = Some(Box::new(handler));
    }

    /// The `onclose` handler.
    pub fn on_close(&self, handler: impl FnMut(&WebSocket, CloseEvent) + Send + 'static) {
        lock(&self.inner.handlers).close = Some(Box::new(handler));
    }

    /// The next event no handler took, blocking until there is one; `None` after the
    /// close event.
    pub fn next_event(&self) -> Option<BrowserEvent> {
        self.wait_event(None)
    }

    /// Like [`next_event`](Self::next_event), giving up after `timeout` (`None`).
    pub fn next_event_timeout(&self, timeout: Duration) -> Option<BrowserEvent> {
        self.wait_event(Some(Instant::now() + timeout))
    }

    /// An iterator over the events no handler took, ending after the close event.
    pub fn events(&self) -> Events<'_> {
        Events { ws: self }
    }

    /// How many times the background thread blocked in `read` so far: a measure of
    /// idle wake-ups (it must stay low while the connection is idle).
    #[doc(hidden)]
    pub fn driver_reads(&self) -> u64 {
        self.inner.shared.lock().reads
    }

    fn wait_event(&self, deadline: Option<Instant>) -> Option<BrowserEvent> {
        let mut q = lock(&self.inner.queue);
        loop {
            if let Some(ev) = q.events.pop_front() {
                return Some(ev);
            }
            if q.done {
                return None;
            }
            q = match deadline {
                None => self
                    .inner
                    .queued
                    .wait(q)
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
                Some(d) => {
                    let left = d.checked_duration_since(Instant::now())?;
                    self.inner
                        .queued
                        .wait_timeout(q, left)
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .0
                }
            };
        }
    }

    /// Hand one engine event to its handler, or queue it.
    fn dispatch(&self, event: Event) {
        let Some(event) = BrowserEvent::from_event(event, self.binary_type()) else {
            return;
        };
        let Some(event) = self.call_handler(event) else {
            return;
        };
        lock(&self.inner.queue).events.push_back(event);
        self.inner.queued.notify_all();
    }

    /// Run the event's handler if one is set (without holding any lock, so it may
    /// call back into the socket); give the event back otherwise.
    fn call_handler(&self, event: BrowserEvent) -> Option<BrowserEvent> {
        let mut h = lock(&self.inner.handlers);
        match event {
            BrowserEvent::Open => {
                let Some(mut f) = h.open.take() else {
                    return Some(BrowserEvent::Open);
                };
                drop(h);
                guarded(|| f(self));
                lock(&self.inner.handlers).open.get_or_insert(f);
            }
            BrowserEvent::Message(data) => {
                let Some(mut f) = h.message.take() else {
                    return Some(BrowserEvent::Message(data));
                };
                drop(h);
                guarded(|| f(self, data));
                lock(&self.inner.handlers).message.get_or_insert(f);
            }
            BrowserEvent::Error => {
                let Some(mut f) = h.error.take() else {
                    return Some(BrowserEvent::Error);
                };
                drop(h);
                guarded(|| f(self));
                lock(&self.inner.handlers).error.get_or_insert(f);
            }
            BrowserEvent::Close(c) => {
                let Some(mut f) = h.close.take() else {
                    return Some(BrowserEvent::Close(c));
                };
                drop(h);
                guarded(|| f(self, c));
                lock(&self.inner.handlers).close.get_or_insert(f);
            }
        }
        None
    }

    /// No more events will come.
    fn finish(&self) {
        lock(&self.inner.queue).done = true;
        self.inner.queued.notify_all();
    }
}

impl Drop for WebSocket {
    fn drop(&mut self) {
        if !self.owner {
            return;
        }
        let mut st = self.inner.shared.lock();
        if st.conn.ready_state() <= ReadyState::Open {
            let now = st.now();
            let _ = st
                .conn
                .close(now, Some(websock_core::close::GOING_AWAY), "");
            drop(st);
            self.inner.shared.changed.notify_all();
        }
    }
}

/// Run a user handler; a panic in it is reported by the panic hook and otherwise
/// ignored (like an exception in a browser's event listener), so the connection keeps
/// being driven and later events still arrive.
fn guarded(handler: impl FnOnce()) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(handler));
}

/// The background thread: connect, then read and dispatch until the connection is
/// finished.
fn run(
    inner: Arc<Inner>,
    url: websock_core::dom::WsUrl,
    options: ClientOptions,
    deadline: Option<Instant>,
) {
    let ws = WebSocket {
        inner,
        owner: false,
    };
    let shared = &ws.inner.shared;
    match connect::open_transport(&url, &options, deadline) {
        Ok(stream) => {
            shared.attach(stream);
            shared.separate_writer();
            let writer = ws.inner.clone();
            let spawned = thread::Builder::new()
                .name("websock-std-writer".into())
                .spawn(move || writer.shared.write_until_finished());
            if spawned.is_err() {
                shared.lock().conn.abort();
            }
        }
        Err(_) => {
            // DNS, refused, TLS, or the deadline: the browser reports every failure
            // the same way (error, then close 1006); the engine does it.
            let mut st = shared.lock();
            let now = st.now();
            st.conn.handle_timeout(now);
            st.conn.handle_eof(now);
        }
    }
    let mut reader = Reader::new();
    reader.set_split();
    while let Some(event) = shared.next_event(&mut reader) {
        ws.dispatch(event);
    }
    shared.changed.notify_all();
    ws.finish();
}

/// The events of a [`WebSocket`] that no handler took (see [`WebSocket::events`]).
pub struct Events<'a> {
    ws: &'a WebSocket,
}

impl fmt::Debug for Events<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

impl Iterator for Events<'_> {
    type Item = BrowserEvent;

    fn next(&mut self) -> Option<BrowserEvent> {
        self.ws.next_event()
    }
}
