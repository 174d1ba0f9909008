//! The idiomatic API: [`WebSocketStream`], and its halves [`WebSocketSender`] and
//! [`WebSocketReceiver`].
//!
//! Dropping every handle of an open connection closes it with 1001 (going away), as
//! in the async runtimes: the last handle ([`LastHandle`]) queues the Close and a
//! thread from [`Runtime::spawn`] finishes the closing handshake with the driver loop
//! ([`Shared::drive`]), so the drop never waits for the peer.

use core::fmt;
use core::marker::PhantomData;
use core::time::Duration;
use std::sync::{Arc, Mutex, PoisonError, TryLockError};

use bytes::Bytes;

use super::driver::{lock, Reader, Shared, State, BATCH_MAX};
use super::keeper;
use super::streamed::{MessageReader, MessageWriter};
use super::transport::BoxedTransport;
use super::{Runtime, Transport};
use crate::browser::BrowserSocket;
use crate::dom::ReadyState;
use crate::facts::{Facts, Opened};
use crate::handshake::{Request, Response};
use crate::session::{send_from, Agreed, Error, Incoming, Received, Result};
use crate::{CloseEvent, Message, MessageKind, PreparedMessage, Role, SendError};

/// An open WebSocket connection over a blocking transport `S`.
///
/// `S` only names the transport the connection was opened over (as in websock-tokio
/// and websock-smol): the stream holds it type-erased, so the
/// [`split`](Self::split) halves ([`WebSocketSender`], [`WebSocketReceiver`]) and the
/// borrowed [`Messages`], [`MessageReader`] and [`MessageWriter`] have the same types
/// whatever the transport.
///
/// * [`send`](Self::send) queues a message and blocks until the transport has taken
///   it; [`try_send`](Self::try_send) never waits for room in the send queue (it
///   reports [`SendError::Full`] instead).
/// * [`recv`](Self::recv) blocks until a message arrives, and returns `None` once the
///   connection is closed ([`close_event`](Self::close_event) then says how).
///   [`incoming`](Self::incoming) is the same as an [`Iterator`];
///   [`recv_incoming`](Self::recv_incoming) also returns pings and pongs.
/// * Receiving is what drives an unsplit stream: it answers pings, echoes the peer's
///   Close, fires timers (close timeout, keepalive) and finishes the closing
///   handshake. Keep calling `recv` while the connection is in use, or
///   [`split`](Self::split) it: the halves are driven by a thread of their own
///   whether or not anyone receives.
/// * [`close`](Self::close) starts the closing handshake and waits for its end,
///   driving the connection itself.
/// * [`split`](Self::split) gives a sender and a receiver for two threads.
///
/// Transport errors are reported once by `recv` as [`Error::Io`] (or [`Error::Tls`]),
/// and by every later send. What `recv` yields, which error wins and the close event
/// follow websock-core's [`Session`](crate::session::Session) rules, the same in
/// every websock runtime.
///
/// Dropping the stream (or, after [`split`](Self::split), the last of its halves and
/// sender clones) while the connection is open closes it with 1001 (going away), as
/// the async runtimes do. The drop only queues the Close and returns, never waiting for
/// the peer: a thread started with the runtime's [`Runtime::spawn`] writes the Close,
/// reads (discarding messages) until the peer's Close or the end of stream, shuts the
/// write side down and drops the transport, bounded by the close timeout
/// ([`Timeouts::close`](crate::Timeouts::close); with none, it waits for the peer). A
/// closing handshake already under way is finished the same way. A connection already
/// closed is dropped at once, unless a Close (the echo of the peer's) is still queued:
/// that thread writes it first. If no thread can be started, the transport is dropped
/// at once (the peer sees 1006). A process that exits right after the drop may end
/// that thread first: to know how the connection ended, call [`close`](Self::close)
/// instead.
///
/// From one thread, a `send` blocks while the peer does not read; if the peer itself
/// waits for its own writes to be read before reading (two echoing peers pipelining
/// large messages), use [`split`](Self::split) and receive on another thread.
///
/// Its methods take `&mut self` (as in websock-tokio) because the receiving side is
/// the one reading (it holds the read state while it drives the transport); the
/// [`WebSocketSender`] half only shares the connection, so its methods take `&self` and
/// it is `Clone`.
pub struct WebSocketStream<S> {
    tx: WebSocketSender,
    rx: WebSocketReceiver,
    /// [`keeper::start`] for the connection's runtime (a function pointer made where
    /// the runtime is known): [`split`](Self::split) starts the keeper with it.
    keep: keeper::Start,
    _transport: PhantomData<fn() -> S>,
}

impl<S> fmt::Debug for WebSocketStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let request = self.tx.opened.request();
        f.debug_struct("WebSocketStream")
            .field("request", &request.map(|r| &r.path))
            .finish_non_exhaustive()
    }
}

impl<S> WebSocketStream<S> {
    /// A stream over an open connection; `agreed` is what its handshake agreed (kept
    /// beside the connection, so the getters lend it without the lock). Dropping its
    /// last handle closes the connection on a thread of the runtime `R`
    /// ([`close_in_background`]).
    pub(crate) fn new<R: Runtime>(
        shared: Arc<Shared<BoxedTransport>>,
        reader: Reader,
        agreed: Agreed,
    ) -> Self {
        let reader = Arc::new(Mutex::new(reader));
        let opened = Arc::new(Opened::new(agreed, Facts::of_shared(&shared)));
        let last = Arc::new(LastHandle {
            shared: shared.clone(),
            on_drop: close_in_background::<R>,
        });
        WebSocketStream {
            tx: WebSocketSender {
                shared: shared.clone(),
                reader: reader.clone(),
                opened: opened.clone(),
                last: last.clone(),
            },
            rx: WebSocketReceiver {
                shared,
                reader,
                opened,
                _last: last,
            },
            keep: keeper::start::<R>,
            _transport: PhantomData,
        }
    }

    /// Send a message: queue it, then block until the transport has taken every
    /// queued byte. Waits (without growing memory) while the send queue is over
    /// [`Limits::max_send_queue`](crate::Limits::max_send_queue).
    ///
    /// One exception batches replies: when the last [`recv`](Self::recv) returned while
    /// more received messages were already waiting for it, the first send after it
    /// only queues (up to 64 KiB), and the next `recv` writes it together with the
    /// rest of the burst, before it blocks or returns the burst's last message. An
    /// echo loop thus answers 100 pipelined messages with two writes, not 100. A
    /// [`flush`](Self::flush) or [`close`](Self::close) writes at once; the halves of
    /// a [`split`](Self::split) stream never batch.
    ///
    /// Errors: [`Error::Closed`] once the closing handshake started; [`Error::Io`] if the
    /// transport failed.
    pub fn send(&mut self, message: Message) -> Result<()> {
        self.tx.send(message)
    }

    /// Queue a message without waiting for room: [`Error::Send`] with
    /// [`SendError::Full`] if the send queue is over its limit (nothing was queued;
    /// retry after [`flush`](Self::flush) or a `recv`). Then writes what the transport
    /// takes within one short write slice (50 ms at most).
    pub fn try_send(&mut self, message: Message) -> Result<()> {
        self.tx.try_send(message)
    }

    /// Queue a message without writing it: call [`flush`](Self::flush) to have it
    /// written (as do a later [`send`](Self::send), [`close`](Self::close), and the
    /// connection's own driving in [`recv`](Self::recv)). For writing many messages
    /// with one system call: feed them, then flush once.
    ///
    /// Never writes while the send queue holds at most 64 KiB (the batch bound) after
    /// this message. Beyond that bound it writes as [`send`](Self::send) does (blocks
    /// until the transport has taken every queued byte), and while the send queue is
    /// over [`Limits::max_send_queue`](crate::Limits::max_send_queue) it waits for
    /// room as `send` does. So a feeder's memory stays bounded even if it never flushes.
    ///
    /// On a split [`WebSocketSender`], the connection's keeper thread also writes what
    /// is queued when it next runs (within 250 ms): `flush` is what writes it now. The
    /// same contract in websock-tokio and websock-smol (their split halves' driver task
    /// writes what is queued as soon as it runs).
    ///
    /// Errors: as [`send`](Self::send).
    pub fn feed(&mut self, message: Message) -> Result<()> {
        self.tx.feed(message)
    }

    /// Like [`send`](Self::send) (waits while the send queue is full), but the message is
    /// sent uncompressed even when permessage-deflate is agreed: for data that is already
    /// compressed (see [`Connection::send_with`](crate::Connection::send_with)).
    pub fn send_uncompressed(&mut self, message: Message) -> Result<()> {
        self.tx.send_uncompressed(message)
    }

    /// Like [`try_send`](Self::try_send) (never waits), but the message is sent
    /// uncompressed even when permessage-deflate is agreed.
    pub fn try_send_uncompressed(&mut self, message: Message) -> Result<()> {
        self.tx.try_send_uncompressed(message)
    }

    /// Queue a [`PreparedMessage`] and write it, as [`send`](Self::send) does: the
    /// message encoded once, for sending it to many connections. A server's connection
    /// queues a handle to its frame when the message goes uncompressed (no copy, no
    /// encoding); a client's, or one that compresses it, encodes the payload as `send`
    /// does. The same waits and errors as `send`.
    pub fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<()> {
        self.tx.send_prepared(prepared)
    }

    /// Queue a [`PreparedMessage`] without waiting for room, as
    /// [`try_send`](Self::try_send) does.
    pub fn try_send_prepared(&mut self, prepared: &PreparedMessage) -> Result<()> {
        self.tx.try_send_prepared(prepared)
    }

    /// Queue a [`PreparedMessage`] without writing it, as [`feed`](Self::feed) does.
    pub fn feed_prepared(&mut self, prepared: &PreparedMessage) -> Result<()> {
        self.tx.feed_prepared(prepared)
    }

    /// Send one fragment of a message: the first call starts a message of `kind`,
    /// later ones continue it, `fin` ends it. Pings may go between fragments, other
    /// messages may not ([`SendError::FragmentOrder`]). Text fragments must each be
    /// valid UTF-8. Blocks like [`send`](Self::send).
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: impl Into<Bytes>,
        fin: bool,
    ) -> Result<()> {
        self.tx.send_fragment(kind, data, fin)
    }

    /// Send a ping (payload up to 125 bytes). The pong arrives while receiving.
    pub fn ping(&mut self, payload: impl Into<Bytes>) -> Result<()> {
        self.tx.ping(payload)
    }

    /// Start the closing handshake with `code` (1000-1003, 1007-1014, 3000-4999) and a
    /// `reason` of at most 123 bytes (with a code), or neither (an empty Close body);
    /// then receive (and drop) messages until the connection is closed, and return the
    /// close event: the peer's code and reason, and whether it was clean. The wait is
    /// bounded by the close timeout. On a closed connection, returns its close event.
    ///
    /// Errors: [`Error::Api`] for a bad code or reason (nothing happens).
    pub fn close(&mut self, code: Option<u16>, reason: &str) -> Result<CloseEvent> {
        self.tx.start_close(code, reason)?;
        let closed = self
            .rx
            .drive(false, |st| st.session.advance_to_close(&mut st.conn));
        closed
            .or_else(|| self.rx.close_event())
            .ok_or(Error::Closed)
    }

    /// Block until every queued byte was handed to the transport.
    pub fn flush(&mut self) -> Result<()> {
        self.tx.flush()
    }

    /// The next message; `None` once the connection is closed and finished. An error
    /// is returned once, followed by `None`.
    pub fn recv(&mut self) -> Option<Result<Message>> {
        self.rx.recv()
    }

    /// The next message, ping or pong; `None` once the connection is closed.
    pub fn recv_incoming(&mut self) -> Option<Result<Incoming>> {
        self.rx.recv_incoming()
    }

    /// A message that is already received, without reading the transport and without
    /// waiting: one already decodable from input an earlier [`recv`](Self::recv) read
    /// (one read often brings several messages), or already kept by the connection.
    ///
    /// `None` means nothing is ready without waiting: call [`recv`](Self::recv), which
    /// waits for the next message and reports the end (`None`). A failure found in that
    /// input is returned once, as `recv` would (then `recv` returns `None`).
    ///
    /// Control frames in that input are handled as `recv` handles them (a ping's pong
    /// and the echo of a Close are queued, and written by the next `recv`, `send`,
    /// [`flush`](Self::flush) or [`close`](Self::close)); pings and pongs are skipped.
    /// The same in websock-tokio and websock-smol (not `async` there either).
    pub fn try_recv(&mut self) -> Option<Result<Message>> {
        self.rx.try_recv()
    }

    /// Receives the next data message as a [`MessageReader`]: its bytes as they arrive
    /// ([`Read`](std::io::Read), or [`chunk`](MessageReader::chunk)s of `Bytes`), so a
    /// message larger than memory passes through in bounded memory. Blocks (driving the
    /// connection) like [`recv`](Self::recv), and mixes with it: each call chooses for
    /// the messages not yet started (one already complete is delivered whole, as one
    /// chunk). Streamed messages are bounded by
    /// [`Streaming::max_streamed_message_size`](crate::Streaming::max_streamed_message_size)
    /// instead of `max_message_size`. Pings and pongs are skipped.
    ///
    /// `None` once the connection is closed; a failure is reported once before that.
    /// To send while a reader is open (an echo), [`split`](Self::split) the stream.
    pub fn recv_stream(&mut self) -> Option<Result<MessageReader<'_>>> {
        self.rx.recv_stream()
    }

    /// Starts a message of `kind` sent in fragments as it is written: see
    /// [`MessageWriter`]. Nothing goes out before the first fragment is full, flushed
    /// or finished.
    pub fn send_stream(&mut self, kind: MessageKind) -> MessageWriter<'_> {
        self.tx.send_stream(kind)
    }

    /// An iterator over incoming messages (see [`recv`](Self::recv)).
    pub fn incoming(&mut self) -> Messages<'_> {
        self.rx.incoming()
    }

    /// How the connection closed, once it has.
    pub fn close_event(&self) -> Option<CloseEvent> {
        self.rx.close_event()
    }

    /// The subprotocol agreed in the handshake, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.tx.protocol()
    }

    /// Wire bytes queued and not yet written (compare with
    /// [`Limits::max_send_queue`](crate::Limits::max_send_queue)).
    pub fn send_queue_len(&self) -> usize {
        self.tx.send_queue_len()
    }

    /// The negotiated extensions (header text; empty when none).
    pub fn extensions(&self) -> &str {
        self.tx.opened.extensions()
    }

    /// The connection's state (the browser's `readyState`).
    pub fn ready_state(&self) -> ReadyState {
        self.tx.ready_state()
    }

    crate::facts::transport_facts!(tx.opened.facts);

    /// Payload bytes queued and not yet written (the browser's `bufferedAmount`).
    pub fn buffered_amount(&self) -> usize {
        self.tx.buffered_amount()
    }

    /// Client or server: the side of the connection this stream is.
    pub fn role(&self) -> Role {
        self.tx.shared.lock().conn.role()
    }

    /// Server side: the client's upgrade request (path, headers, `Origin`...).
    pub fn request(&self) -> Option<&Request> {
        self.tx.opened.request()
    }

    /// Client side: the server's `101 Switching Protocols` response (headers...).
    pub fn response(&self) -> Option<&Response> {
        self.tx.opened.response()
    }

    /// Split into a sender and a receiver that can be used from two threads.
    ///
    /// From then on a thread of the runtime (the connection's keeper) drives the
    /// connection whether or not anyone receives, as the async runtimes' driver task
    /// does: it answers pings, echoes the peer's Close and fires the timers while the
    /// application is busy elsewhere; the receiver takes the messages it read. While
    /// received messages wait for the receiver, it stops reading (the peer is slowed
    /// down by TCP, as in every runtime). If no thread can be started, the receiver
    /// drives instead, as for an unsplit stream.
    ///
    /// A transport that can be cloned (`TcpStream`) gets a second handle, so the
    /// keeper blocks in `read` while senders write. Otherwise (TLS) the two take turns
    /// on one handle: the keeper reads with a 20 ms timeout so a send waits at most that
    /// long for its turn.
    pub fn split(self) -> (WebSocketSender, WebSocketReceiver) {
        let rx = self.rx;
        rx.shared.lock().burst = false;
        rx.shared.separate_writer();
        lock(&rx.reader).set_split();
        (self.keep)(&rx.shared, &rx.reader);
        (self.tx, rx)
    }
}

/// The sending half of a [`WebSocketStream`] (see [`WebSocketStream::split`]).
/// Cloning gives another sender on the same connection.
///
/// Dropping it closes nothing while the [`WebSocketReceiver`] or another clone is
/// alive; when the last handle goes, an open connection is closed with 1001 in the
/// background (see [`WebSocketStream`]).
pub struct WebSocketSender {
    shared: Arc<Shared<BoxedTransport>>,
    /// The receiver's read state: the sender's `close` takes it to drive the
    /// connection itself while nobody is receiving.
    reader: Arc<Mutex<Reader>>,
    opened: Arc<Opened>,
    last: Arc<LastHandle>,
}

impl Clone for WebSocketSender {
    fn clone(&self) -> Self {
        WebSocketSender {
            shared: self.shared.clone(),
            reader: self.reader.clone(),
            opened: self.opened.clone(),
            last: self.last.clone(),
        }
    }
}

impl fmt::Debug for WebSocketSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketSender").finish_non_exhaustive()
    }
}

impl WebSocketSender {
    /// See [`WebSocketStream::send`].
    pub fn send(&self, message: Message) -> Result<()> {
        self.send_message(message, true, true)
    }

    /// See [`WebSocketStream::try_send`].
    pub fn try_send(&self, message: Message) -> Result<()> {
        self.send_message(message, true, false)
    }

    /// Like [`send`](Self::send) (waits while the send queue is full), but the message is
    /// sent uncompressed even when permessage-deflate is agreed: for data that is already
    /// compressed (see [`Connection::send_with`](crate::Connection::send_with)).
    pub fn send_uncompressed(&self, message: Message) -> Result<()> {
        self.send_message(message, false, true)
    }

    /// Like [`try_send`](Self::try_send) (never waits), but the message is sent
    /// uncompressed even when permessage-deflate is agreed.
    pub fn try_send_uncompressed(&self, message: Message) -> Result<()> {
        self.send_message(message, false, false)
    }

    /// See [`WebSocketStream::feed`].
    pub fn feed(&self, message: Message) -> Result<()> {
        let mut slot = Some(message);
        self.queue_then(|conn| send_from(conn, &mut slot, true), true, true)
    }

    /// See [`WebSocketStream::send_prepared`].
    pub fn send_prepared(&self, prepared: &PreparedMessage) -> Result<()> {
        self.queue(|conn| conn.send_prepared(prepared), true)
    }

    /// See [`WebSocketStream::try_send_prepared`].
    pub fn try_send_prepared(&self, prepared: &PreparedMessage) -> Result<()> {
        self.queue(|conn| conn.send_prepared(prepared), false)
    }

    /// See [`WebSocketStream::feed_prepared`].
    pub fn feed_prepared(&self, prepared: &PreparedMessage) -> Result<()> {
        self.queue_then(|conn| conn.send_prepared(prepared), true, true)
    }

    /// The send path of `send`, `try_send` and their `_uncompressed` forms: queues
    /// `message` (compressed if `compress` and deflate is agreed), waiting for room if
    /// `wait`.
    fn send_message(&self, message: Message, compress: bool, wait: bool) -> Result<()> {
        let mut slot = Some(message);
        self.queue(|conn| send_from(conn, &mut slot, compress), wait)
    }

    /// See [`WebSocketStream::send_fragment`].
    pub fn send_fragment(
        &self,
        kind: MessageKind,
        data: impl Into<Bytes>,
        fin: bool,
    ) -> Result<()> {
        let data = data.into();
        self.queue(|conn| conn.send_fragment(kind, data.clone(), fin), true)
    }

    /// See [`WebSocketStream::ping`].
    pub fn ping(&self, payload: impl Into<Bytes>) -> Result<()> {
        let payload = payload.into();
        self.queue(|conn| conn.ping(payload.clone()), true)
    }

    /// Start the closing handshake (see [`WebSocketStream::close`] for the arguments)
    /// and wait until the connection is closed, returning the close event (the peer's
    /// code and reason, and whether it was clean). On a closed connection, returns its
    /// close event.
    ///
    /// Works whether or not the [`WebSocketReceiver`] is in use, as in the async
    /// runtimes: the connection's keeper thread reads the peer's Close, answers it and
    /// finishes the handshake while this call waits; messages that arrive meanwhile are
    /// kept for the receiver, within the bound of
    /// [`Session::advance_to_close`](crate::session::Session::advance_to_close). (If no
    /// keeper could be started, the receiver drives, and this call drives itself while
    /// nobody receives.)
    ///
    /// The wait is bounded by the close timeout: by the engine's timer (the close event
    /// then says how it ended), and at most the close timeout plus a second, past which
    /// [`Error::Protocol`] with `CloseTimeout`.
    ///
    /// Errors: [`Error::Api`] for a bad code or reason (nothing happens);
    /// [`Error::Closed`] if the connection ended without a close event.
    pub fn close(&self, code: Option<u16>, reason: &str) -> Result<CloseEvent> {
        self.start_close(code, reason)?;
        let mut st = self.shared.lock();
        // On the engine's clock (the runtime's).
        let deadline = st
            .close_timeout
            .map(|t| st.now() + t + Duration::from_secs(1));
        loop {
            if let Some(ev) = st.session.close_event() {
                return Ok(ev.clone());
            }
            if st.conn.ready_state() == ReadyState::Closed || st.kept {
                // Closed, and the receiver has not reached the close event yet: take
                // it (the messages before it stay for the receiver). With a keeper,
                // also take what waits before it, within the session's bound, so the
                // keeper reads on to the peer's Close.
                let st = &mut *st;
                let closed = st.session.advance_to_close(&mut st.conn);
                self.shared.changed.notify_all();
                if let Some(ev) = closed {
                    return Ok(ev);
                }
            }
            if st.conn.is_finished() {
                return Err(Error::Closed);
            }
            // Nobody is receiving: drive the connection to its end here. Never blocks
            // on the reader while holding the engine's lock (`try_lock`).
            let reader = match self.reader.try_lock() {
                Ok(reader) => Some(reader),
                Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
                Err(TryLockError::WouldBlock) => None,
            };
            if let Some(mut reader) = reader {
                drop(st);
                let closed = self.shared.drive(&mut reader, false, |st| {
                    st.session.advance_to_close(&mut st.conn)
                });
                drop(reader);
                // A receiver waiting for its turn, or senders waiting for the end.
                self.shared.changed.notify_all();
                return closed.or_else(|| self.close_event()).ok_or(Error::Closed);
            }
            // The receiver is receiving: it reads the peer's Close. Look again soon, in
            // case it returns without reaching the end.
            let wait = match deadline {
                Some(d) => match d.checked_sub(st.now()).filter(|left| !left.is_zero()) {
                    Some(left) => left.min(RECHECK),
                    None => return Err(Error::Protocol(crate::Error::CloseTimeout)),
                },
                None => RECHECK,
            };
            st = self
                .shared
                .changed
                .wait_timeout(st, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// How the connection closed, once the receiver (or [`close`](Self::close)) has
    /// seen it.
    pub fn close_event(&self) -> Option<CloseEvent> {
        self.shared.lock().session.close_event().cloned()
    }

    /// Queue our Close frame and write it.
    pub(crate) fn start_close(&self, code: Option<u16>, reason: &str) -> Result<()> {
        let mut st = self.shared.lock();
        let now = st.now();
        st.conn.close(now, code, reason).map_err(Error::Api)?;
        self.shared.changed.notify_all();
        self.shared.flush(st, true).check_io()
    }

    /// See [`WebSocketStream::flush`].
    pub fn flush(&self) -> Result<()> {
        self.shared.flush(self.shared.lock(), true).check_io()
    }

    /// See [`WebSocketStream::protocol`].
    pub fn protocol(&self) -> Option<&str> {
        self.opened.protocol()
    }

    /// See [`WebSocketStream::ready_state`].
    pub fn ready_state(&self) -> ReadyState {
        self.shared.lock().conn.ready_state()
    }

    crate::facts::transport_facts!(opened.facts);

    /// See [`WebSocketStream::buffered_amount`].
    pub fn buffered_amount(&self) -> usize {
        self.shared.lock().conn.buffered_amount()
    }

    /// Wire bytes queued and not yet written (compare with
    /// [`Limits::max_send_queue`](crate::Limits::max_send_queue)).
    pub fn send_queue_len(&self) -> usize {
        self.shared.lock().conn.send_queue_len()
    }

    /// Run `command` on the engine; on [`SendError::Full`], write (and, with `wait`,
    /// wait for room) then retry; finally write what is queued.
    pub(crate) fn queue(
        &self,
        command: impl FnMut(&mut crate::Connection) -> std::result::Result<(), SendError>,
        wait: bool,
    ) -> Result<()> {
        self.queue_then(command, wait, false)
    }

    /// [`queue`](Self::queue); with `feed`, what is queued is left for a later write
    /// while the send queue holds at most [`BATCH_MAX`] (see [`WebSocketSender::feed`]).
    fn queue_then(
        &self,
        mut command: impl FnMut(&mut crate::Connection) -> std::result::Result<(), SendError>,
        wait: bool,
        feed: bool,
    ) -> Result<()> {
        let mut st = self.shared.lock();
        loop {
            st.check_io()?;
            match command(&mut st.conn) {
                Ok(()) => break,
                Err(SendError::Full) if wait => {
                    st = self.shared.flush(st, true);
                    if st.conn.is_finished() && st.io_failure().is_none() {
                        return Err(Error::Closed);
                    }
                }
                Err(e) => return Err(Error::from_send(e)),
            }
        }
        if feed && st.conn.send_queue_len() <= BATCH_MAX {
            return Ok(());
        }
        if std::mem::take(&mut st.burst) && st.conn.send_queue_len() < BATCH_MAX {
            return Ok(());
        }
        self.shared.changed.notify_all();
        self.shared.flush(st, wait).check_io()
    }
}

/// The receiving half of a [`WebSocketStream`] (see [`WebSocketStream::split`]): it
/// takes what the connection's keeper thread read. While a received message waits
/// for it, nothing more is read (the peer is slowed down by TCP).
///
/// Dropping it closes nothing while a [`WebSocketSender`] is alive; when the last
/// handle goes, an open connection is closed with 1001 in the background (see
/// [`WebSocketStream`]).
pub struct WebSocketReceiver {
    pub(crate) shared: Arc<Shared<BoxedTransport>>,
    /// The read state, shared with the senders (see [`WebSocketSender::close`]): held
    /// for each drive, so one thread reads at a time.
    reader: Arc<Mutex<Reader>>,
    opened: Arc<Opened>,
    /// Kept for its `Drop` (the last handle closes the connection).
    _last: Arc<LastHandle>,
}

impl fmt::Debug for WebSocketReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketReceiver").finish_non_exhaustive()
    }
}

impl WebSocketReceiver {
    /// See [`WebSocketStream::recv`].
    pub fn recv(&mut self) -> Option<Result<Message>> {
        loop {
            match self.recv_incoming()? {
                Ok(Incoming::Message(m)) => return Some(Ok(m)),
                Ok(Incoming::Ping(_) | Incoming::Pong(_)) => {}
                Err(e) => return Some(Err(e)),
            }
        }
    }

    /// Waits for what `poll` takes: from the keeper's reads when a keeper drives the
    /// connection ([`Shared::wait_kept`]), else by driving it here ([`Shared::drive`])
    /// with the read state, waiting first while a sender's `close` holds it.
    pub(crate) fn drive<T>(
        &mut self,
        batch: bool,
        mut poll: impl FnMut(&mut State) -> Option<T>,
    ) -> Option<T> {
        if let Some(kept) = self.shared.wait_kept(&mut poll) {
            return kept;
        }
        let mut reader = lock(&self.reader);
        self.shared.drive(&mut reader, batch, poll)
    }

    /// See [`WebSocketStream::recv_incoming`].
    pub fn recv_incoming(&mut self) -> Option<Result<Incoming>> {
        self.drive(true, take_incoming).flatten()
    }

    /// See [`WebSocketStream::try_recv`].
    pub fn try_recv(&mut self) -> Option<Result<Message>> {
        let mut st = self.shared.lock();
        // The session and the engine only: no transport call, no wait.
        let taken = loop {
            match take_incoming(&mut st) {
                Some(Some(Ok(Incoming::Ping(_) | Incoming::Pong(_)))) => {}
                Some(Some(Ok(Incoming::Message(m)))) => break Some(Ok(m)),
                Some(Some(Err(e))) => break Some(Err(e)),
                Some(None) | None => break None,
            }
        };
        drop(st);
        // Events may have been taken: the keeper, or a sender's `close` waiting for the
        // end, looks again.
        self.shared.changed.notify_all();
        taken
    }

    /// See [`WebSocketStream::incoming`].
    pub fn incoming(&mut self) -> Messages<'_> {
        Messages { rx: self }
    }

    /// See [`WebSocketStream::close_event`].
    pub fn close_event(&self) -> Option<CloseEvent> {
        self.shared.lock().session.close_event().cloned()
    }

    /// See [`WebSocketStream::protocol`].
    pub fn protocol(&self) -> Option<&str> {
        self.opened.protocol()
    }

    /// See [`WebSocketStream::ready_state`].
    pub fn ready_state(&self) -> ReadyState {
        self.shared.lock().conn.ready_state()
    }

    crate::facts::transport_facts!(opened.facts);
}

/// What the session has now, without I/O: the next message, ping or pong
/// (`Some(Some(Ok(..)))`), a failure (once), `Some(None)` at the end, `None` when
/// nothing is ready. The poll of every receive.
fn take_incoming(st: &mut State) -> Option<Option<Result<Incoming>>> {
    Some(match st.session.poll_received(&mut st.conn)? {
        Received::Incoming(incoming) => Some(Ok(incoming)),
        Received::Failed(e) => Some(Err(st.failure(e))),
        Received::End => None,
    })
}

/// Incoming messages, from [`WebSocketStream::incoming`] or
/// [`WebSocketReceiver::incoming`]. Ends when the connection is closed.
pub struct Messages<'a> {
    rx: &'a mut WebSocketReceiver,
}

impl fmt::Debug for Messages<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Messages").finish_non_exhaustive()
    }
}

impl Iterator for Messages<'_> {
    type Item = Result<Message>;

    fn next(&mut self) -> Option<Self::Item> {
        self.rx.recv()
    }
}

/// How often a sender's `close` that waits for the receiving thread looks again
/// whether it can drive the connection itself.
const RECHECK: Duration = Duration::from_millis(50);

/// Held by every application handle of one connection (the stream's two halves, each
/// clone of the sender): dropped with the last of them, it closes the connection
/// ([`close_in_background`]).
pub(crate) struct LastHandle {
    shared: Arc<Shared<BoxedTransport>>,
    /// `close_in_background` for the connection's runtime: a function pointer, made
    /// where the runtime is known, so the handles need not name it.
    on_drop: fn(&Arc<Shared<BoxedTransport>>),
}

impl Drop for LastHandle {
    fn drop(&mut self) {
        (self.on_drop)(&self.shared);
    }
}

/// The application dropped every handle of the connection: close it with 1001 (going
/// away) if it is open ([`BrowserSocket::last_handle_dropped`], the rule of every
/// websock runtime), and finish the closing handshake on a thread of the runtime `R`
/// with the driver loop: write the Close, read (discarding messages) until the peer's
/// Close or the end of stream, shut the write side down, all bounded by the engine's
/// timers (the close timeout); the thread then drops the transport. Never blocks on
/// the transport: the engine's lock is free here (no handle is left to hold it).
///
/// A split connection's keeper ([`keeper`]) is already driving it: it finishes the
/// handshake (dropping what arrives), and this only writes the Close.
///
/// A finished connection, or a closed one with nothing left to write, is dropped as it
/// is (by the caller, with its handles). If no thread can be started, the task and its
/// handle on the connection are dropped at once: the transport goes without a closing
/// handshake.
fn close_in_background<R: Runtime>(shared: &Arc<Shared<BoxedTransport>>) {
    let mut st = shared.lock();
    if st.conn.is_finished() || st.io_failure().is_some() {
        return;
    }
    let now = st.now();
    BrowserSocket::last_handle_dropped(&mut st.conn, now);
    st.orphaned = true;
    if st.kept {
        // The keeper finishes the closing handshake; write the Close now.
        drop(shared.flush(st, false));
        shared.changed.notify_all();
        return;
    }
    if st.conn.ready_state() == ReadyState::Closed && !st.conn.wants_write() {
        return;
    }
    drop(st);
    let shared = shared.clone();
    let task = move || {
        // This thread is the only one left: no read-timeout cap is needed.
        let mut reader = Reader::new();
        let _ = shared.drive(&mut reader, false, State::drop_unclaimed);
        // `shared`, the last holder of the transport, is dropped here.
    };
    // On failure the task (with its `shared`) was dropped: the transport goes with the
    // caller's handles, as before there was a closing thread.
    let _ = R::spawn(false, Box::new(task));
}

impl Facts {
    /// Asks `shared`'s transport (client side, the TLS server name is the host of the
    /// connection's URL: [`Facts::for_handles`]).
    fn of_shared<S: Transport>(shared: &Shared<S>) -> Facts {
        let Some(stream) = shared.stream() else {
            return Facts::default();
        };
        let stream = stream.lock().unwrap_or_else(PoisonError::into_inner);
        let facts = Facts {
            peer_addr: stream.peer_addr(),
            local_addr: stream.local_addr(),
            #[cfg(feature = "rustls")]
            tls: stream.tls_info().map(Box::new),
        };
        drop(stream);
        facts.for_handles(&shared.lock().conn)
    }
}
