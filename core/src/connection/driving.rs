//! What a driver asks the engine between I/O calls: whether to read or write, a
//! transport that failed, sends that hand the message back when refused, and owned
//! buffers for completion-based I/O (io_uring, glommio).

use alloc::vec::Vec;
use bytes::{Bytes, BytesMut};
use core::fmt;
use core::time::Duration;

use super::{Connection, SendError};
use crate::dom::ReadyState;
use crate::error::Error;
use crate::message::{Message, MessageKind, Text};

/// A send the engine refused, with the message handed back (see
/// [`Connection::try_send`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrySendError {
    /// Why it was refused. With [`SendError::Full`], retry the same message once the
    /// transport has taken more bytes; with [`SendError::Closed`] its length was added
    /// to `bufferedAmount`, as the browser does.
    pub error: SendError,
    /// The message, untouched.
    pub message: Message,
}

impl fmt::Display for TrySendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.error.fmt(f)
    }
}

#[cfg(feature = "std")]
impl std::error::Error for TrySendError {}

/// Driver helpers.
impl Connection {
    /// Whether the driver should read from the transport now.
    ///
    /// False once the read side ended or the connection is finished, while events (or
    /// input held back after a message, or pieces of a streamed message, or a streamed
    /// compressed message's pending inflate output) wait for
    /// [`poll_event`](Self::poll_event) / [`poll_stream_event`](Self::poll_stream_event)
    /// (received data stays in the transport: that
    /// is how backpressure reaches TCP).
    ///
    /// A full send queue does not stop reading: two peers that both send more than the
    /// transport buffers hold (an echo of a large streamed message, a bidirectional
    /// transfer) would otherwise each wait for the other to read, until a write-stall
    /// timeout. Memory stays bounded anyway: an application that cannot send stops
    /// taking events (so reading stops), and pongs to a ping flood coalesce.
    pub fn wants_read(&self) -> bool {
        if self.finished
            || self.eof
            || !self.events.is_empty()
            || self.input_held
            || self.stream_pending()
        {
            return false;
        }
        true
    }

    /// Whether received events, or input held back until they are taken, wait for the
    /// application ([`poll_event`](Self::poll_event)): it will be back for them, so a
    /// driver that runs in the application's own calls may leave replies queued until
    /// the call that finds nothing (one write answers a burst).
    pub fn events_waiting(&self) -> bool {
        !self.events.is_empty() || self.input_held
    }

    /// Whether bytes wait to be written: write what
    /// [`poll_transmit`](Self::poll_transmit) offers, and wait for the transport to be
    /// writable when it takes nothing more.
    pub fn wants_write(&self) -> bool {
        !self.finished && self.transmit_len() > 0
    }

    /// The transport failed (a read or write error other than "would block" or
    /// "interrupted"): nothing more can be read or written. Reported as
    /// [`Error::TransportFailed`] and a close with 1006 (not clean) if the connection
    /// was CONNECTING or OPEN; a CLOSING connection closes with 1006 without an error
    /// event. The connection is finished afterwards.
    pub fn handle_transport_error(&mut self, now: Duration) {
        self.now = now;
        if self.finished {
            return;
        }
        // Frames received before the failure (a Close, say) count, even if not yet polled.
        if self.has_unprocessed_input() {
            self.process_input(false);
        }
        self.eof = true;
        match self.state {
            ReadyState::Connecting | ReadyState::Open => {
                self.fail(Error::TransportFailed, None);
            }
            ReadyState::Closing => {
                self.closed(crate::close::ABNORMAL, alloc::string::String::new(), false);
            }
            ReadyState::Closed => {}
        }
        self.abandon();
    }

    /// Like [`send_with`](Self::send_with), but a refused message is handed back (so a
    /// driver that retries after [`SendError::Full`] never clones it).
    pub fn try_send(&mut self, message: Message, compress: bool) -> Result<(), TrySendError> {
        if let Err(error) = self.check_can_send_message(message.len()) {
            return Err(TrySendError { error, message });
        }
        let kind = message.kind();
        self.queue_fragment(kind, message.into_bytes(), true, compress)
            .map_err(|bytes| TrySendError {
                // Compressing failed (the connection failed with 1011): the payload
                // comes back as the message it was.
                error: SendError::Closed,
                message: match kind {
                    MessageKind::Text => Message::Text(Text::from_taken_bytes(bytes)),
                    MessageKind::Binary => Message::Binary(bytes),
                },
            })
    }

    /// Owned transmit, for completion-based I/O: appends the bytes to write next, in
    /// order, as shared [`Bytes`] (no copy) to `out`, and returns how many bytes that is.
    /// Submit them, then report the bytes the transport took with
    /// [`advance_transmit`](Self::advance_transmit); until then a second call offers the
    /// same bytes again.
    pub fn poll_transmit_owned(&mut self, out: &mut Vec<Bytes>) -> usize {
        self.prepare_transmit();
        self.send.owned_segments(out)
    }

    /// Owned input, for completion-based I/O: an empty buffer with spare capacity (at
    /// least 2 KiB) that continues the engine's receive buffer. Fill it (the kernel owns
    /// it meanwhile), then give it back with
    /// [`handle_received_owned`](Self::handle_received_owned); joining them costs no copy.
    pub fn take_receive_buffer(&mut self) -> BytesMut {
        self.reserve_receive();
        self.recv.split_off(self.recv.len())
    }

    /// Owned input: `filled` holds bytes read from the transport (usually the buffer
    /// from [`take_receive_buffer`](Self::take_receive_buffer)); the engine adopts it and
    /// processes the bytes as [`handle_received`](Self::handle_received) does.
    pub fn handle_received_owned(&mut self, now: Duration, filled: BytesMut) {
        if filled.is_empty() {
            return;
        }
        if self.recv.is_empty() {
            self.recv = filled;
        } else {
            self.recv.unsplit(filled);
        }
        self.handle_received(now);
    }
}
