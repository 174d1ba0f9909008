//! The browser's face: [`WebSocket`], with the browser's constructor, attributes,
//! methods, exceptions and events.
//!
//! A detached background task (`smol::spawn`) connects (DNS, TCP, TLS, handshake) and
//! then drives the connection; it owns the transport. The engine's
//! [`Connection`] is shared between that task and every `WebSocket` handle, so
//! `readyState` and `bufferedAmount` are read straight from the engine. The browser's
//! rules (`send`, `close`, the last handle going away), the bounded queue of events no
//! handler took and the handler slots are websock-core's ([`websock_core::browser`]);
//! this file moves bytes, time and wake-ups.

use std::fmt;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futures_core::Stream;
use websock_core::browser::{BrowserSocket, EventQueue, Handlers};
use websock_core::dom::{BinaryType, ReadyState};
use websock_core::{ApiError, CloseEvent, Connection};

use crate::connect::{connect_transport, with_deadline};
use crate::driver::Driver;
use crate::options::ClientOptions;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub use websock_core::dom::{BrowserEvent, MessageData};

/// State shared by the handles and the background task.
struct State {
    conn: Connection,
    /// When `conn` was created: its time is measured from here.
    epoch: Instant,
    /// `url`, `binaryType`, and the rules of `send`, `close` and the last handle.
    socket: BrowserSocket,
    /// Events no handler took, for `next_event`: bounded by count and bytes (the engine
    /// keeps the rest, so reading stops).
    queue: EventQueue,
    /// The last user handle is gone: an event no handler takes is dropped once the queue
    /// is full (nobody may ever read it), so the connection still runs to its end.
    orphaned: bool,
    event_waker: Option<Waker>,
    task_waker: Option<Waker>,
}

struct Shared {
    state: Mutex<State>,
    handlers: Mutex<Handlers<WebSocket>>,
    /// `url`, lent without the lock (the same as the socket's).
    url: String,
}

impl Shared {
    fn wake_task(state: &mut State) {
        if let Some(w) = state.task_waker.take() {
            w.wake();
        }
    }

    fn wake_reader(state: &mut State) {
        if let Some(w) = state.event_waker.take() {
            w.wake();
        }
    }

    /// Hands an event to its handler (run without any lock held, so it may use the
    /// `WebSocket`), or queues it for `next_event`.
    fn dispatch(self: &Arc<Self>, event: BrowserEvent) {
        let is_close = event.is_close();
        let taken = {
            let mut handlers = lock(&self.handlers);
            lock(&self.state).socket.take_handler(&mut handlers, event)
        };
        match taken {
            Ok(mut call) => {
                // The event's target: a handle whose drop closes nothing.
                let target = WebSocket {
                    shared: self.clone(),
                    _owner: None,
                };
                call.run(&target);
                lock(&self.handlers).restore(call);
                if is_close {
                    let mut state = lock(&self.state);
                    state.queue.finish();
                    Shared::wake_reader(&mut state);
                }
            }
            Err(unhandled) => {
                let mut state = lock(&self.state);
                if state.queue.has_room() || !state.orphaned || is_close {
                    state.queue.push(unhandled);
                }
                Shared::wake_reader(&mut state);
            }
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
    let mut driver = {
        let mut state = lock(&shared.state);
        let now = epoch.elapsed();
        match connected {
            Ok(Some(t)) => Some(Driver::new(t, epoch)),
            Ok(None) => None,
            Err(crate::Error::Protocol(websock_core::Error::HandshakeTimeout)) => {
                state
                    .conn
                    .handle_timeout(now.max(deadline.map_or(now, |d| d - epoch)));
                None
            }
            Err(_) => {
                // DNS failure, refused, TLS: to the script it is a failed connection.
                state.conn.handle_transport_error(now);
                None
            }
        }
    };
    poll_fn(|cx| loop {
        let mut state = lock(&shared.state);
        state.task_waker = Some(cx.waker().clone());
        // One event at a time, while it can be delivered: the engine keeps the rest
        // (and stops reading) while the queue is full.
        let room = state.queue.has_room() || state.orphaned;
        if room {
            let State { socket, conn, .. } = &mut *state;
            if let Some(event) = socket.next_event(conn) {
                drop(state);
                shared.dispatch(event);
                continue;
            }
        }
        let finished = state.conn.is_finished();
        match driver.as_mut() {
            Some(driver) if !finished => {
                if driver.poll_drive(cx, &mut state.conn).is_pending() {
                    return Poll::Pending;
                }
            }
            // Every event is out: no more will come.
            _ if room => {
                state.queue.finish();
                Shared::wake_reader(&mut state);
                return Poll::Ready(());
            }
            // Events wait for room in the queue (`next_event` wakes this task).
            _ => return Poll::Pending,
        }
    })
    .await;
}

/// The browser's `WebSocket`.
///
/// Cloning gives another handle to the same connection (like copying an object
/// reference in a script). When the last handle is dropped, an OPEN connection is
/// closed (1001, "going away") and a CONNECTING one is failed; the background task
/// finishes the closing handshake and runs the close handler. Handlers receive the
/// socket as their first argument (the event's `target`); that handle does not keep the
/// connection open. A panicking handler is contained (the panic hook reports it), like
/// an exception in a browser's listener: later events still arrive. Every handler is
/// dropped after the close event.
///
/// Events no handler takes wait for [`next_event`](Self::next_event) in a queue bounded
/// by count and bytes; while it is full the connection stops reading, so a socket
/// nobody reads slows its peer down instead of growing memory.
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
        BrowserSocket::last_handle_dropped(&mut state.conn, now);
        state.orphaned = true;
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
        let url = options.parse_browser_url(url)?;
        let epoch = Instant::now();
        let conn = options.browser_connection(&url, Duration::ZERO)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                conn,
                epoch,
                socket: BrowserSocket::new(url.as_str()),
                queue: EventQueue::default(),
                orphaned: false,
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

    /// `readyState`: CONNECTING (0), OPEN (1), CLOSING (2) or CLOSED (3). It advances
    /// with event dispatch, as in the browser: OPEN once the open event is dispatched,
    /// CLOSING from `close()` (or the closing handshake) on, CLOSED once the close event
    /// is dispatched.
    pub fn ready_state(&self) -> ReadyState {
        let state = self.state();
        state.socket.ready_state(state.conn.ready_state())
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
        self.state().socket.binary_type()
    }

    /// Sets `binaryType`; it applies to messages delivered from now on.
    pub fn set_binary_type(&self, binary_type: BinaryType) {
        self.state().socket.set_binary_type(binary_type);
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
        let mut state = self.state();
        BrowserSocket::send(&mut state.conn, data)?;
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
        let state = &mut *self.state();
        let now = state_now(state);
        state
            .socket
            .begin_close(&mut state.conn, now, code, reason)?;
        Shared::wake_task(state);
        Ok(())
    }

    /// The next event not taken by a handler; `None` after the `Close` event.
    pub async fn next_event(&self) -> Option<BrowserEvent> {
        poll_fn(|cx| self.poll_event(cx)).await
    }

    fn poll_event(&self, cx: &mut Context<'_>) -> Poll<Option<BrowserEvent>> {
        let state = &mut *self.state();
        if let Some(event) = state.socket.pop_event(&mut state.queue) {
            Shared::wake_task(state);
            return Poll::Ready(Some(event));
        }
        if state.queue.is_over() {
            return Poll::Ready(None);
        }
        state.event_waker = Some(cx.waker().clone());
        Poll::Pending
    }

    /// `onopen`: called by the background task when the connection opens.
    pub fn on_open(&self, handler: impl FnMut(&WebSocket) + Send + 'static) {
        lock(&self.shared().handlers).set_open(handler);
    }

    /// `onmessage`: called for each message.
    pub fn on_message(&self, handler: impl FnMut(&WebSocket, MessageData) + Send + 'static) {
        lock(&self.shared().handlers).set_message(handler);
    }

    /// `onerror`: called when the connection fails (a close event follows).
    pub fn on_error(&self, handler: impl FnMut(&WebSocket) + Send + 'static) {
        lock(&self.shared().handlers).set_error(handler);
    }

    /// `onclose`: called once, last, when the connection is closed.
    pub fn on_close(&self, handler: impl FnMut(&WebSocket, CloseEvent) + Send + 'static) {
        lock(&self.shared().handlers).set_close(handler);
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

#[cfg(test)]
mod tests {
    use super::*;
    use websock_core::Message;

    /// How many events the default [`EventQueue`] holds (empty ones: only the count
    /// bounds them).
    fn queue_bound() -> usize {
        let mut probe = EventQueue::default();
        let mut n = 0;
        while probe.has_room() {
            probe.push(BrowserEvent::Open);
            n += 1;
        }
        n
    }

    #[test]
    fn unread_empty_messages_stop_at_the_queue_bound_and_none_is_lost() {
        smol::block_on(async {
            let bound = queue_bound();
            let sent = 3 * bound;
            let listener = async_net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server = smol::spawn(async move {
                let (tcp, _) = listener.accept().await.unwrap();
                let ws = crate::accept(tcp).await.unwrap();
                for _ in 0..sent {
                    ws.send(Message::text("")).await.unwrap();
                }
                // Answer the client's close.
                while ws.recv().await.is_some() {}
            });
            let options = ClientOptions::default().check_bad_ports(false);
            let ws = WebSocket::with_options(&format!("ws://{addr}/"), options).unwrap();
            let queued = || lock(&ws.shared.state).queue.len();
            // Nobody reads: the queue fills up to its bound (the Open event and empty
            // messages, all of them fit in the socket buffers) and stays there.
            let start = Instant::now();
            while queued() < bound {
                assert!(start.elapsed() < Duration::from_secs(10), "{}", queued());
                async_io::Timer::after(Duration::from_millis(10)).await;
            }
            async_io::Timer::after(Duration::from_millis(300)).await;
            assert_eq!(queued(), bound);
            // Reading resumes as the application takes events: every message arrives.
            assert_eq!(ws.next_event().await, Some(BrowserEvent::Open));
            for _ in 0..sent {
                let event = ws.next_event().await;
                assert_eq!(
                    event,
                    Some(BrowserEvent::Message(MessageData::Text("".into())))
                );
            }
            ws.close(None, None).unwrap();
            assert!(matches!(ws.next_event().await, Some(BrowserEvent::Close(c)) if c.was_clean));
            assert_eq!(ws.next_event().await, None);
            server.await;
        });
    }
}
