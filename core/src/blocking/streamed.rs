//! Streamed messages, blocking: [`MessageReader`] (a received message read as it
//! arrives: [`Read`], or chunks) and [`MessageWriter`] (a message sent in fragments as
//! it is written: [`Write`]). The rules are websock-core's
//! ([`Session::poll_stream_start`](crate::session::Session::poll_stream_start),
//! [`OutgoingMessage`]); this file only blocks on them, the same way `recv` and `send`
//! do.

use core::fmt;
use std::io::{self, Read, Write};

use bytes::Bytes;

use super::stream::{WebSocketReceiver, WebSocketSender};
use crate::session::{
    Error, OutgoingMessage, Result, StreamChunk, StreamStart, DEFAULT_FRAGMENT_SIZE,
};
use crate::{MessageKind, SendError};

/// A received message, delivered in chunks as it arrives: from
/// [`WebSocketStream::recv_stream`](super::WebSocketStream::recv_stream) or
/// [`WebSocketReceiver::recv_stream`].
///
/// Take the chunks with [`chunk`](Self::chunk) (`while let Some(chunk) =
/// reader.chunk()`), or read the bytes with [`Read`]. Each call blocks until bytes arrive,
/// driving the connection meanwhile (as [`recv`](super::WebSocketStream::recv) does). The
/// message is complete when the chunks end (`None`, or a read of 0 bytes); a failure or
/// a close before its end is an error, reported once ([`Error::Io`] with
/// [`io::ErrorKind::UnexpectedEof`] for the close). Text chunks are valid UTF-8 each,
/// ending on a code point.
///
/// Memory: the engine reads no more while a chunk waits to be taken, so at most one
/// chunk is held. Dropping the reader before the end discards the rest of the message
/// (the next receive skips it).
pub struct MessageReader<'a> {
    rx: &'a mut WebSocketReceiver,
    kind: MessageKind,
    /// A message that was complete before streaming was asked for, or the rest of a
    /// chunk a `read` did not take.
    held: Bytes,
    done: bool,
}

impl fmt::Debug for MessageReader<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageReader")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl WebSocketReceiver {
    /// See [`WebSocketStream::recv_stream`](super::WebSocketStream::recv_stream).
    pub fn recv_stream(&mut self) -> Option<Result<MessageReader<'_>>> {
        let start = self.drive(false, |st| {
            Some(match st.session.poll_stream_start(&mut st.conn)? {
                StreamStart::Failed(e) => Some(Err(st.failure(e))),
                StreamStart::Closed => None,
                start => Some(Ok(start)),
            })
        });
        let (kind, held) = match start.flatten()? {
            Ok(StreamStart::Streamed(kind)) => (kind, Bytes::new()),
            Ok(StreamStart::Whole(m)) => (m.kind(), m.into_bytes()),
            Ok(StreamStart::Failed(_) | StreamStart::Closed) => return None,
            Err(e) => return Some(Err(e)),
        };
        Some(Ok(MessageReader {
            rx: self,
            kind,
            held,
            done: false,
        }))
    }
}

impl MessageReader<'_> {
    /// The message's kind (text or binary).
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// The next chunk of the message (never empty), blocking until it arrives; `None`
    /// once the message is complete, and after an error.
    pub fn chunk(&mut self) -> Option<Result<Bytes>> {
        if !self.held.is_empty() {
            return Some(Ok(std::mem::take(&mut self.held)));
        }
        if self.done {
            return None;
        }
        let polled = self.rx.drive(false, |st| {
            Some(match st.session.poll_stream_chunk(&mut st.conn)? {
                StreamChunk::Data(b) => Some(Ok(b)),
                StreamChunk::End => None,
                StreamChunk::Failed(e) => Some(Err(st.failure(e))),
                StreamChunk::Closed => Some(Err(Error::message_cut_short())),
            })
        });
        let outcome = polled.unwrap_or_else(|| Some(Err(Error::message_cut_short())));
        self.done = !matches!(outcome, Some(Ok(_)));
        outcome
    }
}

/// Reads the message's bytes; `Ok(0)` once it is complete. Errors are
/// [`chunk`](MessageReader::chunk)'s as `io::Error`s.
impl Read for MessageReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let mut chunk = match self.chunk() {
            Some(Ok(chunk)) => chunk,
            Some(Err(e)) => return Err(e.into_io()),
            None => return Ok(0),
        };
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        self.held = chunk.split_off(n);
        Ok(n)
    }
}

/// A message sent in fragments as it is written: from
/// [`WebSocketStream::send_stream`](super::WebSocketStream::send_stream) or
/// [`WebSocketSender::send_stream`].
///
/// [`write`](Write::write) gathers bytes into fragments of [`DEFAULT_FRAGMENT_SIZE`]
/// (see [`fragment_size`](Self::fragment_size)) and queues each one once it is full:
/// it blocks while the send queue is full, writing meanwhile as
/// [`send`](super::WebSocketStream::send) does, and otherwise writes what the
/// transport takes at once (as [`try_send`](super::WebSocketStream::try_send) does, at
/// most one short write slice). [`flush`](Write::flush) sends
/// everything written so far (except an unfinished code point) and waits until it is
/// written; [`finish`](Self::finish) sends the rest as the final fragment. A text
/// message's bytes must be UTF-8: a fragment ends on a code point, and invalid bytes
/// are refused ([`SendError::InvalidUtf8`], an [`io::ErrorKind::InvalidData`] error
/// from `write` / `flush`). With permessage-deflate the message is compressed as one
/// (if its first fragment is at least the configured minimum size).
///
/// Pings, pongs and the close may go out between its fragments; another message sent
/// before its end (from a clone of the [`WebSocketSender`]) is refused with
/// [`SendError::FragmentOrder`], and a second writer on the connection at the same
/// time would interleave its fragments with this one's: keep one writer at a time.
/// Dropping a writer whose message has started but not finished closes
/// the connection with 1011: the peer must not take part of a message for all of it.
pub struct MessageWriter<'a> {
    tx: &'a WebSocketSender,
    out: OutgoingMessage,
}

impl fmt::Debug for MessageWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageWriter")
            .field("out", &self.out)
            .finish_non_exhaustive()
    }
}

impl WebSocketSender {
    /// See [`WebSocketStream::send_stream`](super::WebSocketStream::send_stream).
    pub fn send_stream(&self, kind: MessageKind) -> MessageWriter<'_> {
        MessageWriter {
            tx: self,
            out: OutgoingMessage::new(kind, true, DEFAULT_FRAGMENT_SIZE),
        }
    }
}

impl MessageWriter<'_> {
    crate::session::message_writer_builders!();

    /// Queues what is due (`flush`: everything written and waits until it is written),
    /// waiting while the send queue is full as `send` does; otherwise writes what the
    /// transport takes at once (as `try_send` does), so a fragment never waits for
    /// the peer to read while there is room in the queue.
    fn send(&mut self, flush: bool) -> Result<()> {
        loop {
            let out = &mut self.out;
            let queued = self.tx.queue(
                |conn| match out.poll_queue(conn, flush) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(SendError::Full),
                    Err(e) => Err(e),
                },
                false,
            );
            match queued {
                // Closed is refused before Full: this ends once the connection does.
                Err(Error::Send(SendError::Full)) => self.tx.flush()?,
                Ok(()) if flush => return self.tx.flush(),
                other => return other,
            }
        }
    }

    /// Ends the message: sends the rest as the final fragment and blocks until the
    /// transport has taken it.
    ///
    /// Errors: [`Error::Send`] with [`SendError::InvalidUtf8`] if a text message's
    /// bytes are not UTF-8 (or end inside a code point); [`Error::Closed`] or
    /// [`Error::Io`] as for [`send`](super::WebSocketStream::send).
    pub fn finish(mut self) -> Result<()> {
        self.out.finish();
        self.send(true)
    }
}

impl Write for MessageWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        loop {
            let n = self.out.write(data);
            if n == data.len() {
                return Ok(n);
            }
            // A fragment is full: send it.
            self.send(false).map_err(Error::into_io)?;
            if n > 0 {
                return Ok(n);
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send(true).map_err(Error::into_io)
    }
}

impl Drop for MessageWriter<'_> {
    fn drop(&mut self) {
        if self.out.is_started() && !self.out.is_done() {
            let _ = self.tx.start_close(Some(1011), "message writer dropped");
        }
    }
}
