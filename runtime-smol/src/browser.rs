//! The browser's face: [`WebSocket`], with the browser's constructor, attributes,
//! methods, exceptions and events.
//!
//! A detached background task (`smol::spawn`) connects (DNS, TCP, TLS, handshake) and
//! then drives the connection; it owns the transport. The engine's
//! [`Connection`] is shared between that task and every `WebSocket` handle, so
//! `readyState` and `bufferedAmount` are read straight from the engine.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futures_core::Stream;
use websock_core::dom::{close_frame_code, validate_close_args, BinaryType, ReadyState};
use websock_core::{ApiError, CloseEvent, Connection, Event, Message, SendError};

use crate::connect::{connect_transport, new_client, parse_url, with_deadline};
use crate::driver::Driver;
use crate::options::ClientOptions;

/// Reading pauses while this many bytes of events wait in the queue for
/// [`WebSocket::next_event`].
const QUEUE_BYTES: usize = 1 << 20;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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

/// State shared by the handles and the background task.
struct State {
    conn: Connection,
    /// When `conn` was created: its time is measured from here.
    epoch: Instant,
    binary_type: BinaryType,
    /// Events no handler took, for `next_event`.
    queue: VecDeque<BrowserEvent>,
    queue_bytes: usize,
    /// The close event was delivered: no more events.
    done: bool,
    event_waker: Option<Waker>,
    task_waker: Option<Waker>,
}

struct Shared {
    state: Mutex<State>,
    handlers: Mutex<Handlers>,
    url: String,
}

impl Shared {
    fn wake_task(state: &mut State) {
        if let Some(w) = state.task_waker.take() {
            w.wake();
        }
    }

    /// Takes the engine's events up to and including the next message, shaped for the
    /// browser (one message at a time, so a handler can answer it before the engine
    /// acts on later frames).
    fn take_events(state: &mut State) -> Vec<BrowserEvent> {
        let mut out = Vec::new();
        while let Some(event) = state.conn.poll_event() {
            let is_message = matches!(event, Event::Message(_));
            let Some(event) = BrowserEvent::from_event(event, state.binary_type) else {
                continue;
            };
            out.push(event);
            if is_message {
                break;
            }
        }
        out
    }

    /// Hands each event to its handler, or queues it for `next_event`. Runs without
    /// holding the state lock, so handlers may call the `WebSocket`.
    fn dispatch(self: &Arc<Self>, events: Vec<BrowserEvent>) {
        for event in events {
            let is_close = event.is_close();
            if let Some(unhandled) = self.call_handler(event) {
                let mut state = lock(&self.state);
                state.queue_bytes += unhandled.payload_len();
                state.queue.push_back(unhandled);
                if let Some(w) = state.event_waker.take() {
                    w.wake();
                }
            }
            if is_close {
                let mut state = lock(&self.state);
                state.done = true;
                if let Some(w) = state.event_waker.take() {
                    w.wake();
                }
                drop(state);
                // Handlers may hold handles to this socket: drop them to break the cycle.
                *lock(&self.handlers) = Handlers::default();
            }
        }
    }

    /// Calls the event's handler if one is set; gives the event back otherwise.
    fn call_handler(self: &Arc<Self>, event: BrowserEvent) -> Option<BrowserEvent> {
        // The event's target: a handle whose drop closes nothing.
        let target = WebSocket {
            shared: self.clone(),
            _owner: None,
        };
        macro_rules! call {
            ($field:ident, $arg:expr) => {{
                let taken = lock(&self.handlers).$field.take();
                match taken {
                    Some(mut handler) => {
                        handler(&target, $arg);
                        let mut handlers = lock(&self.handlers);
                        if handlers.$field.is_none() {
                            handlers.$field = Some(handler);
                        }
                        None
                    }
                    None => Some(event_for_queue!($field, $arg)),
                }
            }};
        }
        macro_rules! event_for_queue {
            (open, $a:expr) => {
                BrowserEvent::Open
            };
            (error, $a:expr) => {
                BrowserEvent::Error
            };
            (message, $a:expr) => {
                BrowserEvent::Message($a)
            };
            (close, $a:expr) => {
                BrowserEvent::Close($a)
            };
        }
        match event {
            BrowserEvent::Open => call!(open, ()),
            BrowserEvent::Error => call!(error, ()),
            BrowserEvent::Message(data) => call!(message, data),
            BrowserEvent::Close(c) => call!(close, c),
        }
    }
}

/// The background task: connect, then drive until the connection is finished.
async fn run(
    shared: Arc<Shared>,
    url: websock_core::dom::WsUrl,
    options: ClientOptions,
    epoch: Instant,
) {
    let deadline = lock(&shared.state).conn.poll_timeout().map(|d| epoch + d);
    // Connect, unless the deadline passes or `close()` fails the connection first.
    let aborted = poll_fn(|cx| {
        let mut state = lock(&shared.state);
        if state.conn.is_finished() {
            Poll::Ready(Ok(None))
        } else {
            state.task_waker = Some(cx.waker().clone());
            Poll::Pending
        }
    });
    let connected = futures_lite::future::or(
        async {
            with_deadline(deadline, connect_transport(&url, &options))
                .await
                .map(Some)
        },
        aborted,
    )
    .await;
    let transport = {
        let mut state = lock(&shared.state);
        let now = epoch.elapsed();
        match connected {
            Ok(Some(t)) => Some(t),
            Ok(None) => None,
            Err(crate::Error::Protocol(websock_core::Error::HandshakeTimeout)) => {
                state
                    .conn
                    .handle_timeout(now.max(deadline.map_or(now, |d| d - epoch)));
                None
            }
            Err(_) => {
                // DNS failure, refused, TLS: to the script it is a failed connection.
                state.conn.handle_eof(now);
                None
            }
        }
    };
    let Some(transport) = transport else {
        let events = Shared::take_events(&mut lock(&shared.state));
        shared.dispatch(events);
        return;
    };
    let mut driver = Driver::new(transport, epoch);
    poll_fn(|cx| loop {
        let mut state = lock(&shared.state);
        state.task_waker = Some(cx.waker().clone());
        // Hand over what the engine has (one message at a time) before reading more.
        let events = Shared::take_events(&mut state);
        if !events.is_empty() {
            drop(state);
            shared.dispatch(events);
            continue;
        }
        if state.conn.is_finished() {
            return Poll::Ready(());
        }
        let read = state.queue_bytes < QUEUE_BYTES;
        let poll = driver.poll_drive(cx, &mut state.conn, read);
        if poll.is_pending() {
            return Poll::Pending;
        }
    })
    .await;
}

/// The browser's `WebSocket`.
///
/// Cloning gives another handle to the same connection (like copying an object
/// reference in a script). When the last handle is dropped while the connection is
/// CONNECTING or OPEN, it is closed (1001, "going away"); the background task finishes
/// the closing handshake and runs the close handler. Handlers receive the socket as
/// their first argument (the event's `target`); that handle does not keep the
/// connection open.
#[derive(Clone)]
pub struct WebSocket {
    shared: Arc<Shared>,
    /// Shared by the user's handles; `None` for the handle given to handlers.
    _owner: Option<Arc<Owner>>,
}

/// Closes the connection (1001, "going away") when the last user handle goes away.
struct Owner {
    shared: Arc<Shared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        let mut state = lock(&self.shared.state);
        let now = state_now(&state);
        let _ = state
            .conn
            .close(now, Some(websock_core::close::GOING_AWAY), "");
        Shared::wake_task(&mut state);
    }
}

/// The engine's clock: time since the connection was created.
fn state_now(state: &State) -> Duration {
    state.epoch.elapsed()
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
    /// background (readyState is CONNECTING until the `Open` event).
    ///
    /// # Errors
    ///
    /// `SyntaxError` for a URL that does not parse, a scheme other than
    /// ws/wss/http/https, a fragment, or a bad protocol list (not tokens, or duplicates
    /// ignoring case); `SecurityError` for a blocked port.
    pub fn new(url: &str, protocols: &[&str]) -> Result<WebSocket, ApiError> {
        let options = ClientOptions {
            protocols: protocols.iter().map(|p| (*p).to_owned()).collect(),
            ..ClientOptions::default()
        };
        Self::with_options(url, options)
    }

    /// Like [`new`](Self::new), with [`ClientOptions`] (subprotocols, extra headers,
    /// limits, timeouts, TLS configuration, the bad-port check).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new); `SyntaxError` also for an extra header that would
    /// corrupt the request.
    pub fn with_options(url: &str, options: ClientOptions) -> Result<WebSocket, ApiError> {
        let url = parse_url(url, &options).map_err(|e| match e {
            crate::Error::Url(api) | crate::Error::Api(api) => api,
            _ => ApiError::Syntax,
        })?;
        let epoch = Instant::now();
        let conn = new_client(&url, &options, Duration::ZERO).map_err(|_| ApiError::Syntax)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                conn,
                epoch,
                binary_type: BinaryType::default(),
                queue: VecDeque::new(),
                queue_bytes: 0,
                done: false,
                event_waker: None,
                task_waker: None,
            }),
            handlers: Mutex::new(Handlers::default()),
            url: url.as_str().to_owned(),
        });
        smol::spawn(run(shared.clone(), url, options, epoch)).detach();
        Ok(WebSocket {
            _owner: Some(Arc::new(Owner {
                shared: shared.clone(),
            })),
            shared,
        })
    }

    fn shared(&self) -> &Shared {
        &self.shared
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared().state)
    }

    /// `url`: the parsed, absolute URL (e.g. `"ws://localhost:8080/"`).
    pub fn url(&self) -> &str {
        &self.shared().url
    }

    /// `readyState`: CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3).
    pub fn ready_state(&self) -> ReadyState {
        self.state().conn.ready_state()
    }

    /// `bufferedAmount`: payload bytes sent and not yet handed to the network, plus
    /// every byte sent after the connection started closing.
    pub fn buffered_amount(&self) -> usize {
        self.state().conn.buffered_amount()
    }

    /// `protocol`: the subprotocol the server selected; empty before open or if none.
    pub fn protocol(&self) -> String {
        self.state().conn.protocol().unwrap_or_default().to_owned()
    }

    /// `extensions`: the negotiated extensions; empty before open or if none.
    pub fn extensions(&self) -> String {
        self.state().conn.extensions().to_owned()
    }

    /// `binaryType`: how binary messages are delivered (`Blob` by default).
    pub fn binary_type(&self) -> BinaryType {
        self.state().binary_type
    }

    /// Sets `binaryType`; it applies to messages delivered from now on.
    pub fn set_binary_type(&self, binary_type: BinaryType) {
        self.state().binary_type = binary_type;
    }

    /// `send(data)`: a string goes as a text message, bytes as a binary message.
    ///
    /// After the connection started closing, the data is dropped and its length added to
    /// `bufferedAmount`, without an error (as in the browser). If the send buffer
    /// ([`Limits::max_send_queue`](websock_core::Limits::max_send_queue)) would
    /// overflow, the connection fails (`Error`, then `Close` with 1006).
    ///
    /// # Errors
    ///
    /// `InvalidStateError` while CONNECTING.
    pub fn send(&self, data: impl Into<MessageData>) -> Result<(), ApiError> {
        let message = Message::from(data.into());
        let mut state = self.state();
        match state.conn.send(message) {
            Ok(()) | Err(SendError::Closed) => {}
            Err(SendError::Full) => state.conn.abort(),
            Err(e) => return Err(e.as_api_error().unwrap_or(ApiError::InvalidState)),
        }
        Shared::wake_task(&mut state);
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
        let mut state = self.state();
        let now = state_now(&state);
        state.conn.close(now, code, reason.unwrap_or(""))?;
        Shared::wake_task(&mut state);
        Ok(())
    }

    /// The next event not taken by a handler; `None` after the `Close` event.
    pub async fn next_event(&self) -> Option<BrowserEvent> {
        poll_fn(|cx| self.poll_event(cx)).await
    }

    fn poll_event(&self, cx: &mut Context<'_>) -> Poll<Option<BrowserEvent>> {
        let mut state = self.state();
        if let Some(event) = state.queue.pop_front() {
            state.queue_bytes -= event.payload_len();
            Shared::wake_task(&mut state);
            return Poll::Ready(Some(event));
        }
        if state.done {
            return Poll::Ready(None);
        }
        state.event_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// `onopen`: called by the background task when the connection opens.
    pub fn on_open(&self, mut handler: impl FnMut(&WebSocket) + Send + 'static) {
        lock(&self.shared().handlers).open = Some(Box::new(move |ws, ()| handler(ws)));
    }

    /// `onmessage`: called for each message.
    pub fn on_message(&self, handler: impl FnMut(&WebSocket, MessageData) + Send + 'static) {
        lock(&self.shared().handlers).message = Some(Box::new(handler));
    }

    /// `onerror`: called when the connection fails (a close event follows).
    pub fn on_error(&self, mut handler: impl FnMut(&WebSocket) + Send + 'static) {
        lock(&self.shared().handlers).error = Some(Box::new(move |ws, ()| handler(ws)));
    }

    /// `onclose`: called once, last, when the connection is closed.
    pub fn on_close(&self, handler: impl FnMut(&WebSocket, CloseEvent) + Send + 'static) {
        lock(&self.shared().handlers).close = Some(Box::new(handler));
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
