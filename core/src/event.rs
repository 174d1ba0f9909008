//! What a connection reports to the application.

use alloc::string::String;
use bytes::Bytes;

use crate::error::Error;
use crate::handshake::{Request, Response};
use crate::message::Message;

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
