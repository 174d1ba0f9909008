//! What a connection reports to the application.

use alloc::string::String;
use bytes::Bytes;

use crate::error::Error;
use crate::handshake::{Request, Response};
use crate::message::{Message, MessageKind};

/// An event from [`crate::Connection::poll_event`].
///
/// Every connection reports exactly one [`Event::Close`], last. A failed connection
/// reports [`Event::Error`] just before it.
#[derive(Debug)]
pub enum Event {
    /// Server role: an upgrade request arrived and passed RFC 6455's checks. Inspect it
    /// and answer with [`crate::Connection::accept`] or [`crate::Connection::reject`].
    Request(Request),
    /// The connection is open (readyState OPEN).
    Open(Open),
    /// A data message arrived (only while OPEN, as in the browser).
    Message(Message),
    /// A ping arrived (a pong is sent automatically unless disabled).
    Ping(Bytes),
    /// A pong arrived.
    Pong(Bytes),
    /// The connection failed; [`Event::Close`] follows.
    Error(Error),
    /// The connection is closed (readyState CLOSED).
    Close(CloseEvent),
}

/// An output of [`crate::Connection::poll_stream_event`]: an [`Event`], or a piece of a
/// streamed message (see [`crate::Streaming`]).
///
/// A streamed message is exactly one `MessageStart`, then zero or more
/// `MessageChunk`s, then one `MessageEnd`, in the order of the wire, with control
/// frames' events ([`Event::Ping`], [`Event::Pong`]) possibly in between. If the
/// connection fails or closes in the middle of a streamed message, the message gets no
/// `MessageEnd`: the `Event::Error` / `Event::Close` that follow say it was cut short,
/// and its chunks so far must be discarded (the rest was never checked: a text message
/// might not have ended on a code point, or the message might have gone past a limit).
#[derive(Debug)]
pub enum StreamEvent {
    /// An event, in order with the pieces of streamed messages. Whole messages
    /// ([`Event::Message`]) come this way too when streaming is off for them.
    Event(Event),
    /// A streamed data message starts: its kind, from its first frame's opcode.
    MessageStart(MessageKind),
    /// The next payload bytes of the streamed message (never empty). For text, every
    /// chunk is valid UTF-8 on its own: a chunk never ends inside a code point (the
    /// 1-3 bytes of an unfinished one wait for the next chunk), and invalid UTF-8 fails
    /// the connection with 1007 as soon as it arrives. With permessage-deflate, the
    /// inflated bytes, one bounded inflate step per chunk (at most 32 KiB, plus up to 3
    /// bytes of a code point carried over from the step before).
    MessageChunk(Bytes),
    /// The streamed message ended (its final frame arrived and, for text, it ended on a
    /// code point): its chunks are the complete, valid message.
    MessageEnd,
}

/// What the opening handshake agreed.
#[derive(Debug, Clone, Default)]
pub struct Open {
    /// The subprotocol the server selected, if any.
    pub protocol: Option<String>,
    /// The negotiated extensions, as the `Sec-WebSocket-Extensions` header text (empty
    /// when none).
    pub extensions: String,
    /// Client role: the server's 101 response.
    pub response: Option<Response>,
}

/// The browser's `CloseEvent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseEvent {
    /// The peer's close code; 1005 if its Close frame had none, 1006 if the connection
    /// ended without a completed closing handshake.
    pub code: u16,
    /// The peer's close reason.
    pub reason: String,
    /// True only if the closing handshake completed.
    pub was_clean: bool,
}
