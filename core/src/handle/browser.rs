//! The browser's face: [`WebSocket`], with the browser's constructor, attributes,
//! methods, exceptions and events.
//!
//! `WebSocket::new` checks its arguments synchronously and returns at once; a driver
//! task ([`Runtime::spawn`]) connects (DNS, TCP, the proxy's tunnel if the options name
//! one, TLS: [`establish`](super::establish), as `connect_with` does; then the
//! handshake) and drives the connection (it owns the transport), and a dispatcher task
//! hands out the events. The engine's `Connection` is shared by that task and the
//! handles behind one mutex, so `bufferedAmount` is read straight from it;
//! `readyState`, `protocol` and `extensions` follow event dispatch ([`BrowserSocket`]).
//! A blocked port under [`Compat::Standard`] dials nothing: the engine is failed at
//! construction and only its events are delivered.
//!
//! The browser's rules are websock-core's ([`crate::browser`]): `send`, `close`
//! and the last handle going away ([`BrowserSocket`]), the queue of events no handler
//! took, bounded by count and bytes so that a slow reader stops the reading
//! ([`EventQueue`]), and the handlers, called outside every lock with a panic contained
//! and all dropped after the close event ([`Handlers`]).

use core::marker::PhantomData;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::browser::{BrowserSocket, EventQueue, Handlers, Start};
use crate::dom::{BinaryType, Compat, ReadyState};
use crate::{ApiError, CloseEvent, Connection};
use futures_core::Stream;

use super::driver;
use super::establish::establish;
use super::shared::{Handle, Shared, Wakers};
use super::Runtime;
use crate::settings::ClientSettings;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub use crate::dom::{BrowserEvent, MessageData};

/// The browser socket's state besides the engine. When both are needed (the
/// dispatcher), this lock is taken before the connection's.
struct Dom<R> {
    /// `url`, `binaryType`, and the rules.
    socket: BrowserSocket,
    /// `onopen`, `onmessage`, `onerror`, `onclose`.
    handlers: Handlers<WebSocket<R>>,
    /// Events no handler took, for `next_event`.
    queue: EventQueue,
    /// The tasks waiting in `next_event` (clones may wait at once; each event wakes
    /// them all and goes to the first that takes it).
    readers: Wakers,
    /// The dispatcher, waiting for room in the queue.
    dispatcher: Option<Waker>,
}

/// What the handles and the tasks share besides the engine.
struct Browser<R> {
    /// The socket's `url`, kept outside the lock so that [`WebSocket::url`] can lend it.
    url: String,
    dom: Mutex<Dom<R>>,
}

/// The browser's `WebSocket`.
///
/// Cloning gives another handle to the same connection (like copying an object
/// reference in a script). When the last handle is dropped while the connection is
/// CONNECTING or OPEN, it is closed (1001, "going away"); the driver task finishes
/// the closing handshake and runs the close handler. Handlers receive the socket as
/// their first argument (the event's `target`); that handle does not keep the
/// connection open.
///
/// Events go to their handler if one is set (`on_open`, `on_message`, `on_error`,
/// `on_close`), otherwise to [`next_event`](Self::next_event) (the `WebSocket` is also a
/// [`Stream`] of them). Created where runtime `R` can spawn its tasks.
pub struct WebSocket<R> {
    shared: Shared,
    browser: Arc<Browser<R>>,
    /// Shared by the user's handles; `None` for the handle given to handlers.
    _owner: Option<Arc<Owner>>,
    _runtime: PhantomData<fn() -> R>,
}

impl<R> Clone for WebSocket<R> {
    fn clone(&self) -> Self {
        WebSocket {
            shared: self.shared.clone(),
            browser: self.browser.clone(),
            _owner: self._owner.clone(),
            _runtime: PhantomData,
        }
    }
}

/// Closes the connection (1001, "going away") when the last user handle goes away.
struct Owner {
    shared: Shared,
}

impl Drop for Owner {
    fn drop(&mut self) {
        let mut st = self.shared.lock();
        let now = st.now();
        BrowserSocket::last_handle_dropped(&mut st.conn, now);
        st.wake_driver();
    }
}

impl<R: Runtime> fmt::Debug for WebSocket<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("url", &self.url())
            .field("ready_state", &self.ready_state())
            .finish_non_exhaustive()
    }
}

impl<R: Runtime> WebSocket<R> {
    /// `new WebSocket(url, protocols)`: checks the arguments, then connects in the
    /// background (readyState is CONNECTING until the `Open` event). Pass `&[]` for no
    /// subprotocols. Follows [`Compat::Mdn`] (see [`with_compat`](Self::with_compat)).
    ///
    /// # Errors
    ///
    /// `SyntaxError` for a URL that does not parse, a scheme other than
    /// ws/wss/http/https, a fragment, or a bad protocol list (not tokens, or duplicates
    /// ignoring case); `SecurityError` for a blocked port.
    pub fn new(url: &str, protocols: &[&str]) -> Result<Self, ApiError> {
        Self::with_options(
            url,
            ClientSettings::new().protocols(protocols.iter().copied()),
        )
    }

    /// Like [`new`](Self::new), with the client options (subprotocols, extra headers,
    /// limits, timeouts, TLS configuration, the bad-port check, a proxy). Follows
    /// [`Compat::Mdn`]. A proxy that cannot be reached, refuses or answers wrongly fails
    /// the connection as any transport failure does (error, then close 1006).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new); `SyntaxError` also for an extra header that would
    /// corrupt the request, and for a `wss://` URL without the `tls` feature.
    pub fn with_options(url: &str, options: ClientSettings<R::Tls>) -> Result<Self, ApiError> {
        Self::with_compat(url, options, Compat::Mdn)
    }

    /// Like [`with_options`](Self::with_options), following `compat` where the seeds
    /// (MDN) and today's standard differ: under [`Compat::Standard`] a blocked port is
    /// not a `SecurityError` but a connection that fails (nothing is dialled; error,
    /// then close 1006), and [`send_utf16`](Self::send_utf16) /
    /// [`close_utf16`](Self::close_utf16) replace unpaired surrogates with U+FFFD
    /// instead of throwing `SyntaxError`.
    ///
    /// # Errors
    ///
    /// As [`with_options`](Self::with_options), without the `SecurityError` under
    /// [`Compat::Standard`].
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
        let shared = Shared::new(conn, R::now);
        let browser = Arc::new(Browser {
            url: url.as_str().to_owned(),
            dom: Mutex::new(Dom {
                socket,
                handlers: Handlers::default(),
                queue: EventQueue::default(),
                readers: Wakers::default(),
                dispatcher: None,
            }),
        });
        let target = WebSocket {
            shared: shared.clone(),
            browser: browser.clone(),
            _owner: None,
            _runtime: PhantomData,
        };
        let consumer = Handle::new(&shared);
        if dial {
            R::spawn(driver::establish_then_run::<R, _, _>(
                shared.clone(),
                establish::<R>(url, options.proxy, options.tls),
            ));
        } else {
            // The engine already failed (a blocked port): nothing to set up, the
            // driver only publishes the end.
            let refused = io::Error::new(io::ErrorKind::PermissionDenied, "blocked port");
            R::spawn(driver::establish_then_run::<R, R::Transport, _>(
                shared.clone(),
                std::future::ready(Err(refused)),
            ));
        }
        R::spawn(dispatch(consumer, target));
        Ok(WebSocket {
            _owner: Some(Arc::new(Owner {
                shared: shared.clone(),
            })),
            shared,
            browser,
            _runtime: PhantomData,
        })
    }

    /// `url`: the parsed, absolute URL (e.g. `"ws://localhost:8080/"`).
    pub fn url(&self) -> &str {
        &self.browser.url
    }

    /// `readyState`: CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3). It advances
    /// with event dispatch, as in the browser: OPEN once the open event is dispatched,
    /// CLOSING from `close()` (or the closing handshake) on, CLOSED once the close event
    /// is dispatched.
    pub fn ready_state(&self) -> ReadyState {
        let dom = lock(&self.browser.dom);
        let engine = self.shared.lock().conn.ready_state();
        dom.socket.ready_state(engine)
    }

    /// `bufferedAmount`: payload bytes passed to `send` and not yet handed to the
    /// transport, plus every byte sent once closing (it never resets).
    pub fn buffered_amount(&self) -> usize {
        self.shared.lock().conn.buffered_amount()
    }

    /// `protocol`: the subprotocol the server selected (empty until the open event is
    /// dispatched, or if none).
    pub fn protocol(&self) -> String {
        lock(&self.browser.dom).socket.protocol()
    }

    /// `extensions`: the server's `Sec-WebSocket-Extensions` value exactly as it sent
    /// it (empty until the open event is dispatched, or if none).
    pub fn extensions(&self) -> String {
        lock(&self.browser.dom).socket.extensions()
    }

    /// Which edition of the browser's rules this socket follows (see
    /// [`with_compat`](Self::with_compat)).
    pub fn compat(&self) -> Compat {
        lock(&self.browser.dom).socket.compat()
    }

    /// `binaryType`: how binary messages are delivered (`Blob` by default).
    pub fn binary_type(&self) -> BinaryType {
        lock(&self.browser.dom).socket.binary_type()
    }

    /// Sets `binaryType`; it applies to messages delivered from now on.
    pub fn set_binary_type(&self, binary_type: BinaryType) {
        lock(&self.browser.dom).socket.set_binary_type(binary_type);
    }

    crate::browser::browser_commands!();

    /// Runs a command on the socket and the engine (locked in this face's order: the
    /// socket, then the engine) at the engine's `now`; wakes the driver if it succeeded.
    fn command(
        &self,
        f: impl FnOnce(&mut BrowserSocket, &mut Connection, Duration) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let mut dom = lock(&self.browser.dom);
        let mut st = self.shared.lock();
        let now = st.now();
        f(&mut dom.socket, &mut st.conn, now)?;
        st.wake_driver();
        Ok(())
    }

    /// The next event not taken by a handler; `None` after the `Close` event. Clones
    /// share one queue: each event goes to one caller.
    pub async fn next_event(&self) -> Option<BrowserEvent> {
        poll_fn(|cx| self.poll_event(cx)).await
    }

    /// Like [`next_event`](Self::next_event), waiting at most `timeout` (on the
    /// runtime's timer, [`Runtime::timer`]): `None` if no event came in time, or after
    /// the `Close` event. An event that comes later stays queued for the next call.
    pub async fn next_event_timeout(&self, timeout: Duration) -> Option<BrowserEvent> {
        super::within::<R, _>(timeout, |cx| self.poll_event(cx))
            .await
            .flatten()
    }

    fn poll_event(&self, cx: &mut Context<'_>) -> Poll<Option<BrowserEvent>> {
        let dom = &mut *lock(&self.browser.dom);
        if let Some(event) = dom.socket.pop_event(&mut dom.queue) {
            if let Some(w) = dom.dispatcher.take() {
                w.wake();
            }
            return Poll::Ready(Some(event));
        }
        if dom.queue.is_over() {
            return Poll::Ready(None);
        }
        dom.readers.register(cx.waker());
        Poll::Pending
    }

    /// `onopen`: called by the dispatcher task when the connection opens.
    ///
    /// A handler runs outside every lock (it may use the socket); a panic in it is
    /// contained, as an exception in a browser's listener is. Handlers set after the
    /// close event are dropped.
    pub fn on_open(&self, handler: impl FnMut(&WebSocket<R>) + Send + 'static) {
        lock(&self.browser.dom).handlers.set_open(handler);
    }

    /// `onmessage`: called for each message.
    pub fn on_message(&self, handler: impl FnMut(&WebSocket<R>, MessageData) + Send + 'static) {
        lock(&self.browser.dom).handlers.set_message(handler);
    }

    /// `onerror`: called when the connection fails (a close event follows).
    pub fn on_error(&self, handler: impl FnMut(&WebSocket<R>) + Send + 'static) {
        lock(&self.browser.dom).handlers.set_error(handler);
    }

    /// `onclose`: called once, last, when the connection is closed; every handler is
    /// dropped afterwards (closures that hold the socket release it).
    pub fn on_close(&self, handler: impl FnMut(&WebSocket<R>, CloseEvent) + Send + 'static) {
        lock(&self.browser.dom).handlers.set_close(handler);
    }

    /// The events no handler took, as a [`Stream`] ending after the close event (the
    /// `WebSocket` itself is that stream too).
    pub fn events(&self) -> Events<'_, R> {
        Events { ws: self }
    }
}

/// The stream of events from [`WebSocket::events`].
pub struct Events<'a, R> {
    ws: &'a WebSocket<R>,
}

impl<R: Runtime> fmt::Debug for Events<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events").field("ws", self.ws).finish()
    }
}

impl<R: Runtime> Stream for Events<'_, R> {
    type Item = BrowserEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BrowserEvent>> {
        self.ws.poll_event(cx)
    }
}

impl<R: Runtime> Stream for WebSocket<R> {
    type Item = BrowserEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BrowserEvent>> {
        self.poll_event(cx)
    }
}

/// The dispatcher task's loop: takes the engine's events one at a time, while
/// the queue has room (so a slow `next_event` reader stops the reading, and a handler's
/// answer to a message goes out before later frames are acted on), shaped as the
/// browser's, and hands each to its handler or the queue.
async fn dispatch<R: Runtime>(consumer: Handle, target: WebSocket<R>) {
    loop {
        let event = poll_fn(|cx| {
            let mut dom = lock(&target.browser.dom);
            if !dom.queue.has_room() {
                dom.dispatcher = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let mut st = consumer.lock();
            match st.next_browser_event(&dom.socket) {
                Some(event) => Poll::Ready(Some(event)),
                None if st.driver_done => Poll::Ready(None),
                None => {
                    st.register_reader(cx);
                    Poll::Pending
                }
            }
        })
        .await;
        let Some(event) = event else { break };
        let last = event.is_close();
        deliver(&target, event);
        if last {
            break;
        }
    }
    let mut dom = lock(&target.browser.dom);
    dom.queue.finish();
    dom.readers.wake_all();
}

/// Calls the event's handler (outside every lock, so it may use the socket), or queues
/// the event if there is none.
fn deliver<R: Runtime>(target: &WebSocket<R>, event: BrowserEvent) {
    let taken = {
        let dom = &mut *lock(&target.browser.dom);
        dom.socket.take_handler(&mut dom.handlers, event)
    };
    match taken {
        Ok(mut call) => {
            call.run(target);
            let dom = &mut *lock(&target.browser.dom);
            dom.socket.restore_handler(&mut dom.handlers, call);
        }
        Err(event) => {
            let mut dom = lock(&target.browser.dom);
            dom.queue.push(event);
            dom.readers.wake_all();
        }
    }
}
