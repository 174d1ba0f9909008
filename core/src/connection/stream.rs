//! Streaming receive: a data message delivered as it arrives (start, chunks, end)
//! instead of whole. See [`crate::Streaming`] and [`Connection::poll_stream_event`].
//!
//! The frame reader unmasks (and, for uncompressed text, validates) a streamed frame's
//! payload as it arrives, exactly as for a whole message; then, instead of waiting for
//! the frame to complete, the bytes ready are split off the front of the receive buffer
//! as a chunk (no copy) and processing stops until the application takes it. Text chunks
//! end on a code point: the 1-3 bytes of an unfinished one stay behind (in the receive
//! buffer within a frame, in a 4-byte carry across a frame boundary). A compressed
//! message is inflated in bounded steps (see [`STREAM_INFLATE_STEP`]) as its payload
//! arrives.

use alloc::vec::Vec;
use bytes::{Buf, Bytes};

use super::Connection;
use crate::error::ProtocolError;
use crate::event::StreamEvent;
use crate::message::MessageKind;

/// The most inflated bytes one step of a streamed compressed message produces (one
/// chunk, plus at most 3 bytes of an unfinished code point kept from the last).
#[cfg_attr(not(feature = "deflate"), allow(dead_code))]
pub(super) const STREAM_INFLATE_STEP: usize = 32 << 10;

/// How a streamed message is being delivered (its limits and UTF-8 state are in the
/// connection's `message`, as for a whole message).
#[derive(Debug)]
pub(super) struct StreamState {
    /// Whether its pieces are reported (decided when it starts, as a whole message is
    /// reported only while the connection delivers messages).
    pub(super) deliver: bool,
    /// Uncompressed text: the bytes of a code point left unfinished at the end of a
    /// frame, delivered with the bytes of the next frame that finish it.
    carry: [u8; 4],
    carry_len: usize,
    /// Compressed: the last inflate step filled its output; more may come without input.
    pub(super) more_output: bool,
    /// Compressed: the final frame's payload is inflated; the tail is still to come.
    pub(super) finishing: bool,
}

impl StreamState {
    /// Bytes held between chunks.
    pub(super) fn held(&self) -> usize {
        self.carry_len
    }
}

impl Connection {
    /// Stream data messages (`true`) or deliver them whole (`false`), starting with the
    /// next message whose first frame has not been read yet; a message already started
    /// keeps its mode. The initial mode is [`crate::Streaming::enabled`].
    ///
    /// The engine stops reading after each whole message (until it is taken with
    /// [`poll_event`](Self::poll_event) / [`poll_stream_event`](Self::poll_stream_event))
    /// and after each streamed message's end, so switching right after taking a message
    /// (or its [`StreamEvent::MessageEnd`]) applies exactly to the message after it.
    /// Streamed messages must be taken with [`poll_stream_event`](Self::poll_stream_event).
    pub fn set_stream_messages(&mut self, stream: bool) {
        self.stream_messages = stream;
    }

    /// Whether the next data message will be streamed (see
    /// [`set_stream_messages`](Self::set_stream_messages)).
    pub fn stream_messages(&self) -> bool {
        self.stream_messages
    }

    /// Whether a streamed message is in progress (started, not yet ended).
    pub fn is_streaming_message(&self) -> bool {
        self.streamed.is_some()
    }

    /// Whether a streamed compressed message has inflating to do without more input.
    pub(super) fn stream_pending(&self) -> bool {
        self.streamed
            .as_ref()
            .is_some_and(|s| s.more_output || s.finishing)
    }

    /// A data message starts streamed (its first header passed every check).
    pub(super) fn start_streamed(&mut self, kind: MessageKind) {
        let deliver = self.delivers_messages();
        self.streamed = Some(StreamState {
            deliver,
            carry: [0; 4],
            carry_len: 0,
            more_output: false,
            finishing: false,
        });
        if deliver {
            self.events.push_back(StreamEvent::MessageStart(kind));
        }
    }

    /// Report a chunk of the streamed message (dropped if it is not delivered).
    pub(super) fn push_chunk(&mut self, chunk: Bytes) {
        if !chunk.is_empty() && self.streamed.as_ref().is_some_and(|s| s.deliver) {
            self.events.push_back(StreamEvent::MessageChunk(chunk));
        }
    }

    /// The streamed message's last byte was delivered: end it (text must end on a
    /// code point).
    pub(super) fn end_streamed(&mut self) {
        let (Some(mut m), Some(s)) = (self.message.take(), self.streamed.take()) else {
            return;
        };
        if m.kind == MessageKind::Text && m.utf8.finish().is_err() {
            return self.protocol_error(ProtocolError::InvalidUtf8);
        }
        if s.deliver {
            self.events.push_back(StreamEvent::MessageEnd);
        }
    }

    /// Deliver what is ready of the current streamed frame (its payload is unmasked and
    /// validated up to `frame.done`), or take the next inflate step of a compressed
    /// message. Returns whether anything progressed.
    pub(super) fn stream_frame(&mut self) -> bool {
        if self.message.as_ref().is_some_and(|m| m.compressed) {
            return match self.inflate_streamed() {
                Ok(progressed) => progressed,
                Err(e) => {
                    self.protocol_error(e);
                    false
                }
            };
        }
        let (Some(frame), Some(m), Some(s)) = (
            self.frame.as_mut(),
            self.message.as_ref(),
            self.streamed.as_mut(),
        ) else {
            return false;
        };
        // Everything not yet delivered (the carry, then the front of the receive
        // buffer) except an unfinished code point at its end.
        let incomplete = if frame.text {
            m.utf8.incomplete_len()
        } else {
            0
        };
        let ready = (s.carry_len + frame.done).saturating_sub(incomplete);
        let mut chunks: [Option<Bytes>; 2] = [None, None];
        let mut progressed = false;
        if ready > 0 {
            let mut from_recv = ready - s.carry_len;
            if s.carry_len > 0 {
                // The carried code point, finished by the first bytes of this frame: a
                // small copy, so the rest is still split off without one.
                let rest = crate::utf8::sequence_len(s.carry[0]).saturating_sub(s.carry_len);
                let rest = rest.min(from_recv);
                let mut piece = Vec::with_capacity(s.carry_len + rest);
                piece.extend_from_slice(&s.carry[..s.carry_len]);
                piece.extend_from_slice(&self.recv[..rest]);
                self.recv.advance(rest);
                frame.consumed += rest;
                frame.len -= rest;
                frame.done -= rest;
                from_recv -= rest;
                s.carry_len = 0;
                chunks[0] = Some(Bytes::from(piece));
            }
            if from_recv > 0 {
                chunks[1] = Some(self.recv.split_to(from_recv).freeze());
                frame.consumed += from_recv;
                frame.len -= from_recv;
                frame.done -= from_recv;
            }
            progressed = true;
        }
        let mut ended = false;
        if frame.done == frame.len {
            // The whole frame is in: an unfinished code point at its end waits in the
            // carry for the next frame.
            let rest = frame.done;
            if rest > 0 && s.carry_len + rest <= s.carry.len() {
                s.carry[s.carry_len..s.carry_len + rest].copy_from_slice(&self.recv[..rest]);
                s.carry_len += rest;
                self.recv.advance(rest);
            }
            ended = frame.fin;
            self.frame = None;
            progressed = true;
        }
        for chunk in chunks.into_iter().flatten() {
            self.push_chunk(chunk);
        }
        if ended {
            self.end_streamed();
        }
        progressed
    }
}

/// For the idiomatic session ([`crate::session`]).
impl Connection {
    /// A whole-message receive met a streamed message over
    /// [`crate::Limits::max_message_size`]: fail the connection with 1009, as for a
    /// whole message.
    pub(crate) fn fail_message_too_large(&mut self) {
        self.protocol_error(ProtocolError::MessageTooLarge);
    }
}
