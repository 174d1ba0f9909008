//! The idiomatic session: what every Rust-shaped API (async `recv`/`send`, `Stream` and
//! `Sink`, a blocking iterator) needs on top of a [`Connection`], decided once.
//!
//! * [`Incoming`]: what `recv` yields (a message, or a ping or pong for information);
//! * [`Session::poll_received`]: the event → incoming mapping, with one rule for
//!   failures (reported once, then the end) and the close event kept;
//! * [`Agreed`]: what the opening handshake agreed (subprotocol, extensions, the
//!   request and response heads), fixed once the connection is open;
//! * [`Session::open`]: the handshake's outcome for a waiting caller (open, or why not);
//! * [`Session::poll_stream_start`] / [`Session::poll_stream_chunk`]: a message taken
//!   streamed (start, chunks, end), mixed with whole ones on one connection;
//! * [`OutgoingMessage`]: a message sent in fragments as the application writes it;
//! * [`Session::park`] / [`Session::unpark`]: the message a `Sink` accepted while the
//!   send queue was full; `send_from`: a send that waits for room and retries;
//! * [`Error`] (with `std`): the one error vocabulary of the runtime adapters, and the
//!   rule for when a transport's own error replaces the engine's.

#[cfg(feature = "std")]
mod error;
mod outgoing;
mod streamed;

use alloc::collections::VecDeque;
use alloc::string::String;
use bytes::Bytes;

use crate::connection::{Connection, TrySendError};
use crate::event::{CloseEvent, Event, Open, StreamEvent};
use crate::handshake::{Request, Response};
use crate::message::Message;
use crate::SendError;

#[cfg(feature = "std")]
pub use error::{Error, Result};
#[cfg(feature = "std")]
pub(crate) use outgoing::message_writer_builders;
pub use outgoing::{OutgoingMessage, DEFAULT_FRAGMENT_SIZE};
pub use streamed::{StreamChunk, StreamStart};

/// Queues the message in `slot` (compressed if `compress` and deflate is agreed), for a
/// handle that may retry: a refused message is handed back into `slot` (no copy) and
/// kept for the retry. An empty slot (its message was queued) is refused with
/// [`SendError::Closed`].
pub(crate) fn send_from(
    conn: &mut Connection,
    slot: &mut Option<Message>,
    compress: bool,
) -> core::result::Result<(), SendError> {
    let message = slot.take().ok_or(SendError::Closed)?;
    conn.try_send(message, compress)
        .map_err(|TrySendError { error, message }| {
            *slot = Some(message);
            error
        })
}

/// Something received: a data message, or a control frame reported for information
/// (pings are answered by the engine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A complete text or binary message.
    Message(Message),
    /// A ping arrived (the pong is already queued).
    Ping(Bytes),
    /// A pong arrived (an answer to a ping we sent, or to a keepalive ping).
    Pong(Bytes),
}

/// What the opening handshake agreed, fixed once the connection is open.
#[derive(Debug, Clone, Default)]
pub struct Agreed {
    /// The subprotocol the server selected, if any.
    pub protocol: Option<String>,
    /// The negotiated extensions, as the server's `Sec-WebSocket-Extensions` text
    /// (empty when none).
    pub extensions: String,
    /// Server role: the client's upgrade request.
    pub request: Option<Request>,
    /// Client role: the server's `101` response.
    pub response: Option<Response>,
}

impl Agreed {
    /// What an [`Open`] event reports, with the request the server accepted (if any).
    pub fn new(open: Open, request: Option<Request>) -> Agreed {
        Agreed {
            protocol: open.protocol,
            extensions: open.extensions,
            request,
            response: open.response,
        }
    }
}

/// What [`Session::poll_received`] found.
#[derive(Debug)]
pub enum Received {
    /// The next message, ping or pong.
    Incoming(Incoming),
    /// The connection failed (reported once; [`Received::End`] follows).
    Failed(crate::Error),
    /// The connection is closed: nothing more will arrive (see [`Session::close_event`]).
    End,
}

/// The handshake's outcome, from [`Session::open`].
#[derive(Debug)]
pub enum Opening {
    /// Server role: a valid request waits for the application's decision
    /// ([`Connection::decide`]).
    Request(Request),
    /// The connection is open.
    Open(Agreed),
    /// The handshake failed.
    Failed(crate::Error),
    /// The connection closed before opening (closed or aborted by the application).
    Closed,
}

/// Session state kept beside a [`Connection`] by an idiomatic API.
///
/// One rule for what a receiver sees, in every runtime: the messages, pings and pongs
/// in order; then, if the connection failed, the failure once; then the end, for ever.
/// The close event is kept for [`close_event`](Self::close_event) (it is also what a
/// `close()` that waits returns).
#[derive(Debug, Default)]
pub struct Session {
    /// The close event, once taken (boxed: a word until the connection closes).
    close: Option<alloc::boxed::Box<CloseEvent>>,
    ended: bool,
    /// Server role: the request reported by [`Session::open`], for [`Agreed::request`]
    /// (boxed: kept only during the handshake, a word in every session after it).
    request: Option<alloc::boxed::Box<Request>>,
    /// Parked and kept messages, while there are any (a word while there are none).
    queued: Option<alloc::boxed::Box<Queued>>,
    /// The streamed message in progress, if any.
    in_message: streamed::InMessage,
}

/// Messages a [`Session`] holds for later, allocated only while it holds some.
#[derive(Debug, Default)]
struct Queued {
    /// Messages `Sink`s accepted while the send queue was full, oldest first (one per
    /// `Sink` at most: each waits in `poll_ready` until nothing is parked).
    parked: VecDeque<(Message, bool)>,
    /// Messages taken by [`Session::advance_to_close`] for the receiver, and their bytes.
    kept: VecDeque<Message>,
    kept_bytes: usize,
}

/// How much [`Session::advance_to_close`] keeps for the receiver: messages beyond
/// either bound are dropped (a peer flooding a closing connection costs no memory).
pub const KEPT_WHILE_CLOSING_BYTES: usize = 1 << 20;
/// See [`KEPT_WHILE_CLOSING_BYTES`].
pub const KEPT_WHILE_CLOSING_MESSAGES: usize = 1024;

impl Session {
    /// A session for a connection whose handshake is done or under way.
    pub fn new() -> Session {
        Session::default()
    }

    /// Takes engine events until the handshake's outcome. `None`: nothing yet (feed the
    /// engine more input or time, then call again).
    pub fn open(&mut self, conn: &mut Connection) -> Option<Opening> {
        loop {
            match conn.poll_event()? {
                Event::Request(request) => {
                    self.request = Some(alloc::boxed::Box::new(request.clone()));
                    return Some(Opening::Request(request));
                }
                Event::Open(open) => {
                    return Some(Opening::Open(Agreed::new(
                        open,
                        self.request.take().map(|r| *r),
                    )))
                }
                Event::Error(e) => return Some(Opening::Failed(e)),
                Event::Close(c) => {
                    self.close = Some(alloc::boxed::Box::new(c));
                    self.ended = true;
                    return Some(Opening::Closed);
                }
                Event::Message(_) | Event::Ping(_) | Event::Pong(_) => {}
            }
        }
    }

    /// The next thing for the receiver. `None`: nothing yet (feed the engine more input
    /// or time, then call again).
    pub fn poll_received(&mut self, conn: &mut Connection) -> Option<Received> {
        if let Some(m) = self.take_kept() {
            return Some(streamed::received(m));
        }
        if self.ended {
            return Some(Received::End);
        }
        conn.set_stream_messages(false);
        loop {
            let incoming = match conn.poll_stream_event()? {
                StreamEvent::Event(Event::Message(m)) => Incoming::Message(m),
                StreamEvent::Event(Event::Ping(p)) => Incoming::Ping(p),
                StreamEvent::Event(Event::Pong(p)) => Incoming::Pong(p),
                StreamEvent::Event(Event::Error(e)) => return Some(Received::Failed(e)),
                StreamEvent::Event(Event::Close(c)) => {
                    self.closed(c);
                    return Some(Received::End);
                }
                StreamEvent::Event(Event::Open(_) | Event::Request(_)) => continue,
                piece => match self.piece(conn, piece) {
                    Some(m) => Incoming::Message(m),
                    None => continue,
                },
            };
            return Some(Received::Incoming(incoming));
        }
    }

    /// The close event was taken: nothing more will arrive.
    fn closed(&mut self, c: CloseEvent) {
        self.close = Some(alloc::boxed::Box::new(c));
        self.ended = true;
        self.in_message.truncate();
    }

    /// Takes events until the close event, for a caller that closed the connection and
    /// waits for the end. Returns the close event once the connection is closed.
    ///
    /// Messages taken on the way are kept for [`poll_received`](Self::poll_received)
    /// (RFC 6455 lets the peer finish what it was sending), up to
    /// [`KEPT_WHILE_CLOSING_MESSAGES`] / [`KEPT_WHILE_CLOSING_BYTES`]; beyond that, and
    /// pings, pongs and a failure (the close event says it was not clean), are dropped,
    /// so a waiting close never stalls and never grows memory without bound.
    pub fn advance_to_close(&mut self, conn: &mut Connection) -> Option<CloseEvent> {
        while !self.ended {
            match conn.poll_stream_event()? {
                StreamEvent::Event(Event::Close(c)) => self.closed(c),
                StreamEvent::Event(Event::Message(m)) if self.may_keep(m.len()) => {
                    let queued = self.queued.get_or_insert_with(Default::default);
                    queued.kept_bytes += m.len();
                    queued.kept.push_back(m);
                }
                // Pieces of a streamed message are dropped (its reader will find it
                // cut short), as is a message assembled from them.
                StreamEvent::MessageStart(_)
                | StreamEvent::MessageChunk(_)
                | StreamEvent::MessageEnd => self.in_message.truncate(),
                StreamEvent::Event(_) => continue,
            }
        }
        self.close.as_deref().cloned()
    }

    /// Whether a message of `len` bytes taken while closing is kept for the receiver.
    fn may_keep(&self, len: usize) -> bool {
        let (count, bytes) = self
            .queued
            .as_ref()
            .map_or((0, 0), |q| (q.kept.len(), q.kept_bytes));
        count < KEPT_WHILE_CLOSING_MESSAGES && bytes + len <= KEPT_WHILE_CLOSING_BYTES
    }

    /// Frees the queues once they are empty.
    fn release_queued(&mut self) {
        if self
            .queued
            .as_ref()
            .is_some_and(|q| q.parked.is_empty() && q.kept.is_empty())
        {
            self.queued = None;
        }
    }

    /// Whether the close event was taken (the receiver may still have kept messages to
    /// take: see [`advance_to_close`](Self::advance_to_close)).
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// The close code, reason and cleanliness, once the close event was taken.
    pub fn close_event(&self) -> Option<&CloseEvent> {
        self.close.as_deref()
    }

    /// Parks a message a `Sink` accepted while the send queue was full, behind any
    /// already parked. A `Sink` accepts one item per `poll_ready`, which waits until
    /// nothing is parked, so at most one message per `Sink` (per clone of a sender
    /// half, for `Sink`s that share a connection) is parked at a time.
    pub fn park(&mut self, message: Message, compress: bool) {
        self.queued
            .get_or_insert_with(Default::default)
            .parked
            .push_back((message, compress));
    }

    /// Whether a message is parked.
    pub fn has_parked(&self) -> bool {
        self.queued.as_ref().is_some_and(|q| !q.parked.is_empty())
    }

    /// Queues the parked messages, oldest first, while the send queue takes them.
    /// `Ok(true)` once nothing is parked; `Ok(false)` while the queue is still full (the
    /// rest stays parked, in order); a refusal other than [`SendError::Full`] drops the
    /// message refused and is returned.
    pub fn unpark(&mut self, conn: &mut Connection) -> core::result::Result<bool, SendError> {
        let Some(queued) = self.queued.as_mut() else {
            return Ok(true);
        };
        while let Some((message, compress)) = queued.parked.pop_front() {
            match conn.try_send(message, compress) {
                Ok(()) => {}
                Err(TrySendError {
                    error: SendError::Full,
                    message,
                }) => {
                    queued.parked.push_front((message, compress));
                    return Ok(false);
                }
                Err(e) => {
                    self.release_queued();
                    return Err(e.error);
                }
            }
        }
        self.release_queued();
        Ok(true)
    }
}
