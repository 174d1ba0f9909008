//! Streamed receiving for the idiomatic APIs: a message taken as a start, chunks and an
//! end ([`Session::poll_stream_start`], [`Session::poll_stream_chunk`]), mixed on one
//! connection with whole messages ([`Session::poll_received`]).
//!
//! The engine's mode ([`Connection::set_stream_messages`]) is set by each call: a
//! whole-message receive turns streaming off, a streamed receive turns it on. A call
//! applies to the messages the engine has not started yet, so either call may meet a
//! message started in the other mode; each handles it:
//!
//! * a streamed receive that finds a whole message reports it whole
//!   ([`StreamStart::Whole`]: the reader then yields its bytes as one chunk);
//! * a whole receive that finds a streamed message assembles it, bounded by
//!   [`Limits::max_message_size`](crate::Limits::max_message_size) (beyond it the
//!   connection fails with 1009, as for a whole message);
//! * a receive that finds the rest of a message whose reader was dropped before its end
//!   discards that rest.

use bytes::{Bytes, BytesMut};

use super::{Received, Session};
use crate::connection::Connection;
use crate::event::{Event, StreamEvent};
use crate::message::{Message, MessageKind, Text};

/// What [`Session::poll_stream_start`] found.
#[derive(Debug)]
pub enum StreamStart {
    /// A message arrives streamed: take its pieces with
    /// [`Session::poll_stream_chunk`] until [`StreamChunk::End`].
    Streamed(MessageKind),
    /// The next message was complete before streaming was asked for (or was kept while
    /// closing): here it is whole.
    Whole(Message),
    /// The connection failed (reported once; [`StreamStart::Closed`] follows).
    Failed(crate::Error),
    /// The connection is closed: nothing more will arrive.
    Closed,
}

/// What [`Session::poll_stream_chunk`] found.
#[derive(Debug)]
pub enum StreamChunk {
    /// The next bytes of the message (never empty; text chunks end on a code point).
    Data(Bytes),
    /// The message ended: its chunks were all of it.
    End,
    /// The connection failed before the message ended (reported once: the receiver's
    /// next call finds the end).
    Failed(crate::Error),
    /// The connection closed before the message ended (the peer's Close arrived
    /// between its fragments).
    Closed,
}

/// The streamed message in progress, and who takes its pieces.
#[derive(Debug, Default)]
pub(super) enum InMessage {
    /// None (or it has ended).
    #[default]
    None,
    /// A reader took its start: its chunks are the reader's (discarded if another
    /// receive comes first: the reader was dropped).
    Reader,
    /// A whole-message receive is assembling it (boxed: every session carries this
    /// enum, and few ever assemble).
    Assembling(alloc::boxed::Box<(MessageKind, BytesMut)>),
    /// A reader took its start, and pieces were then dropped (the connection closed or
    /// is closing): the reader finds it cut short.
    Truncated,
}

impl InMessage {
    /// Pieces of the message are being dropped.
    pub(super) fn truncate(&mut self) {
        *self = match self {
            InMessage::Reader | InMessage::Truncated => InMessage::Truncated,
            _ => InMessage::None,
        };
    }
}

impl Session {
    /// The next message for a streamed receive: its start, or the message whole when it
    /// was complete before streaming was asked for. Pings and pongs are skipped (the
    /// engine answers pings). `None`: nothing yet.
    pub fn poll_stream_start(&mut self, conn: &mut Connection) -> Option<StreamStart> {
        if matches!(self.in_message, InMessage::Truncated) {
            // That message's reader is gone: a new receive started.
            self.in_message = InMessage::None;
        }
        if let Some(m) = self.take_kept() {
            return Some(StreamStart::Whole(m));
        }
        if self.ended {
            return Some(StreamStart::Closed);
        }
        conn.set_stream_messages(true);
        loop {
            match conn.poll_stream_event()? {
                StreamEvent::MessageStart(kind) => {
                    self.in_message = InMessage::Reader;
                    return Some(StreamStart::Streamed(kind));
                }
                StreamEvent::Event(Event::Message(m)) => return Some(StreamStart::Whole(m)),
                StreamEvent::Event(Event::Error(e)) => return Some(StreamStart::Failed(e)),
                StreamEvent::Event(Event::Close(c)) => {
                    self.closed(c);
                    return Some(StreamStart::Closed);
                }
                StreamEvent::Event(_) => {}
                piece => {
                    if let Some(m) = self.piece(conn, piece) {
                        return Some(StreamStart::Whole(m));
                    }
                }
            }
        }
    }

    /// The next piece of the message whose start [`poll_stream_start`](Self::poll_stream_start)
    /// reported. `None`: nothing yet. After [`StreamChunk::End`] (or for a message that
    /// was reported whole) this returns `End` again.
    pub fn poll_stream_chunk(&mut self, conn: &mut Connection) -> Option<StreamChunk> {
        match self.in_message {
            InMessage::Reader => {}
            InMessage::Truncated => return Some(StreamChunk::Closed),
            _ => return Some(StreamChunk::End),
        }
        loop {
            match conn.poll_stream_event()? {
                StreamEvent::MessageChunk(b) => return Some(StreamChunk::Data(b)),
                StreamEvent::MessageEnd => {
                    self.in_message = InMessage::None;
                    return Some(StreamChunk::End);
                }
                StreamEvent::Event(Event::Error(e)) => {
                    self.in_message = InMessage::Truncated;
                    return Some(StreamChunk::Failed(e));
                }
                StreamEvent::Event(Event::Close(c)) => {
                    self.closed(c);
                    return Some(StreamChunk::Closed);
                }
                // Control frames between fragments; no other message can start before
                // this one ends.
                _ => {}
            }
        }
    }

    /// A streamed message's piece met by a receive that is not its reader: discarded
    /// (its reader was dropped) or assembled (a whole receive). Returns the message
    /// once an assembled one is complete.
    pub(super) fn piece(&mut self, conn: &mut Connection, piece: StreamEvent) -> Option<Message> {
        match (piece, &mut self.in_message) {
            (StreamEvent::MessageStart(kind), _) => {
                self.in_message =
                    InMessage::Assembling(alloc::boxed::Box::new((kind, BytesMut::new())));
            }
            (StreamEvent::MessageChunk(b), InMessage::Assembling(assembling)) => {
                let buf = &mut assembling.1;
                if buf.len().saturating_add(b.len()) > conn.limits().max_message_size {
                    self.in_message = InMessage::None;
                    conn.fail_message_too_large();
                } else {
                    buf.extend_from_slice(&b);
                }
            }
            (StreamEvent::MessageEnd, InMessage::Assembling(assembling)) => {
                let (kind, bytes) = (assembling.0, core::mem::take(&mut assembling.1).freeze());
                self.in_message = InMessage::None;
                return Some(whole(kind, bytes));
            }
            (StreamEvent::MessageEnd, _) => self.in_message = InMessage::None,
            _ => {}
        }
        None
    }

    /// The next whole message [`Session::advance_to_close`] kept, if any.
    pub(super) fn take_kept(&mut self) -> Option<Message> {
        let queued = self.queued.as_mut()?;
        let m = queued.kept.pop_front()?;
        queued.kept_bytes -= m.len();
        self.release_queued();
        Some(m)
    }
}

/// A message assembled from streamed chunks (text was validated as it arrived).
fn whole(kind: MessageKind, bytes: Bytes) -> Message {
    match kind {
        MessageKind::Binary => Message::Binary(bytes),
        MessageKind::Text => match Text::from_bytes(bytes) {
            Ok(text) => Message::Text(text),
            // Unreachable: the engine ends a streamed text message only on valid UTF-8.
            Err(bytes) => Message::Binary(bytes),
        },
    }
}

/// [`Received`] for a message assembled by [`Session::poll_received`].
pub(super) fn received(m: Message) -> Received {
    Received::Incoming(super::Incoming::Message(m))
}
