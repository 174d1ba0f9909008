//! The browser's face: [`WebSocket`], with the browser's constructor, attributes,
//! methods, exceptions and events.
//!
//! `WebSocket::new` checks its arguments synchronously and returns at once; a
//! `tokio::spawn`-ed background task connects (DNS, TCP, TLS, handshake), drives the
//! connection (it owns the transport), and dispatches the events. The engine's
//! `Connection` is shared by that task and the handles behind one mutex, so
//! `readyState`, `bufferedAmount`, `protocol` and `extensions` are read straight from it.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use futures_core::Stream;
use websock_core::dom::{close_frame_code, validate_close_args, BinaryType, ReadyState};
use websock_core::{ApiError, CloseEvent, Message, SendError};

use crate::connect::{establish, new_client, parse_url};
use crate::driver;
use crate::options::ClientOptions;
use crate::shared::{Handle, Shared};

/// Reading pauses while the events waiting for [`WebSocket::next_event`] hold this many
/// bytes.
const QUEUE_BYTES: usize = 1 << 20;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub use websock_core::dom::{BrowserEvent, MessageData};

type Handler<T> = Option<Box<dyn FnMut(&WebSocket, T) + Send>>;

/// The `on*` handlers.
#[derive(Default)]
struct Handlers {
    open: Handler<()>,
    message: Handler<MessageData>,
    error: Handler<()>,
    close: Handler<CloseEvent>,
}

/// Events no handler took, for `next_event`.
#[derive(Default)]
struct Queue {
    events: VecDeque<BrowserEvent>,
    bytes: usize,
    /// The close event was dispatched (or the task ended): no more events.
    done: bool,
    reader: Option<Waker>,
    /// The dispatcher, waiting for room.
    dispatcher: Option<Waker>,
}

/// What the handles and the background task share besides the engine.
struct Browser {
    url: String,
    binary_type: Mutex<BinaryType>,
    handlers: Mutex<Handlers>,
    queue: Mutex<Queue>,
}

/// The browser's `WebSocket`.
///
/// Cloning gives another handle to the same connection (like copying an object
/// reference in a script). When the last handle is dropped while the connection is
/// CONNECTING or OPEN, it is closed (1001, "going away"); the background task finishes
/// the closing handshake and runs the close handler. Handlers receive the socket as
/// their first argument (the event's `target`); that handle does not keep the
/// connection open.
///
/// Events go to their handler if one is set (`on_open`, `on_message`, `on_error`,
/// `on_close`), otherwise to [`next_event`](Self::next_event) (the `WebSocket` is also a
/// [`Stream`] of them). Must be created inside a tokio runtime.
#[derive(Clone)]
pub struct WebSocket {
    shared: Shared,
    browser: Arc<Browser>,
    /// Shared by the user's handles; `None` for the handle given to handlers.
    _owner: Option<Arc<Owner>>,
}

/// Closes the connection (1001, "going away") when the last user handle goes away.
struct Owner {
    shared: Shared,
}

impl Drop for Owner {
    fn drop(&mut self) {
        let mut st = self.shared.lock();
        let now = st.now();
        let _ = st
            .conn
            .close(now, Some(websock_core::close::GOING_AWAY), "");
        st.wake_driver();
    }
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("url", &self.url())
            .field("ready_state", &self.ready_state())
            .finish_non_exhaustive()
    }
}

impl WebSocket {
    /// `new WebSocket(url, protocols)`: checks the arguments, then connects in the
    /// background (readyState is CONNECTING until the `Open` event). Pass `&[]` for no
    /// subprotocols.
    ///
    /// # Errors
    ///
    /// `SyntaxError` for a URL that does not parse, a scheme other than
    /// ws/wss/http/https, a fragment, or a bad protocol list (not tokens, or duplicates
    /// ignoring case); `SecurityError` for a blocked port.
    pub fn new(url: &str, protocols: &[&str]) -> Result<WebSocket, ApiError> {
        Self::with_options(
            url,
            ClientOptions::new().protocols(protocols.iter().copied()),
        )
    }

    /// Like [`new`](Self::new), with [`ClientOptions`] (subprotocols, extra headers,
    /// limits, timeouts, TLS configuration, the bad-port check).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new); `SyntaxError` also for an extra header that would
    /// corrupt the request.
    pub fn with_options(url: &str, options: ClientOptions) -> Result<WebSocket, ApiError> {
        let url = parse_url(url, &options)?;
        let shared = new_client(&url, &options).map_err(|e| match e {
            crate::Error::Api(api) | crate::Error::Url(api) => api,
            _ => ApiError::Syntax,
        })?;
        let browser = Arc::new(Browser {
            url: url.as_str().to_owned(),
            binary_type: Mutex::new(BinaryType::default()),
            handlers: Mutex::new(Handlers::default()),
            queue: Mutex::new(Queue::default()),
        });
        let target = WebSocket {
            shared: shared.clone(),
            browser: browser.clone(),
            _owner: None,
        };
        let consumer = Handle::new(&shared);
        let connection = driver::establish_then_run(shared.clone(), establish(url, options));
        tokio::spawn(async move {
            tokio::join!(connection, dispatch(consumer, target));
        });
        Ok(WebSocket {
            _owner: Some(Arc::new(Owner {
                shared: shared.clone(),
            })),
            shared,
            browser,
        })
    }

    /// `url`: the parsed, absolute URL (e.g. `"ws://localhost:8080/"`).
    pub fn url(&self) -> &str {
        &self.browser.url
    }

    /// `readyState`: CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3).
    pub fn ready_state(&self) -> ReadyState {
        self.shared.lock().conn.ready_state()
    }

    /// `bufferedAmount`: payload bytes passed to `send` and not yet handed to the
    /// transport, plus every byte sent once closing (it never resets).
    pub fn buffered_amount(&self) -> usize {
        self.shared.lock().conn.buffered_amount()
    }

    /// `protocol`: the subprotocol the server selected (empty until open, or if none).
    pub fn protocol(&self) -> String {
        self.shared.lock().conn.protocol().unwrap_or("").to_owned()
    }

    /// `extensions`: the negotiated extensions (empty until open, or if none).
    pub fn extensions(&self) -> String {
        self.shared.lock().conn.extensions().to_owned()
    }

    /// `binaryType`: how binary messages are delivered (`Blob` by default).
    pub fn binary_type(&self) -> BinaryType {
        *lock(&self.browser.binary_type)
    }

    /// Sets `binaryType`; it applies to messages delivered from now on.
    pub fn set_binary_type(&self, binary_type: BinaryType) {
        *lock(&self.browser.binary_type) = binary_type;
    }

    /// `send(data)`: text for strings, binary for bytes. Once the connection is
    /// CLOSING or CLOSED, the data is dropped and its length added to
    /// `bufferedAmount`, without an error (as in the browser). If the send buffer
    /// ([`Limits::max_send_queue`](websock_core::Limits::max_send_queue)) would
    /// overflow, the connection fails (`Error`, then `Close` with 1006).
    ///
    /// # Errors
    ///
    /// `InvalidStateError` while CONNECTING.
    pub fn send(&self, data: impl Into<MessageData>) -> Result<(), ApiError> {
        let message = Message::from(data.into());
        let mut st = self.shared.lock();
        match st.conn.send(message) {
            Ok(()) | Err(SendError::Closed) => {}
            Err(SendError::Full) => st.conn.abort(),
            Err(e) => return Err(e.as_api_error().unwrap_or(ApiError::InvalidState)),
        }
        st.wake_driver();
        Ok(())
    }

    /// `close(code, reason)`: starts the closing handshake (or fails a connection that
    /// is still CONNECTING); does nothing if already CLOSING or CLOSED. A reason without
    /// a code is sent with code 1000.
    ///
    /// # Errors
    ///
    /// `InvalidAccessError` for a code other than 1000 or 3000-4999; `SyntaxError` for
    /// a reason longer than 123 UTF-8 bytes.
    pub fn close(&self, code: Option<u16>, reason: Option<&str>) -> Result<(), ApiError> {
        validate_close_args(code, reason)?;
        let code = close_frame_code(code, reason);
        let mut st = self.shared.lock();
        let now = st.now();
        st.conn.close(now, code, reason.unwrap_or(""))?;
        st.wake_driver();
        Ok(())
    }

    /// The next event not taken by a handler; `None` after the `Close` event.
    pub async fn next_event(&self) -> Option<BrowserEvent> {
        poll_fn(|cx| self.poll_event(cx)).await
    }

    fn poll_event(&self, cx: &mut Context<'_>) -> Poll<Option<BrowserEvent>> {
        let mut queue = lock(&self.browser.queue);
        if let Some(event) = queue.events.pop_front() {
            queue.bytes -= event.payload_len();
            if let Some(w) = queue.dispatcher.take() {
                w.wake();
            }
            return Poll::Ready(Some(event));
        }
        if queue.done {
            return Poll::Ready(None);
        }
        queue.reader = Some(cx.waker().clone());
        Poll::Pending
    }

    /// `onopen`: called by the background task when the connection opens.
    pub fn on_open(&self, mut handler: impl FnMut(&WebSocket) + Send + 'static) {
        lock(&self.browser.handlers).open = Some(Box::new(move |ws, ()| handler(ws)));
    }

    /// `onmessage`: called for each message.
    pub fn on_message(&self, handler: impl FnMut(&WebSocket, MessageData) + Send + 'static) {
        lock(&self.browser.handlers).message = Some(Box::new(handler));
    }

    /// `onerror`: called when the connection fails (a close event follows).
    pub fn on_error(&self, mut handler: impl FnMut(&WebSocket) + Send + 'static) {
        lock(&self.browser.handlers).error = Some(Box::new(move |ws, ()| handler(ws)));
    }

    /// `onclose`: called once, last, when the connection is closed.
    pub fn on_close(&self, handler: impl FnMut(&WebSocket, CloseEvent) + Send + 'static) {
        lock(&self.browser.handlers).close = Some(Box::new(handler));
    }

    /// The events no handler took, as a [`Stream`] ending after the close event (the
    /// `WebSocket` itself is that stream too).
    pub fn events(&self) -> Events<'_> {
        Events { ws: self }
    }
}

/// The stream of events from [`WebSocket::events`].
#[derive(Debug)]
pub struct Events<'a> {
    ws: &'a WebSocket,
}

impl Stream for Events<'_> {
    type Item = BrowserEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BrowserEvent>> {
        self.ws.poll_event(cx)
    }
}

impl Stream for WebSocket {
    type Item = BrowserEvent;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<BrowserEvent>> {
        self.poll_event(cx)
    }
}

/// The background task's event loop: takes the engine's events one at a time (so a
/// handler's answer to a message goes out before later frames are acted on), shapes
/// them as the browser's, and hands each to its handler or the queue.
async fn dispatch(consumer: Handle, target: WebSocket) {
    loop {
        // Wait for room in the queue (read backpressure for `next_event`).
        poll_fn(|cx| {
            let mut queue = lock(&target.browser.queue);
            if queue.bytes < QUEUE_BYTES {
                Poll::Ready(())
            } else {
                queue.dispatcher = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
        let event = poll_fn(|cx| {
            let mut st = consumer.lock();
            match st.next_event() {
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
        let Some(event) = BrowserEvent::from_event(event, target.binary_type()) else {
            continue;
        };
        let last = event.is_close();
        deliver(&target, event);
        if last {
            break;
        }
    }
    let mut queue = lock(&target.browser.queue);
    queue.done = true;
    if let Some(w) = queue.reader.take() {
        w.wake();
    }
}

/// Calls the event's handler (outside every lock, so it may use the socket), or queues
/// the event if there is none.
fn deliver(target: &WebSocket, event: BrowserEvent) {
    let handlers = &target.browser.handlers;
    macro_rules! call {
        ($slot:ident, $arg:expr) => {{
            let handler = lock(handlers).$slot.take();
            if let Some(mut handler) = handler {
                handler(target, $arg);
                let mut h = lock(handlers);
                if h.$slot.is_none() {
                    h.$slot = Some(handler);
                }
                return;
            }
        }};
    }
    match &event {
        BrowserEvent::Open => call!(open, ()),
        BrowserEvent::Message(m) => call!(message, m.clone()),
        BrowserEvent::Error => call!(error, ()),
        BrowserEvent::Close(c) => call!(close, c.clone()),
    }
    let mut queue = lock(&target.browser.queue);
    queue.bytes += event.payload_len();
    queue.events.push_back(event);
    if let Some(w) = queue.reader.take() {
        w.wake();
    }
}
