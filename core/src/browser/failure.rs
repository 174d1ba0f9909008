//! Which of the engine's failures the browser reports with an `error` event.
//!
//! The WHATWG standard fires `error` only when the connection was *failed* ("fail the
//! WebSocket connection": a failed opening handshake, a protocol violation, a full send
//! buffer, `close()` while CONNECTING) — not when it merely closed without a closing
//! handshake. Chromium does the same: a server that drops TCP after open, a read error
//! after open, or a closing handshake that times out gives `close` (1006, `wasClean`
//! false) alone; a DNS, connect or TLS failure before open gives `error` then `close`.

use crate::error::Error;

/// Whether the engine's failure `error` fires the browser's `error` event (a `close`
/// event with 1006 follows either way). `opened`: whether the engine reported the
/// connection open before it.
///
/// No `error` for what only ends the connection uncleanly: the transport ending
/// ([`Error::ConnectionLost`]) or failing after open ([`Error::TransportFailed`]), our
/// closing handshake timing out ([`Error::CloseTimeout`]), no pong to a keepalive ping
/// ([`Error::KeepaliveTimeout`]: the peer is gone). Every other failure fires it,
/// [`Error::TransportFailed`] before open included (DNS, refused, TLS, or a blocked port
/// under [`Compat::Standard`](crate::dom::Compat::Standard)).
pub fn fires_error_event(error: &Error, opened: bool) -> bool {
    match error {
        Error::ConnectionLost | Error::CloseTimeout | Error::KeepaliveTimeout => false,
        Error::TransportFailed => !opened,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{HandshakeError, ProtocolError};

    #[test]
    fn failed_connections_fire_error() {
        for opened in [false, true] {
            for e in [
                Error::Protocol(ProtocolError::ReservedBits),
                Error::Handshake(HandshakeError::UnexpectedStatus(404)),
                Error::HandshakeTimeout,
                Error::SendQueueFull,
                Error::Aborted,
                Error::CompressionFailed,
            ] {
                assert!(fires_error_event(&e, opened), "{e:?} {opened}");
            }
        }
        assert!(fires_error_event(&Error::TransportFailed, false));
    }

    #[test]
    fn unclean_closes_do_not() {
        for opened in [false, true] {
            for e in [
                Error::ConnectionLost,
                Error::CloseTimeout,
                Error::KeepaliveTimeout,
            ] {
                assert!(!fires_error_event(&e, opened), "{e:?} {opened}");
            }
        }
        assert!(!fires_error_event(&Error::TransportFailed, true));
    }
}
