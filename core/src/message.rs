//! Messages as the application sees them, and reassembly of fragmented messages.

use bytes::{Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::frame::OpCode;
use crate::utf8::Utf8Validator;

/// UTF-8 text in a shared buffer. Constructed only from validated bytes.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(Bytes);

impl Text {
    /// Wrap bytes that are valid UTF-8, or give them back.
    pub fn from_bytes(bytes: Bytes) -> Result<Text, Bytes> {
        match crate::utf8::validate(&bytes) {
            Ok(_) => Ok(Text(bytes)),
            Err(_) => Err(bytes),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // The constructor validated the bytes; validating again costs a SIMD pass, which
        // is cheaper than an `unsafe` block's review burden here.
        crate::utf8::validate(&self.0).unwrap_or_default()
    }

    /// Bytes taken from a `Text` by [`into_bytes`](Self::into_bytes), wrapped again
    /// without validating (they were valid UTF-8 when taken).
    pub(crate) fn from_taken_bytes(bytes: Bytes) -> Text {
        Text(bytes)
    }

    /// The UTF-8 bytes, shared without copying.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Self {
        Text(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<alloc::string::String> for Text {
    fn from(s: alloc::string::String) -> Self {
        Text(Bytes::from(s.into_bytes()))
    }
}

impl core::fmt::Debug for Text {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl core::fmt::Display for Text {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A complete data message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (valid UTF-8).
    Text(Text),
    /// A binary message.
    Binary(Bytes),
}

impl Message {
    /// A text message copied from `s`.
    pub fn text(s: impl Into<Text>) -> Message {
        Message::Text(s.into())
    }

    /// A binary message.
    pub fn binary(b: impl Into<Bytes>) -> Message {
        Message::Binary(b.into())
    }

    /// The payload's length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Message::Text(t) => t.len(),
            Message::Binary(b) => b.len(),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Message::Text(t) => t.0.as_ref(),
            Message::Binary(b) => b.as_ref(),
        }
    }

    /// The kind of message.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Text(_) => MessageKind::Text,
            Message::Binary(_) => MessageKind::Binary,
        }
    }

    /// The payload, shared without copying.
    pub fn into_bytes(self) -> Bytes {
        match self {
            Message::Text(t) => t.0,
            Message::Binary(b) => b,
        }
    }
}

/// A text message: `Message::from("hi")` is `Message::text("hi")`.
impl From<&str> for Message {
    fn from(s: &str) -> Self {
        Message::text(s)
    }
}

/// A text message, without copying.
impl From<alloc::string::String> for Message {
    fn from(s: alloc::string::String) -> Self {
        Message::text(s)
    }
}

/// A text message.
impl From<Text> for Message {
    fn from(t: Text) -> Self {
        Message::Text(t)
    }
}

/// A binary message, without copying.
impl From<alloc::vec::Vec<u8>> for Message {
    fn from(b: alloc::vec::Vec<u8>) -> Self {
        Message::binary(b)
    }
}

/// A binary message copied from `b`.
impl From<&[u8]> for Message {
    fn from(b: &[u8]) -> Self {
        Message::binary(Bytes::copy_from_slice(b))
    }
}

/// A binary message, without copying.
impl From<Bytes> for Message {
    fn from(b: Bytes) -> Self {
        Message::Binary(b)
    }
}

/// Text or binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// Text (opcode 0x1).
    Text,
    /// Binary (opcode 0x2).
    Binary,
}

impl MessageKind {
    /// The opcode of a message's first frame.
    pub const fn opcode(self) -> OpCode {
        match self {
            MessageKind::Text => OpCode::Text,
            MessageKind::Binary => OpCode::Binary,
        }
    }
}

/// Reassembles a fragmented message, enforcing the size and fragment limits and
/// validating text incrementally (the validator is fed by the connection as payload
/// bytes are unmasked, so invalid text fails before the frame is complete).
#[derive(Debug)]
pub(crate) struct Reassembly {
    pub(crate) kind: MessageKind,
    pub(crate) data: BytesMut,
    pub(crate) size: usize,
    pub(crate) fragments: usize,
    pub(crate) utf8: Utf8Validator,
    /// permessage-deflate: the message's frames carry compressed data (RSV1 was set
    /// on its first frame); `data` holds the inflated bytes.
    pub(crate) compressed: bool,
}

impl Reassembly {
    pub(crate) fn new(kind: MessageKind) -> Self {
        Reassembly {
            kind,
            data: BytesMut::new(),
            size: 0,
            fragments: 0,
            utf8: Utf8Validator::new(),
            compressed: false,
        }
    }

    /// Account for a new frame of `len` payload bytes, before any of it is buffered.
    pub(crate) fn admit_frame(
        &mut self,
        len: u64,
        max_message: usize,
        max_fragments: usize,
    ) -> Result<(), ProtocolError> {
        self.fragments += 1;
        if self.fragments > max_fragments {
            return Err(ProtocolError::TooManyFragments);
        }
        if self.compressed {
            // The limit applies to the inflated size, checked while inflating.
            return Ok(());
        }
        let total = (self.size as u64).saturating_add(len);
        if total > max_message as u64 {
            return Err(ProtocolError::MessageTooLarge);
        }
        self.size = total as usize;
        Ok(())
    }

    /// Finish the message after its final frame, whose payload is `last`.
    pub(crate) fn finish(mut self, last: Bytes) -> Result<Message, ProtocolError> {
        let payload = if self.data.is_empty() {
            last
        } else {
            self.data.extend_from_slice(&last);
            self.data.freeze()
        };
        Ok(match self.kind {
            MessageKind::Binary => Message::Binary(payload),
            MessageKind::Text => {
                self.utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
                Message::Text(Text(payload))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_before_buffering() {
        let mut r = Reassembly::new(MessageKind::Binary);
        r.admit_frame(10, 15, 3).unwrap();
        assert_eq!(r.admit_frame(6, 15, 3), Err(ProtocolError::MessageTooLarge));
        let mut r = Reassembly::new(MessageKind::Binary);
        r.admit_frame(0, 15, 2).unwrap();
        r.admit_frame(0, 15, 2).unwrap();
        assert_eq!(
            r.admit_frame(0, 15, 2),
            Err(ProtocolError::TooManyFragments)
        );
        let mut r = Reassembly::new(MessageKind::Binary);
        assert_eq!(
            r.admit_frame(u64::MAX, 1 << 30, 2),
            Err(ProtocolError::MessageTooLarge)
        );
    }

    #[test]
    fn text_must_end_on_a_code_point() {
        let mut r = Reassembly::new(MessageKind::Text);
        r.utf8.feed(b"a\xe2\x82").unwrap();
        r.data.extend_from_slice(b"a\xe2\x82");
        assert_eq!(r.finish(Bytes::new()), Err(ProtocolError::InvalidUtf8));
    }

    #[test]
    fn text_accessors() {
        let t = Text::from_bytes(Bytes::from_static("héllo".as_bytes())).unwrap();
        assert_eq!(t.as_str(), "héllo");
        assert!(Text::from_bytes(Bytes::from_static(b"\xff")).is_err());
        let m = Message::text("hi");
        assert_eq!(
            (m.len(), m.kind(), m.as_bytes()),
            (2, MessageKind::Text, &b"hi"[..])
        );
    }
}
