//! A message sent in pieces as the application writes it (a message writer): the bytes
//! written are gathered into fragments of a bounded size, text is validated as it goes
//! and cut only on code points, and the final fragment ends the message.
//!
//! Memory: at most one fragment's bytes wait here; the engine's send queue bounds the
//! rest ([`Limits::max_send_queue`](crate::Limits::max_send_queue)).

use bytes::{Bytes, BytesMut};

use crate::connection::{Connection, SendError};
use crate::message::MessageKind;

/// The default fragment size of an [`OutgoingMessage`]: 64 KiB.
pub const DEFAULT_FRAGMENT_SIZE: usize = 64 << 10;

/// A message being written: gathers bytes into fragments and hands them to the engine.
#[derive(Debug)]
pub struct OutgoingMessage {
    kind: MessageKind,
    compress: bool,
    fragment_size: usize,
    buf: BytesMut,
    /// A fragment cut but not yet accepted by the engine (its queue was full).
    ready: Option<Bytes>,
    started: bool,
    finished: bool,
    /// The final fragment was queued.
    done: bool,
}

impl OutgoingMessage {
    /// A message of `kind`, cut into fragments of `fragment_size` bytes (at least 1;
    /// text fragments may be up to 3 bytes shorter, to end on a code point).
    /// `compress: false` sends it uncompressed even with permessage-deflate agreed.
    pub fn new(kind: MessageKind, compress: bool, fragment_size: usize) -> OutgoingMessage {
        OutgoingMessage {
            kind,
            compress,
            fragment_size: fragment_size.max(4),
            buf: BytesMut::new(),
            ready: None,
            started: false,
            finished: false,
            done: false,
        }
    }

    /// Whether the message may be compressed (with permessage-deflate agreed); decided
    /// by the first fragment, so only a call before it counts.
    pub fn set_compress(&mut self, compress: bool) {
        if !self.started {
            self.compress = compress;
        }
    }

    /// The size of the fragments cut from now on (at least 4).
    pub fn set_fragment_size(&mut self, size: usize) {
        self.fragment_size = size.max(4);
    }

    /// The message's kind.
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// Whether a fragment went out (the connection's other messages wait for the end).
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// Whether the final fragment was queued: the message is complete.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Takes bytes of the message; returns how many were taken (0 while a full
    /// fragment waits: [`poll_queue`](Self::poll_queue) it first). Text is validated
    /// when a fragment is cut.
    pub fn write(&mut self, data: &[u8]) -> usize {
        if self.finished || self.ready.is_some() {
            return 0;
        }
        let room = self.fragment_size.saturating_sub(self.buf.len());
        let n = room.min(data.len());
        if self.buf.capacity() == 0 {
            self.buf.reserve(self.fragment_size.min(n.max(1024)));
        }
        self.buf.extend_from_slice(&data[..n]);
        n
    }

    /// Hands the engine what is ready: a full fragment (`flush: false`), everything
    /// written so far (`flush: true`, except the bytes of an unfinished code point),
    /// or the final fragment ([`finish`](Self::finish) first).
    ///
    /// `Ok(true)`: nothing is left waiting; `Ok(false)`: the engine's send queue is
    /// full (wait for room, then call again); an error: the message cannot go on
    /// (invalid UTF-8 written to a text message: [`SendError::InvalidUtf8`], nothing of
    /// it queued; or the connection's refusal).
    pub fn poll_queue(&mut self, conn: &mut Connection, flush: bool) -> Result<bool, SendError> {
        loop {
            if self.ready.is_none() && !self.cut(flush)? {
                return Ok(true);
            }
            let Some(fragment) = self.ready.clone() else {
                return Ok(true);
            };
            let fin = self.finished && self.buf.is_empty();
            match conn.send_fragment_with(self.kind, fragment, fin, self.compress) {
                Ok(()) => {
                    self.ready = None;
                    self.started = true;
                    self.done = fin;
                }
                Err(SendError::Full) => return Ok(false),
                Err(e) => return Err(e),
            }
        }
    }

    /// No more bytes: the next [`poll_queue`](Self::poll_queue) queues the rest as the
    /// final fragment (an empty one if everything went out already).
    pub fn finish(&mut self) {
        self.finished = true;
    }

    /// Cuts the next fragment into `ready`, if one is due. Returns whether one was cut.
    fn cut(&mut self, flush: bool) -> Result<bool, SendError> {
        if self.done {
            return Ok(false);
        }
        let due =
            self.finished || self.buf.len() >= self.fragment_size || flush && !self.buf.is_empty();
        if !due {
            return Ok(false);
        }
        let len = self.valid_len()?;
        if len == 0 && !self.finished {
            return Ok(false);
        }
        self.ready = Some(self.buf.split_to(len).freeze());
        Ok(true)
    }

    /// How many buffered bytes may go in the next fragment: all of them for binary; for
    /// text, up to the last complete code point (all of them, and valid, when finished).
    fn valid_len(&self) -> Result<usize, SendError> {
        if self.kind == MessageKind::Binary {
            return Ok(self.buf.len());
        }
        match core::str::from_utf8(&self.buf) {
            Ok(_) => Ok(self.buf.len()),
            Err(e) if e.error_len().is_none() && !self.finished => Ok(e.valid_up_to()),
            Err(_) => Err(SendError::InvalidUtf8),
        }
    }
}

/// A message writer's builders over its [`OutgoingMessage`] at `self.out`:
/// `uncompressed` and `fragment_size` (the async handles' and the blocking ones').
#[cfg(feature = "std")]
macro_rules! message_writer_builders {
    () => {
        /// Sends this message uncompressed even when permessage-deflate is agreed (for
        /// data that is already compressed). Call before the first write.
        pub fn uncompressed(mut self) -> Self {
            self.out.set_compress(false);
            self
        }

        /// Cuts fragments of `size` bytes (at least 4) instead of the default. Call
        /// before the first write.
        pub fn fragment_size(mut self, size: usize) -> Self {
            self.out.set_fragment_size(size);
            self
        }
    };
}
#[cfg(feature = "std")]
pub(crate) use message_writer_builders;
