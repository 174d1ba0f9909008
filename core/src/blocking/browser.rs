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
//!
//! Where MDN's pages and today's WHATWG standard differ (a blocked port; unpaired
//! surrogates in [`WebSocket::send_utf16`] and [`WebSocket::close_utf16`]),
//! [`WebSocket::with_compat`] picks one ([`Compat`]; `Mdn` by default). A blocked port
//! under `Compat::Standard` dials nothing: the background thread only delivers the
//! failure (error, then close 1006).

use core::fmt;
use core::marker::PhantomData;
use core::time::Duration;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::signal::Signal;
use std::time::Instant;

use super::driver::{lock, Reader, Shared};
use super::Runtime;
use crate::browser::{BrowserSocket, EventQueue, Handlers, Start};
use crate::dom::{BinaryType, BrowserEvent, Compat, MessageData, ReadyState, WsUrl};
use crate::settings::ClientSettings;
use crate::{ApiError, CloseEvent, Connection};

struct Inner<R: Runtime> {
    shared: Shared<R::Stream>,
    /// `binaryType`, `protocol`, `extensions`, the readyState the application has seen,
    /// and the rules `send`, `close` and the last handle follow (websock-core's).
    socket: Mutex<BrowserSocket>,
    /// The `url` attribute, kept apart from `socket` so [`WebSocket::url`] can lend it.
    url: String,
    handlers: Mutex<Handlers<WebSocket<R>>>,
    /// The events no handler took, bounded by count and bytes: while it is full the
    /// background thread takes no more events from the engine, which then stops
    /// reading.
    queue: Mutex<EventQueue>,
    /// Signalled when an event is queued, when one is taken, and when the queue ends.
    queued: Signal,
    /// The owner (the last handle) was dropped: nobody will pull events any more.
    dropped: AtomicBool,
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
///   handler took; [`events`](Self::events) iterates until the close event. Events wait
///   in a bounded queue (websock-core's [`EventQueue`]: 4096 events or 1 MiB): while
///   it is full, the connection stops reading, so a peer cannot grow the memory of a
///   socket nobody reads.
///
/// A panicking handler is contained (the connection goes on, later events still
/// arrive); after the close event every handler is dropped, since closures often hold
/// what keeps other things alive.
///
/// Cloning gives another handle to the same connection (like copying an object
/// reference in a script): the clones share its state, its handlers and one queue of
/// events (each event pulled with [`next_event`](Self::next_event) goes to one of
/// them). Dropping the last handle closes the connection (code 1001, "going away") if
/// it is still connecting or open; the background threads finish the closing handshake
/// and run the close handler. The handle given to handlers does not keep the
/// connection open.
///
/// Threads come from the [`Runtime`] `R` ([`Runtime::spawn`]): a background thread
/// connects ([`Runtime::open_transport`]), reads and dispatches events; a writer thread,
/// started once connected, writes what `send` and `close` queue, so they never block.
pub struct WebSocket<R: Runtime> {
    inner: Arc<Inner<R>>,
    /// Shared by the application's handles (the clones); `None` for the view handed
    /// to handlers: dropping it closes nothing.
    _owner: Option<Arc<Owner<R>>>,
    runtime: PhantomData<fn() -> R>,
}

impl<R: Runtime> Clone for WebSocket<R> {
    fn clone(&self) -> Self {
        WebSocket {
            inner: self.inner.clone(),
            _owner: self._owner.clone(),
            runtime: PhantomData,
        }
    }
}

/// Closes the connection (1001, "going away") when the last application handle goes
/// away.
struct Owner<R: Runtime> {
    inner: Arc<Inner<R>>,
}

impl<R: Runtime> Drop for Owner<R> {
    fn drop(&mut self) {
        let inner = &self.inner;
        let mut st = inner.shared.lock();
        let now = st.now();
        BrowserSocket::last_handle_dropped(&mut st.conn, now);
        drop(st);
        inner.shared.changed.notify_all();
        // Queued events can no longer be pulled: drop them, and let the background
        // thread go on (handlers still run; the close handler last).
        inner.dropped.store(true, Ordering::Release);
        let mut q = lock(&inner.queue);
        while q.pop().is_some() {}
        drop(q);
        inner.queued.notify_all();
    }
}

impl<R: Runtime> fmt::Debug for WebSocket<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("url", &self.inner.url)
            .field("ready_state", &self.ready_state())
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> WebSocket<R> {
    /// `new WebSocket(url, protocols)`: checks `url` (SyntaxError for a bad URL,
    /// another scheme or a fragment, or `wss://` without the `tls` feature;
    /// SecurityError for a blocked port) and `protocols`
    /// (SyntaxError for a non-token or a duplicate) synchronously, then connects in the
    /// background. readyState starts at CONNECTING. One protocol is `&["chat"]`, none
    /// is `&[]`. Follows [`Compat::Mdn`] (see [`with_compat`](Self::with_compat)).
    pub fn new(url: &str, protocols: &[&str]) -> Result<Self, ApiError> {
        let options = ClientSettings {
            protocols: protocols.iter().map(|p| (*p).to_owned()).collect(),
            ..ClientSettings::default()
        };
        Self::with_options(url, options)
    }

    /// Like [`new`](Self::new), with options (subprotocols, extra headers,
    /// limits, timeouts, TLS configuration, the bad-port check). Follows
    /// [`Compat::Mdn`].
    pub fn with_options(url: &str, options: ClientSettings<R::Tls>) -> Result<Self, ApiError> {
        Self::with_compat(url, options, Compat::Mdn)
    }

    /// Like [`with_options`](Self::with_options), following `compat` where the seeds
    /// (MDN) and today's standard differ: under [`Compat::Standard`] a blocked port is
    /// not a SecurityError but a connection that fails (nothing is dialled; error, then
    /// close 1006), and [`send_utf16`](Self::send_utf16) /
    /// [`close_utf16`](Self::close_utf16) replace unpaired surrogates with U+FFFD
    /// instead of throwing SyntaxError.
    pub fn with_compat(
        url: &str,
        options: ClientSettings<R::Tls>,
        compat: Compat,
    ) -> Result<Self, ApiError> {
        let Start {
            url,
            conn,
            socket,
            dial,
        } = BrowserSocket::start_on(url, &options, compat, R::supports_tls())?;
        let deadline = conn.poll_timeout();
        let shared = Shared::new(conn, R::now);
        let deadline = deadline.map(|d| shared.lock().epoch() + d);
        let inner = Arc::new(Inner {
            shared,
            socket: Mutex::new(socket),
            url: url.as_str().to_owned(),
            handlers: Mutex::new(Handlers::default()),
            queue: Mutex::new(EventQueue::default()),
            queued: Signal::new(),
            dropped: AtomicBool::new(false),
        });
        let background = inner.clone();
        let dial = dial.then_some((url, options, deadline));
        let spawned = R::spawn(false, Box::new(move || run(background, dial)));
        if spawned.is_err() {
            // No thread: fail the connection (error, then close 1006), as a browser
            // reports any connection failure, and deliver the events here.
            inner.shared.lock().conn.abort();
            WebSocket::view(inner.clone()).pump(&mut Reader::new());
        }
        Ok(WebSocket {
            _owner: Some(Arc::new(Owner {
                inner: inner.clone(),
            })),
            inner,
            runtime: PhantomData,
        })
    }

    /// A view of the socket that closes nothing when dropped (the one handlers get).
    fn view(inner: Arc<Inner<R>>) -> Self {
        WebSocket {
            inner,
            _owner: None,
            runtime: PhantomData,
        }
    }

    /// The `url` attribute: the parsed, absolute URL (e.g. `"ws://localhost:8080/"`).
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The `readyState` attribute (CONNECTING 0, OPEN 1, CLOSING 2, CLOSED 3). It
    /// advances with event dispatch, as in the browser: OPEN once the open event is
    /// dispatched, CLOSING from `close()` (or the closing handshake) on, CLOSED once the
    /// close event is dispatched.
    pub fn ready_state(&self) -> ReadyState {
        let engine = self.inner.shared.lock().conn.ready_state();
        lock(&self.inner.socket).ready_state(engine)
    }

    /// The `bufferedAmount` attribute: payload bytes sent and not yet written; it
    /// keeps counting the bytes of every `send` after the connection started closing.
    pub fn buffered_amount(&self) -> usize {
        self.inner.shared.lock().conn.buffered_amount()
    }

    /// The `extensions` attribute: empty until the open event is dispatched, then the
    /// server's `Sec-WebSocket-Extensions` value exactly as it sent it.
    pub fn extensions(&self) -> String {
        lock(&self.inner.socket).extensions()
    }

    /// The `protocol` attribute: empty until the open event is dispatched, then the
    /// subprotocol the server selected (empty if none).
    pub fn protocol(&self) -> String {
        lock(&self.inner.socket).protocol()
    }

    /// Which edition of the browser's rules this socket follows (see
    /// [`with_compat`](Self::with_compat)).
    pub fn compat(&self) -> Compat {
        lock(&self.inner.socket).compat()
    }

    /// The `binaryType` attribute (`Blob` by default).
    pub fn binary_type(&self) -> BinaryType {
        lock(&self.inner.socket).binary_type()
    }

    /// Set `binaryType`: later binary messages arrive as [`MessageData::Blob`] or
    /// [`MessageData::ArrayBuffer`]. (Parse a script's string with
    /// [`BinaryType::parse`]; the browser ignores invalid values.)
    pub fn set_binary_type(&self, binary_type: BinaryType) {
        lock(&self.inner.socket).set_binary_type(binary_type);
    }

    crate::browser::browser_commands!();

    /// Runs a command on the socket and the engine (locked in the driver's order:
    /// engine, then socket) at the engine's `now`, then wakes the background threads.
    fn command(
        &self,
        f: impl FnOnce(&mut BrowserSocket, &mut Connection, Duration) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let mut st = self.inner.shared.lock();
        let now = st.now();
        let result = f(&mut lock(&self.inner.socket), &mut st.conn, now);
        drop(st);
        self.inner.shared.changed.notify_all();
        result
    }

    /// The `onopen` handler (ignored once the close event was dispatched, as every
    /// handler setter is).
    pub fn on_open(&self, handler: impl FnMut(&Self) + Send + 'static) {
        lock(&self.inner.handlers).set_open(handler);
    }

    /// The `onmessage` handler.
    pub fn on_message(&self, handler: impl FnMut(&Self, MessageData) + Send + 'static) {
        lock(&self.inner.handlers).set_message(handler);
    }

    /// The `onerror` handler.
    pub fn on_error(&self, handler: impl FnMut(&Self) + Send + 'static) {
        lock(&self.inner.handlers).set_error(handler);
    }

    /// The `onclose` handler.
    pub fn on_close(&self, handler: impl FnMut(&Self, CloseEvent) + Send + 'static) {
        lock(&self.inner.handlers).set_close(handler);
    }

    /// The next event no handler took, blocking until there is one; `None` after the
    /// close event. Clones share one queue: each event goes to one caller.
    pub fn next_event(&self) -> Option<BrowserEvent> {
        self.wait_event(None)
    }

    /// Like [`next_event`](Self::next_event), waiting at most `timeout` (on the
    /// runtime's clock): `None` if no event came in time, or after the close event. An
    /// event that comes later stays queued for the next call.
    pub fn next_event_timeout(&self, timeout: Duration) -> Option<BrowserEvent> {
        // A bound too far to represent is no bound.
        self.wait_event(R::now().checked_add(timeout))
    }

    /// An iterator over the events no handler took, ending after the close event.
    pub fn events(&self) -> Events<'_, R> {
        Events { ws: self }
    }

    /// How many times the background thread blocked in `read` (or, idle, waited for
    /// input) so far: a measure of idle wake-ups (it must stay low while the
    /// connection is idle).
    #[doc(hidden)]
    pub fn driver_reads(&self) -> u64 {
        self.inner.shared.lock().reads
    }

    /// How many events wait in the queue for [`next_event`](Self::next_event) (it is
    /// bounded: see [`EventQueue`]).
    #[doc(hidden)]
    pub fn queued_events(&self) -> usize {
        lock(&self.inner.queue).len()
    }

    fn wait_event(&self, deadline: Option<Instant>) -> Option<BrowserEvent> {
        let mut q = lock(&self.inner.queue);
        loop {
            if let Some(ev) = lock(&self.inner.socket).pop_event(&mut q) {
                // There is room again: the background thread may deliver the next one.
                self.inner.queued.notify_all();
                return Some(ev);
            }
            if q.is_over() {
                return None;
            }
            let left = match deadline {
                Some(d) => Some(d.checked_duration_since(R::now())?),
                None => None,
            };
            q = self.wait_queue(q, left);
        }
    }

    fn wait_queue<'a>(
        &'a self,
        q: MutexGuard<'a, EventQueue>,
        timeout: Option<Duration>,
    ) -> MutexGuard<'a, EventQueue> {
        let queued = &self.inner.queued;
        match timeout {
            None => queued.wait(q).unwrap_or_else(PoisonError::into_inner),
            Some(t) => {
                queued
                    .wait_timeout(q, t)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        }
    }

    /// Drive the connection and deliver its events (to their handlers, or to the
    /// queue while it has room) until the connection is finished, then end the queue.
    fn pump(&self, rd: &mut Reader) {
        let inner = &self.inner;
        loop {
            let mut q = lock(&inner.queue);
            while !q.has_room() && !inner.dropped.load(Ordering::Acquire) {
                q = self.wait_queue(q, None);
            }
            drop(q);
            let event = inner
                .shared
                .drive(rd, false, |st| lock(&inner.socket).next_event(&mut st.conn));
            let Some(event) = event else { break };
            self.dispatch(event);
        }
        inner.shared.changed.notify_all();
        lock(&inner.queue).finish();
        inner.queued.notify_all();
    }

    /// Hand one event to its handler, run outside every lock (so it may call back into
    /// the socket; a panic in it is contained), or queue it for
    /// [`next_event`](Self::next_event).
    fn dispatch(&self, event: BrowserEvent) {
        let taken = {
            let mut handlers = lock(&self.inner.handlers);
            lock(&self.inner.socket).take_handler(&mut handlers, event)
        };
        match taken {
            Ok(mut call) => {
                call.run(self);
                let mut handlers = lock(&self.inner.handlers);
                lock(&self.inner.socket).restore_handler(&mut handlers, call);
            }
            // Nobody can pull it any more.
            Err(_) if self.inner.dropped.load(Ordering::Acquire) => {}
            Err(event) => {
                lock(&self.inner.queue).push(event);
                self.inner.queued.notify_all();
            }
        }
    }
}

/// Where to connect, with the options and the handshake deadline.
type Dial<Tls> = (WsUrl, ClientSettings<Tls>, Option<Instant>);

/// The background thread: connect (unless `dial` is `None`: the engine already failed,
/// a blocked port), then read and dispatch until the connection is finished.
fn run<R: Runtime>(inner: Arc<Inner<R>>, dial: Option<Dial<R::Tls>>) {
    let ws = WebSocket::view(inner);
    let shared = &ws.inner.shared;
    match dial.map(|(url, options, deadline)| R::open_transport(&url, &options, deadline)) {
        None => {}
        Some(Ok(stream)) => {
            shared.attach(stream);
            shared.separate_writer();
            let writer = ws.inner.clone();
            let spawned = R::spawn(true, Box::new(move || writer.shared.write_until_finished()));
            if spawned.is_err() {
                shared.lock().conn.abort();
            }
        }
        Some(Err(_)) => {
            // DNS, refused, TLS, or the deadline: the browser reports every failure
            // the same way (error, then close 1006); the engine does it.
            let mut st = shared.lock();
            let now = st.now();
            st.conn.handle_transport_error(now);
        }
    }
    let mut reader = Reader::new();
    reader.set_split();
    ws.pump(&mut reader);
}

/// The events of a [`WebSocket`] that no handler took (see [`WebSocket::events`]).
pub struct Events<'a, R: Runtime> {
    ws: &'a WebSocket<R>,
}

impl<R: Runtime> fmt::Debug for Events<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}

impl<R: Runtime> Iterator for Events<'_, R> {
    type Item = BrowserEvent;

    fn next(&mut self) -> Option<BrowserEvent> {
        self.ws.next_event()
    }
}
