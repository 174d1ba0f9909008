//! What the connection tells `tracing` (the `tracing` feature; see `crate::trace`):
//! the close and the failures. Without the feature these are empty and inlined away.

use super::Connection;
use crate::error::Error;
use crate::trace::Initiator;
#[cfg(feature = "tracing")]
use crate::trace::{trace_event, trace_peer_fault};

impl Connection {
    /// Records the transport's own error (the `io::Error` the driver saw, which the
    /// engine never holds) as a `debug` event on the connection's span, with the
    /// `tracing` feature; call it just before
    /// [`handle_transport_error`](Self::handle_transport_error), which then reports the
    /// failure and the close. Does nothing without the feature, or once the connection
    /// is finished.
    #[inline]
    pub fn trace_transport_error(&self, error: &dyn core::fmt::Display) {
        #[cfg(feature = "tracing")]
        if !self.finished {
            trace_event!(self, DEBUG, error = %error, "transport error");
        }
        #[cfg(not(feature = "tracing"))]
        let _ = error;
    }

    /// Remember who started the end of the connection (the first to do so wins).
    #[inline]
    pub(super) fn note_initiator(&mut self, who: Initiator) {
        #[cfg(feature = "tracing")]
        if self.initiator.is_none() {
            self.initiator = Some(who);
        }
        #[cfg(not(feature = "tracing"))]
        let _ = who;
    }

    /// The connection is CLOSED: `debug` when clean, `info` when not.
    #[inline]
    pub(super) fn trace_closed(&self, code: u16, reason: &str, was_clean: bool) {
        #[cfg(feature = "tracing")]
        {
            let initiator = self.initiator.unwrap_or(Initiator::Local).as_str();
            if was_clean {
                trace_event!(self, DEBUG, code, reason, initiator, clean = true, "closed");
            } else {
                trace_event!(self, INFO, code, reason, initiator, clean = false, "closed");
            }
        }
        #[cfg(not(feature = "tracing"))]
        let _ = (code, reason, was_clean);
    }

    /// The connection fails with `error` (see `crate::trace` for the levels).
    #[inline]
    pub(super) fn trace_failure(&self, error: &Error) {
        #[cfg(not(feature = "tracing"))]
        let _ = error;
        #[cfg(feature = "tracing")]
        match error {
            Error::Protocol(e) => trace_peer_fault!(
                self,
                close_code = e.close_code(),
                error = %e,
                "protocol error"
            ),
            Error::Handshake(crate::HandshakeError::Rejected(status)) => trace_event!(
                self,
                DEBUG,
                status,
                error = %error,
                "handshake rejected by the application"
            ),
            Error::Handshake(e) => trace_peer_fault!(self, error = %e, "handshake failed"),
            Error::HandshakeTimeout
            | Error::CloseTimeout
            | Error::KeepaliveTimeout
            | Error::WriteStalled => trace_event!(self, INFO, error = %error, "timed out"),
            Error::ConnectionLost | Error::TransportFailed => {
                trace_event!(self, INFO, error = %error, "transport ended")
            }
            Error::SendQueueFull => trace_event!(self, INFO, error = %error, "send queue full"),
            Error::Aborted => trace_event!(self, DEBUG, error = %error, "aborted"),
            Error::CompressionFailed => {
                trace_event!(self, WARN, close_code = 1011u16, error = %error, "compression failed")
            }
        }
    }
}
