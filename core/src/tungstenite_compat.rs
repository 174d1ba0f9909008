//! Conversions between [`Message`] and [`tungstenite::Message`] (feature `tungstenite`,
//! tungstenite 0.29), for code moving over from tungstenite or tokio-tungstenite.
//!
//! | From | To | How |
//! |---|---|---|
//! | [`Message`] | `tungstenite::Message` | `From`: text → `Text`, binary → `Binary` |
//! | `tungstenite::Message` | [`Message`] | `TryFrom`: `Text` and `Binary`; the others fail with [`NotDataMessage`] |
//! | [`Text`] | `tungstenite::Utf8Bytes` | `From` |
//! | `tungstenite::Utf8Bytes` | [`Text`] | `From` |
//!
//! Both crates keep payloads in [`Bytes`], so no conversion copies the payload: the
//! converted message shares the original's buffer. Towards websock no check runs either
//! (tungstenite's text is valid UTF-8 by construction). Towards tungstenite, text goes
//! through tungstenite's checked constructor, one UTF-8 pass over the payload without a
//! copy, since this crate uses no `unsafe` code there (its only `unsafe` is the
//! CPU-feature dispatch in [`mask`](crate::mask)).
//!
//! `Ping`, `Pong`, `Close` and `Frame` have no [`Message`] counterpart: websock answers
//! pings itself, and closing is a command ([`Connection::close`](crate::Connection::close))
//! and an event ([`Event::Close`](crate::Event::Close)), not a message. Converting one
//! fails with [`NotDataMessage`], which gives the message back.
//!
//! The types are tungstenite 0.29's: a `tungstenite::Message` of another version (from a
//! tokio-tungstenite that depends on another tungstenite) is a different type, and these
//! impls do not apply to it.
//!
//! ```
//! use websock_core::Message;
//!
//! // From a tungstenite handler's message to websock's, in one line.
//! let incoming = tungstenite::Message::text("héllo");
//! let message = Message::try_from(incoming).unwrap();
//! assert_eq!(message, Message::text("héllo"));
//!
//! // And back.
//! let outgoing: tungstenite::Message = Message::binary(vec![1, 2, 3]).into();
//! assert_eq!(outgoing, tungstenite::Message::binary(vec![1, 2, 3]));
//!
//! // Control messages have no counterpart, and come back in the error.
//! let err = Message::try_from(tungstenite::Message::Ping(Default::default())).unwrap_err();
//! assert!(err.into_message().is_ping());
//! ```

use bytes::Bytes;
use tungstenite::Utf8Bytes;

use crate::{Message, Text};

impl From<Text> for Utf8Bytes {
    /// Shares the text's buffer (no copy); tungstenite's checked constructor makes one
    /// UTF-8 pass over it.
    fn from(text: Text) -> Utf8Bytes {
        // Cannot fail: a `Text` holds validated UTF-8 (the empty default is unreachable,
        // as in `Text::as_str`).
        Utf8Bytes::try_from(text.into_bytes()).unwrap_or_default()
    }
}

impl From<Utf8Bytes> for Text {
    /// Shares the buffer, without copying or validating again.
    fn from(text: Utf8Bytes) -> Text {
        Text::from_taken_bytes(Bytes::from(text))
    }
}

impl From<Message> for tungstenite::Message {
    /// [`Message::Text`] becomes `Text` and [`Message::Binary`] becomes `Binary`, sharing
    /// the payload's buffer (no copy).
    fn from(message: Message) -> tungstenite::Message {
        match message {
            Message::Text(text) => tungstenite::Message::Text(text.into()),
            Message::Binary(bytes) => tungstenite::Message::Binary(bytes),
        }
    }
}

impl TryFrom<tungstenite::Message> for Message {
    type Error = NotDataMessage;

    /// `Text` becomes [`Message::Text`] and `Binary` becomes [`Message::Binary`], sharing
    /// the payload's buffer (no copy, no second UTF-8 check). `Ping`, `Pong`, `Close` and
    /// `Frame` fail with [`NotDataMessage`], which holds the message.
    fn try_from(message: tungstenite::Message) -> Result<Message, NotDataMessage> {
        match message {
            tungstenite::Message::Text(text) => Ok(Message::Text(text.into())),
            tungstenite::Message::Binary(bytes) => Ok(Message::Binary(bytes)),
            other => Err(NotDataMessage(other)),
        }
    }
}

/// A `tungstenite::Message` with no [`Message`] counterpart (`Ping`, `Pong`, `Close` or
/// `Frame`): the error of `Message::try_from(tungstenite::Message)`.
///
/// It holds the message: [`into_message`](Self::into_message) gives it back, to handle
/// another way (websock answers pings itself; close with
/// [`Connection::close`](crate::Connection::close) or the runtime handle's `close`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotDataMessage(tungstenite::Message);

impl NotDataMessage {
    /// The message that was not converted.
    pub fn message(&self) -> &tungstenite::Message {
        &self.0
    }

    /// Gives the message that was not converted back.
    pub fn into_message(self) -> tungstenite::Message {
        self.0
    }
}

impl core::fmt::Display for NotDataMessage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let kind = match &self.0 {
            tungstenite::Message::Text(_) => "text",
            tungstenite::Message::Binary(_) => "binary",
            tungstenite::Message::Ping(_) => "ping",
            tungstenite::Message::Pong(_) => "pong",
            tungstenite::Message::Close(_) => "close",
            tungstenite::Message::Frame(_) => "raw frame",
        };
        write!(
            f,
            "a tungstenite {kind} message has no websock Message counterpart (only text and binary do)"
        )
    }
}

impl std::error::Error for NotDataMessage {}
