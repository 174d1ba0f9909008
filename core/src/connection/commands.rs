//! Commands from the application: send, ping, close, accept or reject a handshake.

use alloc::string::String;
use bytes::Bytes;
use core::fmt;
use core::time::Duration;

use super::{Connection, Phase, Timer};
use crate::close::{is_valid_on_wire, MAX_REASON_LEN};
use crate::dom::ReadyState;
use crate::error::{ApiError, Error, HandshakeError};
use crate::frame::{OpCode, MAX_CONTROL_PAYLOAD};
use crate::handshake;
use crate::message::{Message, MessageKind};
use crate::prepared::PreparedMessage;

/// Why a send was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The connection is still CONNECTING (the browser's `InvalidStateError`).
    /// Nothing was queued.
    Connecting,
    /// The connection is CLOSING or CLOSED. As in the browser, the payload was dropped
    /// and its length added to `bufferedAmount`.
    Closed,
    /// The send queue is over [`crate::Limits::max_send_queue`]. Nothing was queued:
    /// wait until the transport has taken more bytes, then retry.
    Full,
    /// A control frame payload over 125 bytes. Nothing was queued.
    ControlFrameTooLong,
    /// A new message was started while a fragmented one is unfinished, or a
    /// continuation was sent with none started. Nothing was queued.
    FragmentOrder,
    /// Bytes written to a text message (by a message writer) are not valid UTF-8.
    /// Nothing of the invalid fragment was queued.
    InvalidUtf8,
}

impl SendError {
    /// The browser's exception for this error, if the browser would throw one.
    pub fn as_api_error(self) -> Option<ApiError> {
        match self {
            SendError::Connecting | SendError::FragmentOrder => Some(ApiError::InvalidState),
            SendError::ControlFrameTooLong | SendError::InvalidUtf8 => Some(ApiError::Syntax),
            SendError::Closed | SendError::Full => None,
        }
    }
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SendError::Connecting => "the connection is not open yet",
            SendError::Closed => "the connection is closing or closed",
            SendError::Full => "the send queue is full",
            SendError::ControlFrameTooLong => "control frame payload over 125 bytes",
            SendError::FragmentOrder => "fragments out of order",
            SendError::InvalidUtf8 => "invalid UTF-8 in a text message",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SendError {}

/// Commands.
impl Connection {
    /// Queue a message as one frame.
    pub fn send(&mut self, message: Message) -> Result<(), SendError> {
        self.send_with(message, true)
    }

    /// Queue a message as one frame; `compress: false` sends it uncompressed even when
    /// permessage-deflate is agreed (for data that is already compressed).
    pub fn send_with(&mut self, message: Message, compress: bool) -> Result<(), SendError> {
        self.try_send(message, compress)
            .map_err(|refused| refused.error)
    }

    /// Queue a [`PreparedMessage`]: a server's connection takes a handle to its encoded
    /// frame when the message goes uncompressed (no copy, no encoding); a client's
    /// (masked) or a compressed one encodes the payload as [`send`](Self::send) does.
    /// The same checks and errors as `send`.
    pub fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), SendError> {
        let len = prepared.len();
        self.check_can_send_message(len)?;
        if self.role == super::Role::Client || self.should_compress(len, true) {
            return self
                .queue_fragment(prepared.kind(), prepared.payload_bytes(), true, true)
                // Compressing failed: the connection failed with 1011.
                .map_err(|_| SendError::Closed);
        }
        // The answer to a ping already received goes ahead of data queued after it.
        self.flush_pong();
        self.sending_compressed = false;
        self.send.push_encoded_frame(prepared.frame_bytes(), len);
        Ok(())
    }

    /// Queue a text message (copies `text`).
    pub fn send_text(&mut self, text: &str) -> Result<(), SendError> {
        self.send(Message::text(text))
    }

    /// Queue a binary message.
    pub fn send_binary(&mut self, data: impl Into<Bytes>) -> Result<(), SendError> {
        self.send(Message::Binary(data.into()))
    }

    /// Queue one fragment of a message: the first call starts a message of `kind`,
    /// later calls continue it (their `kind` is ignored), and `fin` ends it. Control
    /// frames may be sent between fragments; other messages may not.
    ///
    /// Text fragments must each be valid UTF-8 (callers split on `char` boundaries).
    pub fn send_fragment(
        &mut self,
        kind: MessageKind,
        data: Bytes,
        fin: bool,
    ) -> Result<(), SendError> {
        self.send_fragment_with(kind, data, fin, true)
    }

    /// [`send_fragment`](Self::send_fragment), choosing at the first fragment whether
    /// the message may be compressed (`compress`; later fragments follow that choice).
    /// With permessage-deflate, a fragmented message is compressed if its first
    /// fragment is at least the configured minimum size.
    pub fn send_fragment_with(
        &mut self,
        kind: MessageKind,
        data: Bytes,
        fin: bool,
        compress: bool,
    ) -> Result<(), SendError> {
        self.check_can_send(data.len())?;
        self.queue_fragment(kind, data, fin, compress)
            .map_err(|_| SendError::Closed)
    }

    /// Queues one data frame, the checks of [`check_can_send`](Self::check_can_send)
    /// passed. If compressing it fails, the connection fails (1011) and `data` comes
    /// back.
    pub(super) fn queue_fragment(
        &mut self,
        kind: MessageKind,
        data: Bytes,
        fin: bool,
        compress: bool,
    ) -> Result<(), Bytes> {
        // The answer to a ping already received goes ahead of data queued after it.
        self.flush_pong();
        let len = data.len();
        let (opcode, rsv) = match self.sending_fragmented {
            Some(_) => (OpCode::Continuation, 0),
            None => {
                self.sending_compressed = self.should_compress(len, compress);
                let rsv = if self.sending_compressed {
                    Self::COMPRESSED_RSV
                } else {
                    0
                };
                (kind.opcode(), rsv)
            }
        };
        let payload = if self.sending_compressed {
            match self.compress(&data, fin) {
                Ok(p) => p,
                Err(_) => {
                    self.fail(Error::CompressionFailed, Some((1011, "compression failed")));
                    return Err(data);
                }
            }
        } else {
            data
        };
        self.sending_fragmented = if fin { None } else { Some(kind) };
        let mask = self.mask_key();
        self.send
            .push_data_frame(opcode, fin, rsv, mask, payload, len);
        Ok(())
    }

    /// Whether a whole message of `len` bytes may be queued now: not inside a
    /// fragmented one, and as [`check_can_send`](Self::check_can_send) says.
    pub(super) fn check_can_send_message(&mut self, len: usize) -> Result<(), SendError> {
        match self.sending_fragmented {
            Some(_) => Err(SendError::FragmentOrder),
            None => self.check_can_send(len),
        }
    }

    pub(super) fn check_can_send(&mut self, len: usize) -> Result<(), SendError> {
        match self.state {
            ReadyState::Connecting => return Err(SendError::Connecting),
            ReadyState::Closing | ReadyState::Closed => {
                self.discarded_after_close += len;
                return Err(SendError::Closed);
            }
            ReadyState::Open => {}
        }
        if self.close_sent {
            self.discarded_after_close += len;
            return Err(SendError::Closed);
        }
        if !self.fits_send_queue(len) {
            return Err(SendError::Full);
        }
        Ok(())
    }

    /// Queue a ping (payload up to 125 bytes). Refused with [`SendError::Full`], like a
    /// data send, while the send queue is over [`crate::Limits::max_send_queue`].
    pub fn ping(&mut self, payload: Bytes) -> Result<(), SendError> {
        self.send_control(OpCode::Ping, payload)
    }

    /// Queue an unsolicited pong (payload up to 125 bytes). Refused with
    /// [`SendError::Full`] while the send queue is over the limit.
    pub fn pong(&mut self, payload: Bytes) -> Result<(), SendError> {
        self.send_control(OpCode::Pong, payload)
    }

    fn send_control(&mut self, opcode: OpCode, payload: Bytes) -> Result<(), SendError> {
        if payload.len() > MAX_CONTROL_PAYLOAD {
            return Err(SendError::ControlFrameTooLong);
        }
        match self.state {
            ReadyState::Connecting => return Err(SendError::Connecting),
            ReadyState::Open if !self.close_sent => {}
            _ => return Err(SendError::Closed),
        }
        // Control frames count against the queue limit as data does, so pinging a peer
        // that stopped reading cannot grow the queue without bound.
        if !self.fits_send_queue(payload.len()) {
            return Err(SendError::Full);
        }
        let mask = self.mask_key();
        self.send.push_frame(opcode, true, mask, payload, false);
        Ok(())
    }

    /// Start the closing handshake with `code` and `reason`, or none (an empty Close
    /// body). `now` arms the close timeout.
    ///
    /// The code must be valid on the wire (1000-1003, 1007-1014, 3000-4999), else
    /// [`ApiError::InvalidAccess`]; the reason at most 123 UTF-8 bytes, else
    /// [`ApiError::Syntax`], and a reason needs a code. The browser's `close()` accepts
    /// fewer codes: check those with [`crate::dom::validate_close_args`] first.
    ///
    /// CONNECTING: the connection fails (the browser's behaviour). CLOSING or CLOSED:
    /// nothing happens.
    pub fn close(
        &mut self,
        now: Duration,
        code: Option<u16>,
        reason: &str,
    ) -> Result<(), ApiError> {
        self.now = now;
        if let Some(c) = code {
            if !is_valid_on_wire(c) {
                return Err(ApiError::InvalidAccess);
            }
        }
        if reason.len() > MAX_REASON_LEN || (code.is_none() && !reason.is_empty()) {
            return Err(ApiError::Syntax);
        }
        match self.state {
            ReadyState::Connecting => {
                self.fail(Error::Aborted, None);
                self.abandon();
            }
            ReadyState::Open if !self.close_sent => {
                self.note_initiator(crate::trace::Initiator::Local);
                self.queue_close(code, reason);
                self.state = ReadyState::Closing;
                if let Some(d) = self.timeouts.close() {
                    self.timers.set(Timer::Close, now.saturating_add(d));
                }
                self.timers.stop(Timer::KeepalivePing);
                self.timers.stop(Timer::KeepaliveTimeout);
            }
            _ => {}
        }
        Ok(())
    }

    /// Drop the connection at once, without a closing handshake (reported as an
    /// [`Error::Aborted`] and a close with 1006).
    pub fn abort(&mut self) {
        self.fail(Error::Aborted, None);
        self.abandon();
    }

    /// Server role: accept the request reported by [`crate::Event::Request`], with the
    /// chosen subprotocol (one the client offered) and extra response headers.
    ///
    /// Errors ([`ApiError::InvalidState`]) if no request is waiting, and
    /// ([`ApiError::Syntax`]) for a subprotocol the client did not offer or a header that
    /// would corrupt the response.
    pub fn accept(
        &mut self,
        protocol: Option<&str>,
        headers: &[(String, String)],
    ) -> Result<(), ApiError> {
        let phase = core::mem::replace(&mut self.phase, Phase::Frames);
        let Phase::ServerDecision { request } = phase else {
            self.phase = phase;
            return Err(ApiError::InvalidState);
        };
        let extensions = self.agree_deflate_server(&request);
        let mut out = alloc::vec::Vec::new();
        if let Err(e) =
            handshake::encode_accept(&request, protocol, extensions.as_deref(), headers, &mut out)
        {
            self.reset_deflate();
            self.phase = Phase::ServerDecision { request };
            return Err(e);
        }
        self.set_extensions(extensions.unwrap_or_default());
        self.send.push_raw(Bytes::from(out));
        self.open(protocol.map(String::from), None);
        self.process();
        Ok(())
    }

    /// Server role: reject the request reported by [`crate::Event::Request`] with an
    /// HTTP `status` (e.g. 403 for a bad Origin), extra headers and a body. The
    /// connection fails after the response is written.
    pub fn reject(
        &mut self,
        status: u16,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<(), ApiError> {
        if !matches!(self.phase, Phase::ServerDecision { .. }) {
            return Err(ApiError::InvalidState);
        }
        if !(400..=599).contains(&status) {
            return Err(ApiError::Syntax);
        }
        let mut out = alloc::vec::Vec::new();
        handshake::encode_reject(status, headers, body, &mut out)?;
        self.send.push_raw(Bytes::from(out));
        self.fail(Error::Handshake(HandshakeError::Rejected(status)), None);
        Ok(())
    }
}
