//! The idiomatic API: [`WebSocketStream`], a `Stream` of received messages and a `Sink`
//! of messages to send, and its halves [`WebSocketSender`] and [`WebSocketReceiver`].
//!
//! There is no background task: the connection is driven by whoever polls it. Receiving
//! (or waiting in `send`, `flush`, `close`) reads, writes, answers pings, echoes the
//! peer's Close and runs the timers (close timeout, keepalive). Keep a receiver polled
//! (for example in its own task after [`WebSocketStream::split`]) so that pings are
//! answered, a silent peer is detected and the close handshake completes.
//!
//! Memory stays bounded both ways: a send waits while the engine's send queue is over
//! [`Limits::max_send_queue`](websock_core::Limits::max_send_queue) (a peer that stops
//! reading blocks the sender, and [`WebSocketStream::try_send`] reports
//! [`SendError::Full`]), and reading pauses while a received message waits unread.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use bytes::Bytes;
use futures_core::Stream;
use futures_io::{AsyncRead, AsyncWrite};
use futures_sink::Sink;
use websock_core::dom::ReadyState;
use websock_core::handshake::{Request, Response};
use websock_core::session::{Agreed, Incoming, Received, Session};
use websock_core::{CloseEvent, Connection, Message, MessageKind, SendError, TrySendError};

use crate::driver::Driver;
use crate::{Error, Result};

/// Locks, ignoring poisoning (the state stays consistent: no user code runs under it).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Which half is polling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Half {
    Receiver = 0,
    Sender = 1,
}

/// The wakers of the two halves. The transport and the timer are polled with a waker
/// that wakes both, so neither half's registration replaces the other's.
#[derive(Debug, Default)]
struct Wakers {
    slots: Mutex<[Option<Waker>; 2]>,
}

impl Wakers {
    fn register(&self, half: Half, waker: &Waker) {
        let mut slots = lock(&self.slots);
        match &mut slots[half as usize] {
            Some(w) if w.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
    }

    fn wake_half(&self, half: Half) {
        let waker = lock(&self.slots)[half as usize].take();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Wake for Wakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let [a, b] = std::mem::take(&mut *lock(&self.slots));
        for w in [a, b].into_iter().flatten() {
            w.wake();
        }
    }
}

/// The mutable state: the engine, the transport, and the session (the close event, a
/// parked message). Received events stay in the engine until a receiver takes them, so
/// reading pauses meanwhile (TCP backpressure).
#[derive(Debug)]
struct Inner<S> {
    conn: Connection,
    driver: Driver<S>,
    session: Session,
}

impl<S> Inner<S> {
    /// Queues the parked message, if any. `Ok(true)` when nothing is parked any more.
    fn unpark(&mut self) -> Result<bool> {
        self.session
            .unpark(&mut self.conn)
            .map_err(Error::from_send)
    }
}

/// What both halves share.
#[derive(Debug)]
struct Shared<S> {
    inner: Mutex<Inner<S>>,
    wakers: Arc<Wakers>,
    /// What the handshake agreed, fixed once the connection is open.
    agreed: Agreed,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Shared<S> {
    /// One driver round on behalf of `half`; wakes the other half after progress.
    fn drive(&self, inner: &mut Inner<S>, cx: &mut Context<'_>, half: Half) -> Poll<()> {
        self.wakers.register(half, cx.waker());
        let waker = Waker::from(self.wakers.clone());
        let mut both = Context::from_waker(&waker);
        let poll = inner.driver.poll_drive(&mut both, &mut inner.conn);
        if poll.is_ready() {
            let other = match half {
                Half::Receiver => Half::Sender,
                Half::Sender => Half::Receiver,
            };
            self.wakers.wake_half(other);
        }
        poll
    }

    /// The next message, ping or pong; only messages (pings and pongs skipped) unless
    /// `control`.
    fn poll_incoming(&self, cx: &mut Context<'_>, control: bool) -> Poll<Option<Result<Incoming>>> {
        let mut inner = lock(&self.inner);
        loop {
            let Inner {
                conn,
                driver,
                session,
            } = &mut *inner;
            match session.poll_received(conn) {
                Some(Received::Incoming(m @ Incoming::Message(_))) => {
                    return Poll::Ready(Some(Ok(m)))
                }
                Some(Received::Incoming(c)) if control => return Poll::Ready(Some(Ok(c))),
                Some(Received::Incoming(_)) => continue,
                Some(Received::Failed(e)) => {
                    let e = Error::from_failure(e, driver.take_io_error());
                    return Poll::Ready(Some(Err(e)));
                }
                // After the close event, drive on until the transport is done with (the
                // Close echoed, the write side shut down): `None` means it is over.
                Some(Received::End) | None => {}
            }
            if inner.conn.is_finished() {
                return Poll::Ready(None);
            }
            if self.drive(&mut inner, cx, Half::Receiver).is_pending() {
                return Poll::Pending;
            }
        }
    }

    fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<Result<Message>>> {
        self.poll_incoming(cx, false).map(|next| {
            next.map(|r| {
                r.map(|incoming| match incoming {
                    Incoming::Message(m) => m,
                    // poll_incoming(.., false) returns messages only.
                    Incoming::Ping(_) | Incoming::Pong(_) => unreachable!(),
                })
            })
        })
    }

    /// Queues with `queue` (retrying while the send queue is full), then flushes.
    fn poll_send_with(
        &self,
        cx: &mut Context<'_>,
        queued: &mut bool,
        mut queue: impl FnMut(&mut Connection) -> std::result::Result<(), SendError>,
    ) -> Poll<Result<()>> {
        let mut inner = lock(&self.inner);
        while !*queued {
            if !inner.unpark()? {
                if self.drive(&mut inner, cx, Half::Sender).is_pending() {
                    return Poll::Pending;
                }
                continue;
            }
            match queue(&mut inner.conn) {
                Ok(()) => *queued = true,
                Err(SendError::Full) => {
                    if self.drive(&mut inner, cx, Half::Sender).is_pending() {
                        return Poll::Pending;
                    }
                }
                Err(e) => return Poll::Ready(Err(Error::from_send(e))),
            }
        }
        self.poll_flush_locked(&mut inner, cx)
    }

    fn poll_flush_locked(&self, inner: &mut Inner<S>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        loop {
            let unparked = inner.unpark()?;
            if unparked && inner.driver.is_flushed(&inner.conn) {
                return Poll::Ready(Ok(()));
            }
            if inner.conn.is_finished() {
                return Poll::Ready(Err(Error::Closed));
            }
            if self.drive(inner, cx, Half::Sender).is_pending() {
                return Poll::Pending;
            }
        }
    }

    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let mut inner = lock(&self.inner);
        self.poll_flush_locked(&mut inner, cx)
    }

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let mut inner = lock(&self.inner);
        loop {
            if inner.unpark()? {
                return Poll::Ready(Ok(()));
            }
            if self.drive(&mut inner, cx, Half::Sender).is_pending() {
                return Poll::Pending;
            }
        }
    }

    fn start_send(&self, message: Message) -> Result<()> {
        let mut inner = lock(&self.inner);
        if inner.session.has_parked() {
            return Err(Error::Send(SendError::Full));
        }
        match inner.conn.try_send(message, true) {
            Ok(()) => {}
            Err(TrySendError {
                error: SendError::Full,
                message,
            }) => inner.session.park(message, true),
            Err(e) => return Err(Error::from_send(e.error)),
        }
        Ok(())
    }

    /// Queues `message` without waiting (compressed if `compress` and deflate is agreed).
    fn try_send(&self, message: Message, compress: bool) -> Result<()> {
        let mut inner = lock(&self.inner);
        if inner.session.has_parked() {
            return Err(Error::Send(SendError::Full));
        }
        inner
            .conn
            .send_with(message, compress)
            .map_err(Error::from_send)?;
        drop(inner);
        // A half parked in the transport writes it out.
        Wake::wake_by_ref(&self.wakers);
        Ok(())
    }

    fn close_now(&self, code: Option<u16>, reason: &str) -> Result<()> {
        let mut inner = lock(&self.inner);
        let now = inner.driver.now();
        inner.conn.close(now, code, reason).map_err(Error::Api)?;
        Ok(())
    }

    /// Takes events (dropping them) until the close event, driving meanwhile until the
    /// connection is finished.
    fn poll_close_event(&self, cx: &mut Context<'_>) -> Poll<Result<CloseEvent>> {
        let mut inner = lock(&self.inner);
        loop {
            let Inner { conn, session, .. } = &mut *inner;
            let event = session.advance_to_close(conn);
            if conn.is_finished() {
                return Poll::Ready(event.ok_or(Error::Closed));
            }
            if self.drive(&mut inner, cx, Half::Receiver).is_pending() {
                return Poll::Pending;
            }
        }
    }

    fn poll_close_sink(&self, cx: &mut Context<'_>, started: &mut bool) -> Poll<Result<()>> {
        if !*started {
            self.close_now(Some(websock_core::close::NORMAL), "")?;
            *started = true;
        }
        match self.poll_flush(cx) {
            Poll::Ready(Err(Error::Closed)) => Poll::Ready(Ok(())),
            other => other,
        }
    }
}

/// A WebSocket connection over the transport `S`: send and receive [`Message`]s.
///
/// It is a [`Stream`] of `Result<Message, Error>` (ending after the connection closes)
/// and a [`Sink`] of [`Message`] (closing the sink starts the closing handshake with
/// 1000), with the same operations as inherent async methods. Every method takes
/// `&self`, so one task may send while another receives; [`split`](Self::split) gives
/// two owned halves instead.
///
/// Made by [`crate::connect`], [`crate::client_handshake`], [`crate::accept`],
/// [`crate::accept_with`] or [`crate::from_upgraded`].
#[derive(Debug)]
pub struct WebSocketStream<S> {
    shared: Arc<Shared<S>>,
    sink_closing: bool,
}

/// The sending half of a [`WebSocketStream`], from [`WebSocketStream::split`].
#[derive(Debug)]
pub struct WebSocketSender<S> {
    shared: Arc<Shared<S>>,
    sink_closing: bool,
}

/// The receiving half of a [`WebSocketStream`], from [`WebSocketStream::split`].
#[derive(Debug)]
pub struct WebSocketReceiver<S> {
    shared: Arc<Shared<S>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    /// Wraps an OPEN connection (its `Open` event already taken by `session`, which
    /// reported what was `agreed`) and its driver.
    pub(crate) fn from_parts(
        conn: Connection,
        driver: Driver<S>,
        session: Session,
        agreed: Agreed,
    ) -> Self {
        let inner = Inner {
            conn,
            driver,
            session,
        };
        WebSocketStream {
            shared: Arc::new(Shared {
                inner: Mutex::new(inner),
                wakers: Arc::default(),
                agreed,
            }),
            sink_closing: false,
        }
    }

    /// Splits into a sender and a receiver, each usable from its own task or thread.
    pub fn split(self) -> (WebSocketSender<S>, WebSocketReceiver<S>) {
        (
            WebSocketSender {
                shared: self.shared.clone(),
                sink_closing: self.sink_closing,
            },
            WebSocketReceiver {
                shared: self.shared,
            },
        )
    }
}

/// Methods shared by the stream and its halves.
macro_rules! common_methods {
    () => {
        /// The subprotocol the server selected, if any.
        pub fn protocol(&self) -> Option<&str> {
            self.shared.agreed.protocol.as_deref()
        }

        /// Server side: the client's upgrade request (path, headers, `Origin`, ...).
        pub fn request(&self) -> Option<&Request> {
            self.shared.agreed.request.as_ref()
        }

        /// Client side: the server's `101 Switching Protocols` response and its headers.
        pub fn response(&self) -> Option<&Response> {
            self.shared.agreed.response.as_ref()
        }

        /// The negotiated extensions, as header text (empty when none).
        pub fn extensions(&self) -> &str {
            &self.shared.agreed.extensions
        }

        /// Payload bytes accepted by `send` and not yet written, plus those sent after
        /// the connection started closing (the browser's `bufferedAmount`).
        pub fn buffered_amount(&self) -> usize {
            lock(&self.shared.inner).conn.buffered_amount()
        }

        /// The connection's readyState (OPEN, CLOSING or CLOSED here).
        pub fn ready_state(&self) -> ReadyState {
            lock(&self.shared.inner).conn.ready_state()
        }

        /// The close event (code, reason, whether the closing handshake completed), once
        /// the connection is closed.
        pub fn close_event(&self) -> Option<CloseEvent> {
            lock(&self.shared.inner).session.close_event().cloned()
        }
    };
}

/// Sending methods shared by the stream and its sender half.
macro_rules! send_methods {
    () => {
        /// Sends a message: waits while the send queue is full (backpressure), then
        /// until it has been written and flushed to the transport.
        ///
        /// # Errors
        ///
        /// [`Error::Closed`] once the connection is closing or closed.
        pub async fn send(&self, message: Message) -> Result<()> {
            self.send_message(message, true).await
        }

        /// Like [`send`](Self::send) (waits while the send queue is full), but the message is
        /// sent uncompressed even when permessage-deflate is agreed: for data that is already
        /// compressed (see [`Connection::send_with`](websock_core::Connection::send_with)).
        pub async fn send_uncompressed(&self, message: Message) -> Result<()> {
            self.send_message(message, false).await
        }

        /// The send path of `send` and `send_uncompressed`.
        async fn send_message(&self, message: Message, compress: bool) -> Result<()> {
            let mut queued = false;
            let mut message = Some(message);
            poll_fn(|cx| {
                self.shared.poll_send_with(cx, &mut queued, |conn| {
                    let m = message.take().ok_or(SendError::Closed)?;
                    conn.try_send(m, compress).map_err(|refused| {
                        message = Some(refused.message);
                        refused.error
                    })
                })
            })
            .await
        }

        /// Queues a message without waiting. It is written by the next call that drives
        /// the connection (a receiver waiting in `recv`, `send`, `flush`, ...).
        ///
        /// # Errors
        ///
        /// [`Error::Send`]`(`[`SendError::Full`]`)` with nothing queued while the send
        /// queue is over its limit (the peer is not reading fast enough);
        /// [`Error::Closed`] once the connection is closing or closed.
        pub fn try_send(&self, message: Message) -> Result<()> {
            self.shared.try_send(message, true)
        }

        /// Like [`try_send`](Self::try_send) (never waits), but the message is sent
        /// uncompressed even when permessage-deflate is agreed.
        pub fn try_send_uncompressed(&self, message: Message) -> Result<()> {
            self.shared.try_send(message, false)
        }

        /// Sends one fragment of a message (see
        /// [`Connection::send_fragment`](websock_core::Connection::send_fragment)): the
        /// first call starts a message of `kind`, `fin` ends it. Waits like
        /// [`send`](Self::send).
        ///
        /// # Errors
        ///
        /// [`Error::Send`]`(`[`SendError::FragmentOrder`]`)` if another message is
        /// started before `fin`; [`Error::Closed`] once closing.
        pub async fn send_fragment(&self, kind: MessageKind, data: Bytes, fin: bool) -> Result<()> {
            let mut queued = false;
            poll_fn(|cx| {
                self.shared.poll_send_with(cx, &mut queued, |conn| {
                    conn.send_fragment(kind, data.clone(), fin)
                })
            })
            .await
        }

        /// Sends a ping (payload up to 125 bytes). The pong is handled by the engine.
        ///
        /// # Errors
        ///
        /// [`Error::Send`]`(`[`SendError::ControlFrameTooLong`]`)`, [`Error::Closed`].
        pub async fn ping(&self, payload: impl Into<Bytes>) -> Result<()> {
            let payload = payload.into();
            let mut queued = false;
            poll_fn(|cx| {
                self.shared
                    .poll_send_with(cx, &mut queued, |conn| conn.ping(payload.clone()))
            })
            .await
        }

        /// Waits until everything queued has been written and flushed.
        ///
        /// # Errors
        ///
        /// [`Error::Closed`] if the connection ended with bytes unwritten.
        pub async fn flush(&self) -> Result<()> {
            poll_fn(|cx| self.shared.poll_flush(cx)).await
        }

        /// Bytes queued for sending and not yet written (compare with
        /// [`Limits::max_send_queue`](websock_core::Limits::max_send_queue)).
        pub fn send_queue_len(&self) -> usize {
            lock(&self.shared.inner).conn.send_queue_len()
        }
    };
}

/// Receiving methods shared by the stream and its receiver half.
macro_rules! recv_methods {
    () => {
        /// The next message; `Some(Err(..))` once if the connection failed (the
        /// transport's [`Error::Io`], a protocol violation, a timeout), `None` after the
        /// connection is over (see [`close_event`](Self::close_event)). Drives the
        /// connection while it waits.
        pub async fn recv(&self) -> Option<Result<Message>> {
            poll_fn(|cx| self.shared.poll_recv(cx)).await
        }

        /// Like [`recv`](Self::recv), but also reports the pings and pongs that arrive
        /// (pings are answered by the engine all the same).
        pub async fn recv_incoming(&self) -> Option<Result<Incoming>> {
            poll_fn(|cx| self.shared.poll_incoming(cx, true)).await
        }
    };
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    common_methods!();
    send_methods!();
    recv_methods!();

    /// Starts the closing handshake with `code` (1000-1003, 1007-1014, 3000-4999)
    /// and `reason` (at most 123 bytes; needs a code), or none (an empty Close
    /// frame), writes the Close frame, keeps receiving (dropping what still arrives)
    /// until the peer answers or the close timeout fires, and returns the
    /// [`CloseEvent`]. Does nothing more than wait if the connection is already closing.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with `InvalidAccessError` for a code that may not be sent,
    /// `SyntaxError` for a bad reason; [`Error::Closed`] if no close event was recorded.
    pub async fn close(&self, code: Option<u16>, reason: &str) -> Result<CloseEvent> {
        self.shared.close_now(code, reason)?;
        poll_fn(|cx| self.shared.poll_close_event(cx)).await
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketSender<S> {
    common_methods!();
    send_methods!();

    /// Starts the closing handshake with `code` (1000-1003, 1007-1014, 3000-4999)
    /// and `reason` (at most 123 bytes; needs a code), or none (an empty Close
    /// frame), and waits until the Close frame is written. Keep receiving until
    /// `recv` returns `None` to see the peer's answer ([`close_event`](Self::close_event)).
    /// Does nothing if the connection is already closing.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] with `InvalidAccessError` for a code that may not be sent,
    /// `SyntaxError` for a bad reason.
    pub async fn close(&self, code: Option<u16>, reason: &str) -> Result<()> {
        self.shared.close_now(code, reason)?;
        match self.flush().await {
            Err(Error::Closed) => Ok(()),
            other => other,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketReceiver<S> {
    common_methods!();
    recv_methods!();
}

/// Implements `Stream` by receiving.
macro_rules! impl_stream {
    ($t:ident) => {
        impl<S: AsyncRead + AsyncWrite + Unpin> Stream for $t<S> {
            type Item = Result<Message>;

            fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                self.shared.poll_recv(cx)
            }
        }
    };
}

/// Implements `Sink<Message>` by sending.
macro_rules! impl_sink {
    ($t:ident) => {
        impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for $t<S> {
            type Error = Error;

            fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
                self.shared.poll_ready(cx)
            }

            fn start_send(self: Pin<&mut Self>, item: Message) -> Result<()> {
                self.shared.start_send(item)
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
                self.shared.poll_flush(cx)
            }

            fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
                let this = self.get_mut();
                this.shared.poll_close_sink(cx, &mut this.sink_closing)
            }
        }
    };
}

impl_stream!(WebSocketStream);
impl_stream!(WebSocketReceiver);
impl_sink!(WebSocketStream);
impl_sink!(WebSocketSender);
