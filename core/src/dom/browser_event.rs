//! The browser's four `WebSocket` events, and how the engine's events map onto them.

use crate::dom::{BinaryType, MessageData};
use crate::event::{CloseEvent, Event};

/// One of the browser's four events, in the browser's order: `Open`, then `Message`s,
/// then (if the connection failed) `Error`, and always `Close` last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrowserEvent {
    /// `open`: readyState is OPEN; `protocol` and `extensions` are set.
    Open,
    /// `message`.
    Message(MessageData),
    /// `error`: the connection failed (DNS, refused, TLS, bad handshake, protocol
    /// violation, send buffer overflow, lost). A `Close` with code 1006 follows.
    Error,
    /// `close`: readyState is CLOSED.
    Close(CloseEvent),
}

impl BrowserEvent {
    /// The browser's event for an engine event, with binary messages shaped by
    /// `binary_type`; `None` for what a browser does not report (a server's upgrade
    /// request, pings and pongs).
    pub fn from_event(event: Event, binary_type: BinaryType) -> Option<BrowserEvent> {
        Some(match event {
            Event::Open(_) => BrowserEvent::Open,
            Event::Message(m) => BrowserEvent::Message(MessageData::from_message(m, binary_type)),
            Event::Error(_) => BrowserEvent::Error,
            Event::Close(c) => BrowserEvent::Close(c),
            Event::Request(_) | Event::Ping(_) | Event::Pong(_) => return None,
        })
    }

    /// The payload bytes the event holds (a message's length, 0 for the others): what
    /// a runtime counts against its event queue's limit.
    pub fn payload_len(&self) -> usize {
        match self {
            BrowserEvent::Message(m) => m.len(),
            _ => 0,
        }
    }

    /// Whether this is the last event (`Close`).
    pub fn is_close(&self) -> bool {
        matches!(self, BrowserEvent::Close(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use bytes::Bytes;

    #[test]
    fn engine_events_map_to_browser_events() {
        let bin = || Event::Message(Message::Binary(Bytes::from_static(b"ab")));
        assert_eq!(
            BrowserEvent::from_event(bin(), BinaryType::Blob),
            Some(BrowserEvent::Message(MessageData::Blob(
                Bytes::from_static(b"ab")
            )))
        );
        assert_eq!(
            BrowserEvent::from_event(bin(), BinaryType::ArrayBuffer),
            Some(BrowserEvent::Message(MessageData::ArrayBuffer(
                Bytes::from_static(b"ab")
            )))
        );
        assert_eq!(
            BrowserEvent::from_event(Event::Message(Message::text("t")), BinaryType::Blob),
            Some(BrowserEvent::Message(MessageData::Text("t".into())))
        );
        assert_eq!(
            BrowserEvent::from_event(Event::Open(Default::default()), BinaryType::Blob),
            Some(BrowserEvent::Open)
        );
        assert_eq!(
            BrowserEvent::from_event(Event::Ping(Bytes::new()), BinaryType::Blob),
            None
        );
        assert_eq!(
            BrowserEvent::from_event(Event::Pong(Bytes::new()), BinaryType::Blob),
            None
        );
    }

    #[test]
    fn payload_len_and_is_close() {
        assert_eq!(
            BrowserEvent::Message(MessageData::from("abc")).payload_len(),
            3
        );
        assert_eq!(BrowserEvent::Open.payload_len(), 0);
        assert!(!BrowserEvent::Error.is_close());
    }
}
