//! The idiomatic API: [`WebSocketStream`], and its halves [`WebSocketSender`] and
//! [`WebSocketReceiver`].
//!
//! An unsplit stream drives its connection in its own calls (the driver runs inline:
//! see the [module docs](super)): while a `recv` (or any waiting call) is in progress,
//! pings are answered, a close is echoed, timers fire and keepalive pings go out. After
//! [`split`](WebSocketStream::split), a driver task does that whether or not anyone is
//! receiving, and the halves only queue commands in the engine and take what it
//! received.
//!
//! Flow control both ways:
//!
//! * sending: [`send`](WebSocketStream::send) waits while the engine's send queue is over
//!   [`Limits::max_send_queue`](crate::Limits::max_send_queue) (a peer that stops
//!   reading cannot make memory grow without bound); [`try_send`](WebSocketStream::try_send)
//!   reports [`SendError::Full`] instead of waiting;
//! * receiving: the driver reads no more until the application has taken what was
//!   received, so the peer's sends slow down instead of piling up. Keep receiving (for
//!   example in a task of its own after [`split`](WebSocketStream::split)) to keep the
//!   connection responsive: a connection nobody receives from stops reading, so pings
//!   and a peer's Close wait.
//!
//! Dropping every handle of an open connection closes it with 1001 (going away).

use core::future::{poll_fn, Future};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::dom::ReadyState;
use crate::handshake::{Request, Response};
use crate::session::send_from;
use crate::session::{Agreed, Incoming, Opening, Received};
use crate::{
    CloseEvent, Connection, Message, MessageKind, PreparedMessage, Role, SendError, TrySendError,
};
use bytes::Bytes;
use futures_core::Stream;
use futures_sink::Sink;

use super::shared::{Handle, State};
use super::streamed::{MessageReader, MessageWriter};
use crate::facts::Opened;
use crate::session::Error;

/// A WebSocket connection over a transport of type `S`, driven by its own calls (see
/// the [module docs](super)) until it is split.
///
/// * receive with [`recv`](Self::recv), or as a [`Stream`] of `Result<Message, Error>`
///   (the stream itself, or [`incoming`](Self::incoming));
/// * send with [`send`](Self::send) (waits for room), [`try_send`](Self::try_send), or as a
///   [`Sink<Message>`]; [`send_fragment`](Self::send_fragment) for a message in pieces;
/// * [`ping`](Self::ping), [`close`](Self::close) with a code and reason;
/// * [`split`](Self::split) into halves for two tasks.
///
/// `recv` ends (`None`) once the connection is closed; a failure (protocol violation,
/// transport error, keepalive timeout, ...) is reported once as `Some(Err(..))` first.
/// The close code and reason are then in [`close_event`](Self::close_event).
///
/// Sending and receiving take `&mut self`: the stream is polled by one task at a time,
/// which drives the connection while it waits (nothing is read while no call is in
/// progress: keep a `recv` pending to answer pings and see a peer's Close promptly).
/// For a sender and a receiver in two tasks, or a connection kept driven in the
/// background, [`split`](Self::split): the [`WebSocketSender`] half takes `&self` and
/// is `Clone` (any number of tasks may send at once), the [`WebSocketReceiver`] half
/// is the one receiving (`&mut self`).
///
/// What `recv` yields ([`Incoming`]), the failure reported once, the close event, what
/// the handshake agreed and the `Sink`'s parked message are websock-core's session
/// ([`crate::session`]), the same in every runtime crate.
#[derive(Debug)]
pub struct WebSocketStream<S> {
    sender: WebSocketSender,
    receiver: WebSocketReceiver,
    _transport: PhantomData<fn() -> S>,
}

/// The sending half of a [`WebSocketStream`]: `send`, `try_send`, `ping`, `close`, and
/// [`Sink<Message>`].
///
/// Its methods take `&self` and it is `Clone`: clones share the connection, and any
/// number of them may send, flush or close from as many tasks at once (each waiting
/// call is woken when the send queue has room, the queue is flushed or the connection
/// closes). Messages from one clone go out in the order it sent them; messages from
/// different clones interleave whole, in the order the engine queued them. A message
/// sent in fragments ([`send_fragment`](Self::send_fragment),
/// [`send_stream`](Self::send_stream)) must be finished before another clone sends a
/// data message ([`SendError::FragmentOrder`] otherwise); pings may go between
/// fragments.
///
/// Dropping a clone closes nothing while another handle (a clone, the
/// [`WebSocketReceiver`]) is alive; once the last handle is dropped, an open connection
/// is closed with 1001 (going away) by the driver task.
#[derive(Debug, Clone)]
pub struct WebSocketSender {
    pub(super) handle: Handle,
}

/// The receiving half of a [`WebSocketStream`]: `recv`, and [`Stream`] of messages.
#[derive(Debug)]
pub struct WebSocketReceiver {
    pub(super) handle: Handle,
}

impl<S> WebSocketStream<S> {
    /// Wraps a handle whose connection is open, with what its handshake agreed.
    pub(crate) fn new(handle: Handle, agreed: Agreed) -> Self {
        let opened = {
            let mut st = handle.lock();
            let facts = st.facts.take().map(|f| *f).unwrap_or_default();
            Opened::new(agreed, facts.for_handles(&st.conn))
        };
        handle.shared.set_opened(opened);
        let receiver = WebSocketReceiver {
            handle: Handle::new(&handle.shared),
        };
        WebSocketStream {
            sender: WebSocketSender { handle },
            receiver,
            _transport: PhantomData,
        }
    }

    /// Waits for the handshake's outcome: open, or the failure.
    pub(crate) async fn opened(handle: Handle) -> Result<Self, Error> {
        match opening(&handle).await? {
            Opening::Open(agreed) => Ok(Self::new(handle, agreed)),
            _ => Err(Error::Closed),
        }
    }

    /// Splits into a sender and a receiver, usable from two tasks. The connection is
    /// then driven by a task of its own (spawned now): pings are answered, a close is
    /// echoed and timers fire whether or not either half is being polled.
    pub fn split(self) -> (WebSocketSender, WebSocketReceiver) {
        let handle = &self.sender.handle;
        handle.lock().take_inline(&handle.shared);
        (self.sender, self.receiver)
    }

    /// Receives the next data message, answering pings and closes meanwhile.
    ///
    /// `None` once the connection is closed; a failure is reported once as
    /// `Some(Err(..))` before that.
    pub fn recv(&mut self) -> impl Future<Output = Option<Result<Message, Error>>> + '_ {
        self.receiver.recv()
    }

    /// Receives the next message, ping or pong.
    pub fn recv_incoming(&mut self) -> impl Future<Output = Option<Result<Incoming, Error>>> + '_ {
        self.receiver.recv_incoming()
    }

    /// A message that is already received, without reading the transport and without
    /// waiting (not `async`): one already decodable from input the connection has read
    /// (one read often brings several messages), or already kept by the connection.
    ///
    /// `None` means nothing is ready without waiting: call [`recv`](Self::recv), which
    /// waits for the next message and reports the end (`None`). A failure found in that
    /// input is returned once, as `recv` would (then `recv` returns `None`).
    ///
    /// Control frames in that input are handled as `recv` handles them (a ping's pong
    /// and the echo of a Close are queued: written by the stream's next waiting call,
    /// or at once by a split connection's driver task); pings and pongs are skipped.
    /// The same in websock-std.
    pub fn try_recv(&mut self) -> Option<Result<Message, Error>> {
        self.receiver.try_recv()
    }

    /// The received data messages as a `futures` [`Stream`] of `Result<Message, Error>`:
    /// see [`WebSocketReceiver::incoming`]. (The stream is itself such a `Stream`;
    /// `incoming` borrows it under the name websock-std's iterator has.)
    pub fn incoming(&mut self) -> Messages<'_> {
        self.receiver.incoming()
    }

    /// Receives the next data message as a [`MessageReader`]: its chunks as they arrive
    /// (a [`Stream`] of `Result<Bytes, Error>`, or `AsyncRead`), so a message larger than
    /// memory passes through in bounded memory. Mixes with [`recv`](Self::recv): each
    /// call sets the mode for the messages the engine has not started yet (it starts one
    /// as soon as its first bytes arrive, in the mode of the last call, or the
    /// options' [`Streaming::enabled`](crate::Streaming::enabled) before any call; a
    /// message that started whole is delivered whole, as one chunk). To stream from the
    /// first message, enable streaming in the options. Streamed messages are bounded by
    /// [`Streaming::max_streamed_message_size`](crate::Streaming::max_streamed_message_size)
    /// instead of `max_message_size`. Pings and pongs are skipped.
    ///
    /// `None` once the connection is closed; a failure is reported once before that.
    pub async fn recv_stream(&mut self) -> Option<Result<MessageReader<'_>, Error>> {
        self.receiver.recv_stream().await
    }

    /// Starts a message of `kind` sent in fragments as it is written: see
    /// [`MessageWriter`]. Nothing goes out before the first fragment is full, flushed
    /// or finished.
    pub fn send_stream(&mut self, kind: MessageKind) -> MessageWriter<'_> {
        self.sender.send_stream(kind)
    }

    /// Queues a message, first waiting while the send queue is full. Returns once the
    /// engine has taken it (not once it is written: see [`flush`](Self::flush)).
    ///
    /// Errors: [`Error::Closed`] once the connection is closing or closed.
    pub fn send(&mut self, message: Message) -> impl Future<Output = Result<(), Error>> + '_ {
        self.sender.send(message)
    }

    /// Queues a message without waiting: [`Error::Send`]`(`[`SendError::Full`]`)` if the
    /// send queue is full (nothing was queued), [`Error::Closed`] once closing.
    pub fn try_send(&mut self, message: Message) -> Result<(), Error> {
        self.sender.try_send(message)
    }

    /// Queues a message without writing it: call [`flush`](Self::flush) to have it
    /// written (as do a later [`send`](Self::send), [`close`](Self::close), and the
    /// stream's own driving in its waiting calls such as [`recv`](Self::recv)). For
    /// writing many messages with one system call: feed them, then flush once. Waits
    /// while the send queue is full, as `send` does.
    ///
    /// On this unsplit stream, the message stays queued while the send queue holds at
    /// most 64 KiB (the batch bound) after it; beyond that, what the transport takes at
    /// once is written, as `send` does. On a split [`WebSocketSender`], whose driver
    /// task writes whatever is queued, `feed` is [`send`](WebSocketSender::send): the
    /// driver task may write the message before `flush`. websock-std's `feed` has the
    /// same contract (its split halves' keeper thread writes what is queued when it
    /// next runs).
    ///
    /// Errors: as [`send`](Self::send).
    pub fn feed(&mut self, message: Message) -> impl Future<Output = Result<(), Error>> + '_ {
        self.sender.feed(message)
    }

    /// Like [`send`](Self::send) (waits while the send queue is full), but the message is
    /// sent uncompressed even when permessage-deflate is agreed: for data that is already
    /// compressed (see [`Connection::send_with`](crate::Connection::send_with)).
    pub fn send_uncompressed(
        &mut self,
        message: Message,
    ) -> impl Future<Output = Result<(), Error>> + '_ {
        self.sender.send_uncompressed(message)
    }

    /// Like [`try_send`](Self::try_send) (never waits), but the message is sent
    /// uncompressed even when permessage-deflate is agreed.
    pub fn try_send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
        self.sender.try_send_uncompressed(message)
    }

    /// Queues a [`PreparedMessage`], first waiting while the send queue is full: the
    /// message encoded once, for sending it to many connections. A server's connection
    /// queues a handle to its frame when the message goes uncompressed (no copy, no
    /// encoding); a client's, or one that compresses it, encodes the payload as
    /// [`send`](Self::send) does. Otherwise as `send`: returns once the engine has
    /// taken it, the same errors.
    pub fn send_prepared<'a>(
        &'a mut self,
        prepared: &'a PreparedMessage,
    ) -> impl Future<Output = Result<(), Error>> + 'a {
        self.sender.send_prepared(prepared)
    }

    /// Queues a [`PreparedMessage`] without writing it, as [`feed`](Self::feed) does.
    pub fn feed_prepared<'a>(
        &'a mut self,
        prepared: &'a PreparedMessage,
    ) -> impl Future<Output = Result<(), Error>> + 'a {
        self.sender.feed_prepared(prepared)
    }

    /// Queues a [`PreparedMessage`] without waiting, as [`try_send`](Self::try_send)
    /// does.
    pub fn try_send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
        self.sender.try_send_prepared(prepared)
    }

    /// Queues one fragment of a message (see
    /// [`Connection::send_fragment`](crate::Connection::send_fragment)): the first
    /// starts a message of `kind`, `fin` ends it. Waits while the send queue is full.
    pub async fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: Bytes,
        fin: bool,
    ) -> Result<(), Error> {
        self.sender.send_fragment(kind, data, fin).await
    }

    /// Waits until everything queued has been handed to the transport (or the connection
    /// is over).
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.sender.flush().await
    }

    /// Queues a ping (payload up to 125 bytes); its pong is reported by
    /// [`recv_incoming`](Self::recv_incoming).
    pub fn ping(&mut self, payload: impl Into<Bytes>) -> Result<(), Error> {
        self.sender.ping(payload)
    }

    /// Starts the closing handshake with `code` and `reason` (see
    /// [`WebSocketSender::close`]) and waits until the connection is closed.
    pub async fn close(&mut self, code: Option<u16>, reason: &str) -> Result<CloseEvent, Error> {
        self.sender.close(code, reason).await
    }

    /// The subprotocol agreed in the handshake, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.sender.protocol()
    }

    /// The negotiated extensions (`Sec-WebSocket-Extensions` text, empty when none).
    pub fn extensions(&self) -> &str {
        self.sender.handle.opened().extensions()
    }

    /// Client side: the server's `101` response, with its headers.
    pub fn response(&self) -> Option<&Response> {
        self.sender.handle.opened().response()
    }

    /// Server side: the client's upgrade request (path, headers, Origin, ...).
    pub fn request(&self) -> Option<&Request> {
        self.sender.handle.opened().request()
    }

    /// The connection's readyState (OPEN, CLOSING, CLOSED).
    pub fn ready_state(&self) -> ReadyState {
        self.sender.handle.lock().conn.ready_state()
    }

    /// Client or server: the side of the connection this stream is.
    pub fn role(&self) -> Role {
        self.sender.handle.lock().conn.role()
    }

    /// Payload bytes queued and not yet handed to the transport (the browser's
    /// `bufferedAmount`).
    pub fn buffered_amount(&self) -> usize {
        self.sender.handle.lock().conn.buffered_amount()
    }

    /// Wire bytes queued and not yet written (compare with
    /// [`Limits::max_send_queue`](crate::Limits::max_send_queue)).
    pub fn send_queue_len(&self) -> usize {
        self.sender.send_queue_len()
    }

    /// The close code, reason and cleanliness, once the connection is closed.
    pub fn close_event(&self) -> Option<CloseEvent> {
        self.sender.close_event()
    }

    crate::facts::transport_facts!(@opened sender.handle);
}

/// Waits for the handshake's outcome ([`Session::open`](crate::session::Session::open)):
/// the request waiting for a server's decision, or the connection open; its failure
/// ([`Error::from_failure`]) or end ([`Error::Closed`]) as an error.
pub(crate) async fn opening(handle: &Handle) -> Result<Opening, Error> {
    poll_fn(|cx| {
        let mut st = handle.lock();
        let mut drove = false;
        loop {
            return Poll::Ready(match st.open() {
                Some(Opening::Failed(e)) => Err(st.failure(e)),
                Some(Opening::Closed) => Err(Error::Closed),
                Some(opening) => Ok(opening),
                None if st.driver_done => Err(Error::Closed),
                None if st.drive_to_wait(cx, &mut drove) => continue,
                None => {
                    st.register_reader(cx);
                    return Poll::Pending;
                }
            });
        }
    })
    .await
}

/// What the session has now for `pick`, without I/O: a picked item (`Some(Some(Ok(..)))`;
/// what `pick` refuses is skipped), a failure (once), `Some(None)` at the end, `None`
/// when nothing is ready.
fn take_picked<T>(
    st: &mut State,
    pick: &impl Fn(Incoming) -> Option<T>,
) -> Option<Option<Result<T, Error>>> {
    loop {
        return Some(match st.poll_received()? {
            Received::Incoming(incoming) => match pick(incoming) {
                Some(picked) => Some(Ok(picked)),
                None => continue,
            },
            Received::Failed(e) => Some(Err(st.failure(e))),
            Received::End => None,
        });
    }
}

/// The data messages of what is received (pings and pongs skipped).
fn message_only(incoming: Incoming) -> Option<Message> {
    match incoming {
        Incoming::Message(m) => Some(m),
        Incoming::Ping(_) | Incoming::Pong(_) => None,
    }
}

impl WebSocketReceiver {
    /// The next incoming that `pick` keeps (what it skips, within the same wait, so a
    /// ping flood cannot keep one call busy past the driver's budget), a failure, or
    /// the end.
    fn poll_next_picked<T>(
        &mut self,
        cx: &mut Context<'_>,
        pick: impl Fn(Incoming) -> Option<T>,
    ) -> Poll<Option<Result<T, Error>>> {
        let mut st = self.handle.lock();
        let mut drove = false;
        loop {
            if let Some(taken) = take_picked(&mut st, &pick) {
                return Poll::Ready(taken);
            }
            if st.driver_done {
                return Poll::Ready(None);
            }
            if !st.drive_to_wait(cx, &mut drove) {
                st.register_reader(cx);
                return Poll::Pending;
            }
        }
    }

    fn poll_incoming(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Incoming, Error>>> {
        self.poll_next_picked(cx, Some)
    }

    fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Message, Error>>> {
        self.poll_next_picked(cx, message_only)
    }

    /// Receives the next data message; see [`WebSocketStream::recv`].
    pub fn recv(&mut self) -> impl Future<Output = Option<Result<Message, Error>>> + '_ {
        poll_fn(|cx| self.poll_message(cx))
    }

    /// A message already received, without I/O and without waiting; see
    /// [`WebSocketStream::try_recv`].
    pub fn try_recv(&mut self) -> Option<Result<Message, Error>> {
        // The session and the engine only: no transport call (`poll_received` wakes a
        // driver task when taking events left it something to do).
        take_picked(&mut self.handle.lock(), &message_only).flatten()
    }

    /// Receives the next message, ping or pong.
    pub fn recv_incoming(&mut self) -> impl Future<Output = Option<Result<Incoming, Error>>> + '_ {
        poll_fn(|cx| self.poll_incoming(cx))
    }

    /// The received data messages as a `futures` [`Stream`] of `Result<Message, Error>`
    /// (the same sequence as repeated [`recv`](Self::recv) calls: pings and pongs are
    /// skipped, a failure is one `Some(Err(..))`, and the stream ends, `None`, once the
    /// connection is closed). It borrows the receiver; dropping it loses nothing (a
    /// message not yet yielded stays for the next receive). The name and contract of
    /// websock-std's `incoming()`, whose `Messages` is an `Iterator`.
    pub fn incoming(&mut self) -> Messages<'_> {
        Messages { receiver: self }
    }

    /// The subprotocol agreed in the handshake, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.handle.opened().protocol()
    }

    /// The close event, once the connection is closed.
    pub fn close_event(&self) -> Option<CloseEvent> {
        self.handle.lock().closed_event()
    }

    /// The connection's readyState (OPEN, CLOSING, CLOSED).
    pub fn ready_state(&self) -> ReadyState {
        self.handle.lock().conn.ready_state()
    }

    crate::facts::transport_facts!(@opened handle);
}

/// The received data messages as a `futures` [`Stream`] of `Result<Message, Error>`,
/// from [`WebSocketStream::incoming`] or [`WebSocketReceiver::incoming`]: each item is
/// what [`recv`](WebSocketReceiver::recv) would return, and the stream ends (`None`)
/// once the connection is closed, a failure being reported once as `Some(Err(..))`
/// first. Polling it drives the connection as `recv` does.
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Messages<'a> {
    receiver: &'a mut WebSocketReceiver,
}

impl Stream for Messages<'_> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().receiver.poll_message(cx)
    }
}

impl Stream for WebSocketReceiver {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_message(cx)
    }
}

impl WebSocketSender {
    /// Runs `queue` (an engine command that queues a message) under the lock; `Pending`
    /// (waker registered) while it finds the send queue full. On success, `feed` leaves
    /// the message queued as [`feed`](Self::feed) does, otherwise it is written as
    /// [`send`](Self::send) writes.
    fn poll_queue(
        &self,
        cx: &mut Context<'_>,
        queue: &mut impl FnMut(&mut Connection) -> Result<(), SendError>,
        feed: bool,
    ) -> Poll<Result<(), Error>> {
        let mut st = self.handle.lock();
        st.poll_room(cx, |st, cx| match queue(&mut st.conn) {
            Ok(()) => {
                if feed {
                    st.fed(cx);
                } else {
                    st.queued(cx);
                }
                Poll::Ready(Ok(()))
            }
            Err(SendError::Full) if !st.driver_done => Poll::Pending,
            Err(SendError::Full) => Poll::Ready(Err(Error::Closed)),
            Err(e) => Poll::Ready(Err(Error::from_send(e))),
        })
    }

    /// Runs `queue` once without waiting; a connection driven inline that finds the
    /// send queue full writes what the transport takes now and runs it again.
    fn try_queue(
        &self,
        mut queue: impl FnMut(&mut Connection) -> Result<(), SendError>,
    ) -> Result<(), Error> {
        let mut st = self.handle.lock();
        let queued = match queue(&mut st.conn) {
            // An inline driver writes what the transport takes now, which may make room.
            Err(SendError::Full) if st.is_inline() => {
                st.queued_now();
                queue(&mut st.conn)
            }
            other => other,
        };
        queued.map_err(Error::from_send)?;
        st.queued_now();
        Ok(())
    }

    /// Queues a message, first waiting while the send queue is full; see
    /// [`WebSocketStream::send`].
    pub fn send(&self, message: Message) -> impl Future<Output = Result<(), Error>> + '_ {
        self.send_with(message, true, false)
    }

    /// Queues a message without writing it, first waiting while the send queue is
    /// full; see [`WebSocketStream::feed`]. Call [`flush`](Self::flush) to wait until it
    /// is written. A sender half's connection is driven by its driver task, which
    /// writes whatever is queued as soon as it runs: here `feed` behaves as
    /// [`send`](Self::send) (the message may be written before `flush`), as
    /// websock-std's sender does with its keeper thread (when it next runs).
    pub fn feed(&self, message: Message) -> impl Future<Output = Result<(), Error>> + '_ {
        self.send_with(message, true, true)
    }

    /// Queues a message without waiting; see [`WebSocketStream::try_send`].
    pub fn try_send(&self, message: Message) -> Result<(), Error> {
        self.try_send_with(message, true)
    }

    /// Like [`send`](Self::send) (waits while the send queue is full), but the message is
    /// sent uncompressed even when permessage-deflate is agreed: for data that is already
    /// compressed (see [`Connection::send_with`](crate::Connection::send_with)).
    pub fn send_uncompressed(
        &self,
        message: Message,
    ) -> impl Future<Output = Result<(), Error>> + '_ {
        self.send_with(message, false, false)
    }

    /// Like [`try_send`](Self::try_send) (never waits), but the message is sent
    /// uncompressed even when permessage-deflate is agreed.
    pub fn try_send_uncompressed(&self, message: Message) -> Result<(), Error> {
        self.try_send_with(message, false)
    }

    /// The send path of `send`, `send_uncompressed` and `feed`: one `poll_fn` holding
    /// the message (no nested `async` states, so a task that awaits a send stays
    /// small).
    fn send_with(
        &self,
        message: Message,
        compress: bool,
        feed: bool,
    ) -> impl Future<Output = Result<(), Error>> + '_ {
        // The future holds the message, the flags and `self`, nothing more: a task that
        // awaits a send stays small.
        let mut slot = Some(message);
        poll_fn(move |cx| {
            let mut queue = |conn: &mut Connection| send_from(conn, &mut slot, compress);
            self.poll_queue(cx, &mut queue, feed)
        })
    }

    /// The send path of `try_send` and `try_send_uncompressed`.
    fn try_send_with(&self, message: Message, compress: bool) -> Result<(), Error> {
        let mut slot = Some(message);
        self.try_queue(|conn| send_from(conn, &mut slot, compress))
    }

    /// Queues a [`PreparedMessage`], first waiting while the send queue is full; see
    /// [`WebSocketStream::send_prepared`].
    pub fn send_prepared<'a>(
        &'a self,
        prepared: &'a PreparedMessage,
    ) -> impl Future<Output = Result<(), Error>> + 'a {
        self.send_prepared_with(prepared, false)
    }

    /// Queues a [`PreparedMessage`] without writing it, first waiting while the send
    /// queue is full; see [`feed`](Self::feed).
    pub fn feed_prepared<'a>(
        &'a self,
        prepared: &'a PreparedMessage,
    ) -> impl Future<Output = Result<(), Error>> + 'a {
        self.send_prepared_with(prepared, true)
    }

    /// The send path of `send_prepared` and `feed_prepared`.
    fn send_prepared_with<'a>(
        &'a self,
        prepared: &'a PreparedMessage,
        feed: bool,
    ) -> impl Future<Output = Result<(), Error>> + 'a {
        let mut queue = |conn: &mut Connection| conn.send_prepared(prepared);
        poll_fn(move |cx| self.poll_queue(cx, &mut queue, feed))
    }

    /// Queues a [`PreparedMessage`] without waiting; see [`try_send`](Self::try_send).
    pub fn try_send_prepared(&self, prepared: &PreparedMessage) -> Result<(), Error> {
        self.try_queue(|conn| conn.send_prepared(prepared))
    }

    /// Queues one fragment of a message; see [`WebSocketStream::send_fragment`].
    pub async fn send_fragment(
        &self,
        kind: MessageKind,
        data: Bytes,
        fin: bool,
    ) -> Result<(), Error> {
        poll_fn(|cx| {
            let mut st = self.handle.lock();
            st.poll_room(cx, |st, cx| {
                match st.conn.send_fragment(kind, data.clone(), fin) {
                    Ok(()) => {
                        st.queued(cx);
                        Poll::Ready(Ok(()))
                    }
                    Err(SendError::Full) if !st.driver_done => Poll::Pending,
                    Err(SendError::Full) => Poll::Ready(Err(Error::Closed)),
                    Err(e) => Poll::Ready(Err(Error::from_send(e))),
                }
            })
        })
        .await
    }

    /// Queues the message a `Sink` parked ([`Session::unpark`](crate::session::Session::unpark)):
    /// `Ready(Ok)` once nothing is parked, `Pending` (waker registered) while the
    /// queue is still full.
    fn poll_unparked(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let mut st = self.handle.lock();
        if !st.session.has_parked() {
            return Poll::Ready(Ok(()));
        }
        st.poll_room(cx, |st, cx| match st.session.unpark(&mut st.conn) {
            Ok(true) => {
                st.queued(cx);
                Poll::Ready(Ok(()))
            }
            Ok(false) if !st.driver_done => Poll::Pending,
            Ok(false) => Poll::Ready(Err(Error::Closed)),
            Err(e) => Poll::Ready(Err(Error::from_send(e))),
        })
    }

    pub(super) fn poll_flushed(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.poll_unparked(cx)?.is_pending() {
            return Poll::Pending;
        }
        let mut st = self.handle.lock();
        let mut drove = false;
        loop {
            // `wants_write`: the send queue and a pong the engine holds back (a ping
            // taken by `try_recv` leaves its pong there).
            if !st.conn.wants_write() || st.driver_done || st.conn.is_finished() {
                return Poll::Ready(Ok(()));
            }
            if !st.drive_to_wait(cx, &mut drove) {
                st.register_writer(cx);
                return Poll::Pending;
            }
        }
    }

    /// Waits until everything queued has been handed to the transport.
    pub async fn flush(&self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_flushed(cx)).await
    }

    /// Queues a ping (payload up to 125 bytes, else [`Error::Send`]).
    pub fn ping(&self, payload: impl Into<Bytes>) -> Result<(), Error> {
        let mut st = self.handle.lock();
        st.conn.ping(payload.into()).map_err(Error::from_send)?;
        st.queued_now();
        Ok(())
    }

    fn start_close(&self, code: Option<u16>, reason: &str) -> Result<(), Error> {
        let mut st = self.handle.lock();
        let now = st.now();
        st.conn.close(now, code, reason).map_err(Error::Api)?;
        st.queued_now();
        Ok(())
    }

    fn poll_closed(&self, cx: &mut Context<'_>) -> Poll<Result<CloseEvent, Error>> {
        let mut st = self.handle.lock();
        let mut drove = false;
        loop {
            return match st.advance_to_close() {
                Some(event) => Poll::Ready(Ok(event)),
                None if st.driver_done => Poll::Ready(Err(Error::Closed)),
                None if st.drive_to_wait(cx, &mut drove) => continue,
                None => {
                    st.register_writer(cx);
                    Poll::Pending
                }
            };
        }
    }

    /// Starts the closing handshake and waits until the connection is closed, returning
    /// the close event (the peer's code and reason, and whether it was clean).
    ///
    /// `code` must be valid on the wire (1000-1003, 1007-1014, 3000-4999) and `reason`
    /// at most 123 bytes, with a code; otherwise [`Error::Api`] and nothing happens.
    /// No code sends an empty Close body. Closing an already closed connection returns
    /// its close event. The wait is bounded by the close timeout.
    pub async fn close(&self, code: Option<u16>, reason: &str) -> Result<CloseEvent, Error> {
        self.start_close(code, reason)?;
        poll_fn(|cx| self.poll_closed(cx)).await
    }

    /// The subprotocol agreed in the handshake, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.handle.opened().protocol()
    }

    /// The close event, once the connection is closed.
    pub fn close_event(&self) -> Option<CloseEvent> {
        self.handle.lock().closed_event()
    }

    /// Payload bytes queued and not yet handed to the transport.
    pub fn buffered_amount(&self) -> usize {
        self.handle.lock().conn.buffered_amount()
    }

    /// Wire bytes queued and not yet written (compare with
    /// [`Limits::max_send_queue`](crate::Limits::max_send_queue)).
    pub fn send_queue_len(&self) -> usize {
        self.handle.lock().conn.send_queue_len()
    }

    /// The connection's readyState (OPEN, CLOSING, CLOSED).
    pub fn ready_state(&self) -> ReadyState {
        self.handle.lock().conn.ready_state()
    }

    crate::facts::transport_facts!(@opened handle);
}

impl Sink<Message> for WebSocketSender {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.poll_unparked(cx)?.is_pending() {
            return Poll::Pending;
        }
        let mut st = this.handle.lock();
        st.poll_room(cx, |st, _| {
            if st.conn.ready_state() != ReadyState::Open || st.driver_done {
                Poll::Ready(Err(Error::Closed))
            } else if st.conn.has_send_room() {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            }
        })
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        let mut st = self.handle.lock();
        if st.session.has_parked() {
            // Another clone's message waits for room: queue behind it, in order.
            if st.conn.ready_state() != ReadyState::Open || st.driver_done {
                return Err(Error::Closed);
            }
            st.session.park(message, true);
            return Ok(());
        }
        match st.conn.try_send(message, true) {
            Ok(()) => {
                st.queued_now();
                Ok(())
            }
            // Too big for the room left: park it until the queue drains.
            Err(TrySendError {
                error: SendError::Full,
                message,
            }) => {
                st.session.park(message, true);
                Ok(())
            }
            Err(e) => Err(Error::from_send(e.error)),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_flushed(cx)
    }

    /// Flushes, starts the closing handshake with 1000 (normal closure) if it has not
    /// started, and waits until the connection is closed.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        let parked = this.handle.lock().session.has_parked();
        if parked {
            match this.poll_flushed(cx) {
                Poll::Ready(Ok(())) | Poll::Ready(Err(Error::Closed)) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        this.start_close(Some(crate::close::NORMAL), "")?;
        this.poll_closed(cx).map_ok(|_| ())
    }
}

impl<S> Stream for WebSocketStream<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().receiver.poll_message(cx)
    }
}

impl<S> Sink<Message> for WebSocketStream<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().sender).poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        Pin::new(&mut self.get_mut().sender).start_send(message)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().sender).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().sender).poll_close(cx)
    }
}
