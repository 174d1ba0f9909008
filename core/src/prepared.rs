//! A data message encoded once, so that sending it to many connections shares one frame.

use bytes::{BufMut, Bytes, BytesMut};

use crate::frame::{FrameHeader, MAX_HEADER_LEN};
use crate::message::{Message, MessageKind, Text};

/// A data message encoded once as a server's frame (one final frame, unmasked,
/// uncompressed), for sending the same message to many connections: a chat room, a
/// broadcast, a fan-out of updates.
///
/// Every connection that sends it as it was encoded takes a handle to the same bytes
/// (a reference count, no copy, no encoding): that is a server's connection without
/// permessage-deflate, or with it agreed where the message is not compressed (shorter
/// than `DeflateConfig::min_message_size`). Elsewhere the
/// connection encodes the payload as [`send`](crate::Connection::send) would (a
/// client's frames are masked with a key of their own; a compressed message is
/// compressed with that connection's context): the result on the wire is always what
/// `send` of the same message writes.
///
/// Making one copies the payload once, next to its header. Cloning one is two
/// reference-count increments.
///
/// ```
/// use websock_core::{Message, PreparedMessage};
///
/// let prepared = PreparedMessage::new(Message::text("hello, room"));
/// assert_eq!(prepared.len(), 11);
/// assert_eq!(prepared.frame()[0], 0x81); // FIN, text
/// assert_eq!(prepared.to_message(), Message::text("hello, room"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedMessage {
    /// The encoded frame: header, then payload.
    frame: Bytes,
    /// The header's length: the payload starts here.
    header_len: u8,
    /// Text or binary.
    kind: MessageKind,
}

impl PreparedMessage {
    /// Encodes `message` as one final, unmasked, uncompressed frame (one copy of its
    /// payload).
    pub fn new(message: impl Into<Message>) -> PreparedMessage {
        let message = message.into();
        let kind = message.kind();
        let payload = message.as_bytes();
        let header = FrameHeader {
            fin: true,
            rsv: 0,
            opcode: kind.opcode(),
            mask: None,
            payload_len: payload.len() as u64,
        };
        let mut head = [0u8; MAX_HEADER_LEN];
        let n = header.encode(&mut head);
        let mut frame = BytesMut::with_capacity(n + payload.len());
        frame.put_slice(&head[..n]);
        frame.put_slice(payload);
        PreparedMessage {
            frame: frame.freeze(),
            header_len: n as u8,
            kind,
        }
    }

    /// Text or binary.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// The payload's length in bytes.
    pub fn len(&self) -> usize {
        self.frame.len() - usize::from(self.header_len)
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The payload bytes.
    pub fn payload(&self) -> &[u8] {
        &self.frame[usize::from(self.header_len)..]
    }

    /// The whole frame as a server writes it: header, then payload.
    pub fn frame(&self) -> &[u8] {
        &self.frame
    }

    /// The message, sharing the payload's bytes (no copy).
    pub fn to_message(&self) -> Message {
        let payload = self.payload_bytes();
        match self.kind {
            MessageKind::Text => Message::Text(Text::from_taken_bytes(payload)),
            MessageKind::Binary => Message::Binary(payload),
        }
    }

    /// A shared handle to the encoded frame.
    pub(crate) fn frame_bytes(&self) -> Bytes {
        self.frame.clone()
    }

    /// A shared handle to the payload.
    pub(crate) fn payload_bytes(&self) -> Bytes {
        self.frame.slice(usize::from(self.header_len)..)
    }
}

impl From<Message> for PreparedMessage {
    fn from(message: Message) -> Self {
        PreparedMessage::new(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{FrameHeader, OpCode, Status};

    #[test]
    fn the_frame_is_a_final_unmasked_frame_of_the_payload() {
        for len in [0usize, 125, 126, 65_535, 65_536] {
            let payload = Bytes::from(alloc::vec![7u8; len]);
            let prepared = PreparedMessage::new(Message::Binary(payload.clone()));
            let Status::Complete((header, n)) = FrameHeader::parse(prepared.frame()).unwrap()
            else {
                panic!("incomplete header for {len}");
            };
            assert!(header.fin);
            assert_eq!(header.rsv, 0);
            assert_eq!(header.opcode, OpCode::Binary);
            assert_eq!(header.mask, None);
            assert_eq!(header.payload_len, len as u64);
            assert_eq!(&prepared.frame()[n..], &payload[..]);
            assert_eq!(prepared.len(), len);
            assert_eq!(prepared.to_message(), Message::Binary(payload));
        }
    }

    #[test]
    fn text_stays_text() {
        let prepared = PreparedMessage::from(Message::text("héllo"));
        assert_eq!(prepared.kind(), MessageKind::Text);
        assert_eq!(prepared.frame()[0], 0x81);
        assert_eq!(prepared.payload(), "héllo".as_bytes());
        assert_eq!(prepared.to_message(), Message::text("héllo"));
    }
}
