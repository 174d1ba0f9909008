//! The adapter's error type: who is at fault, and what to do about it.

use std::fmt;
use std::io;

use websock_core::{ApiError, HandshakeError, SendError};

/// Everything that can go wrong with a connection driven by this crate.
///
/// The variants say whose fault it was: the transport ([`Error::Io`], [`Error::Tls`]),
/// the caller ([`Error::Url`], [`Error::Api`], [`Error::Send`]), the opening handshake
/// ([`Error::Handshake`]), or the peer and the connection's timers ([`Error::Protocol`]).
/// [`Error::Closed`] is not a failure: the connection is over and the call can never
/// succeed again.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed (DNS, connect, read, write). The connection is over; the
    /// engine reported it as closed with code 1006.
    Io(io::Error),
    /// TLS could not be set up (bad server name, certificate or key).
    #[cfg(feature = "tls")]
    Tls(rustls::Error),
    /// The URL was refused by the browser's rules (`SyntaxError`, or `SecurityError` for
    /// a blocked port), or names `wss://` without the `tls` feature.
    Url(ApiError),
    /// A call was misused (a close code or reason the rules refuse, a header that would
    /// corrupt the handshake, a subprotocol the client did not offer). Nothing happened.
    Api(ApiError),
    /// The opening handshake failed (rejected by the server, bad response, ...).
    Handshake(HandshakeError),
    /// The connection failed after (or during) the handshake: the peer broke the
    /// protocol, a timer expired (handshake, close, keepalive), or it was aborted.
    Protocol(websock_core::Error),
    /// A send was refused: [`SendError::Full`] from `try_send` (wait, or use `send`),
    /// a control payload over 125 bytes, or fragments out of order.
    Send(SendError),
    /// The connection is closing or closed: nothing more can be sent or received.
    Closed,
}

impl Error {
    /// Maps a failure the engine reported in [`websock_core::Event::Error`].
    pub(crate) fn from_core(e: websock_core::Error) -> Error {
        match e {
            websock_core::Error::Handshake(h) => Error::Handshake(h),
            other => Error::Protocol(other),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            #[cfg(feature = "tls")]
            Error::Tls(e) => write!(f, "TLS error: {e}"),
            Error::Url(e) => write!(f, "invalid WebSocket URL: {e}"),
            Error::Api(e) => write!(f, "invalid call: {e}"),
            Error::Handshake(e) => write!(f, "opening handshake failed: {e}"),
            Error::Protocol(e) => write!(f, "connection failed: {e}"),
            Error::Send(e) => write!(f, "send refused: {e}"),
            Error::Closed => f.write_str("the connection is closed"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            #[cfg(feature = "tls")]
            Error::Tls(e) => Some(e),
            Error::Url(e) | Error::Api(e) => Some(e),
            Error::Handshake(e) => Some(e),
            Error::Protocol(e) => Some(e),
            Error::Send(e) => Some(e),
            Error::Closed => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(e)
    }
}

#[cfg(feature = "tls")]
impl From<rustls::Error> for Error {
    fn from(e: rustls::Error) -> Self {
        Error::Tls(e)
    }
}

/// A `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
