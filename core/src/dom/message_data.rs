//! `MessageEvent.data`: a message as a browser hands it to `onmessage`, and as
//! `send(data)` takes it.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use bytes::Bytes;

use crate::dom::BinaryType;
use crate::message::Message;

/// A message's data, as a browser hands it to `onmessage` (shaped by `binaryType` at
/// delivery, see [`MessageData::from_message`]), and as a runtime's `WebSocket::send`
/// takes it (strings become text messages, bytes binary ones).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageData {
    /// A text message (a `DOMString`).
    Text(String),
    /// A binary message while `binaryType` is `"blob"` (the default).
    Blob(Bytes),
    /// A binary message while `binaryType` is `"arraybuffer"`.
    ArrayBuffer(Bytes),
}

impl MessageData {
    /// A received message, shaped as the browser delivers it: text as a string, binary
    /// data as a `Blob` or an `ArrayBuffer` according to `binary_type`.
    pub fn from_message(message: Message, binary_type: BinaryType) -> MessageData {
        match message {
            Message::Text(t) => MessageData::Text(t.as_str().to_owned()),
            Message::Binary(b) => match binary_type {
                BinaryType::Blob => MessageData::Blob(b),
                BinaryType::ArrayBuffer => MessageData::ArrayBuffer(b),
            },
        }
    }

    /// The payload bytes (UTF-8 for text).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            MessageData::Text(t) => t.as_bytes(),
            MessageData::Blob(b) | MessageData::ArrayBuffer(b) => b,
        }
    }

    /// The payload length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for MessageData {
    /// The text, or `<N bytes>` for binary data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MessageData::Text(t) => f.write_str(t),
            MessageData::Blob(b) | MessageData::ArrayBuffer(b) => write!(f, "<{} bytes>", b.len()),
        }
    }
}

impl From<&str> for MessageData {
    fn from(s: &str) -> Self {
        MessageData::Text(s.to_owned())
    }
}

impl From<String> for MessageData {
    fn from(s: String) -> Self {
        MessageData::Text(s)
    }
}

impl From<&[u8]> for MessageData {
    fn from(b: &[u8]) -> Self {
        MessageData::ArrayBuffer(Bytes::copy_from_slice(b))
    }
}

impl<const N: usize> From<&[u8; N]> for MessageData {
    fn from(b: &[u8; N]) -> Self {
        MessageData::ArrayBuffer(Bytes::copy_from_slice(b))
    }
}

impl From<Vec<u8>> for MessageData {
    fn from(b: Vec<u8>) -> Self {
        MessageData::ArrayBuffer(Bytes::from(b))
    }
}

impl From<Bytes> for MessageData {
    fn from(b: Bytes) -> Self {
        MessageData::ArrayBuffer(b)
    }
}

impl From<MessageData> for Message {
    /// What `send(data)` puts on the wire: text for a string, binary for a `Blob` or
    /// an `ArrayBuffer`.
    fn from(data: MessageData) -> Message {
        match data {
            MessageData::Text(t) => Message::text(t),
            MessageData::Blob(b) | MessageData::ArrayBuffer(b) => Message::Binary(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn from_message_follows_binary_type() {
        let text = Message::text("hi");
        assert_eq!(
            MessageData::from_message(text.clone(), BinaryType::Blob),
            MessageData::Text("hi".into())
        );
        assert_eq!(
            MessageData::from_message(text, BinaryType::ArrayBuffer),
            MessageData::Text("hi".into())
        );
        let bin = Message::Binary(Bytes::from_static(b"\x01\x02"));
        assert_eq!(
            MessageData::from_message(bin.clone(), BinaryType::Blob),
            MessageData::Blob(Bytes::from_static(b"\x01\x02"))
        );
        assert_eq!(
            MessageData::from_message(bin, BinaryType::ArrayBuffer),
            MessageData::ArrayBuffer(Bytes::from_static(b"\x01\x02"))
        );
    }

    #[test]
    fn from_conversions() {
        assert_eq!(MessageData::from("a"), MessageData::Text("a".into()));
        assert_eq!(
            MessageData::from(String::from("b")),
            MessageData::Text("b".into())
        );
        let ab = MessageData::ArrayBuffer(Bytes::from_static(b"xyz"));
        assert_eq!(MessageData::from(&b"xyz"[..]), ab);
        assert_eq!(MessageData::from(b"xyz"), ab);
        assert_eq!(MessageData::from(vec![b'x', b'y', b'z']), ab);
        assert_eq!(MessageData::from(Bytes::from_static(b"xyz")), ab);
    }

    #[test]
    fn into_message_for_sending() {
        assert_eq!(Message::from(MessageData::from("t")), Message::text("t"));
        for data in [
            MessageData::Blob(Bytes::from_static(b"b")),
            MessageData::ArrayBuffer(Bytes::from_static(b"b")),
        ] {
            assert_eq!(
                Message::from(data),
                Message::Binary(Bytes::from_static(b"b"))
            );
        }
    }

    #[test]
    fn display_bytes_and_len() {
        assert_eq!(MessageData::from("héllo").to_string(), "héllo");
        assert_eq!(MessageData::from(&[0u8; 3]).to_string(), "<3 bytes>");
        assert_eq!(MessageData::Blob(Bytes::new()).to_string(), "<0 bytes>");
        assert_eq!(MessageData::from("héllo").as_bytes(), "héllo".as_bytes());
        assert_eq!(MessageData::from("héllo").len(), 6);
        assert!(MessageData::from("").is_empty());
    }
}
