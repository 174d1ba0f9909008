//! The crate's error type, split by who is at fault.

use std::fmt;
use std::io;

use websock_core::{ApiError, HandshakeError, SendError};

/// What went wrong with a connection, by who is at fault and what to do next.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed (DNS, refused, reset, ...): the connection is over.
    Io(io::Error),
    /// The TLS layer failed (bad certificate, invalid server name, ...).
    #[cfg(feature = "tls")]
    Tls(rustls::Error),
    /// The URL was refused by the browser's rules (`SyntaxError`, or `SecurityError` for
    /// a blocked port), or names `wss://` without the `tls` feature.
    Url(ApiError),
    /// A call was misused (a close code or reason the rules refuse, a header that would
    /// corrupt the handshake, a subprotocol the client did not offer). Nothing happened.
    Api(ApiError),
    /// The opening handshake failed (rejected with an HTTP status, bad response, ...).
    Handshake(HandshakeError),
    /// The engine failed the connection (protocol violation by the peer, timeout,
    /// keepalive, ...). The connection is over.
    Protocol(websock_core::Error),
    /// A send was refused without effect: [`SendError::Full`] (backpressure: wait and
    /// retry), [`SendError::ControlFrameTooLong`], [`SendError::FragmentOrder`].
    Send(SendError),
    /// The connection is closing or closed: stop using it.
    Closed,
}

impl Error {
    /// Maps an engine error: handshake failures become [`Error::Handshake`], the rest
    /// [`Error::Protocol`].
    pub(crate) fn from_core(e: websock_core::Error) -> Error {
        match e {
            websock_core::Error::Handshake(h) => Error::Handshake(h),
            other => Error::Protocol(other),
        }
    }

    /// Maps a transport error, unwrapping a TLS error carried inside it.
    pub(crate) fn from_io(e: io::Error) -> Error {
        #[cfg(feature = "tls")]
        {
            if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
                if let Some(inner) = e.into_inner() {
                    if let Ok(tls) = inner.downcast::<rustls::Error>() {
                        return Error::Tls(*tls);
                    }
                }
                return Error::Io(io::Error::other("TLS error"));
            }
        }
        Error::Io(e)
    }

    /// Maps a refused send: `Closed` becomes [`Error::Closed`].
    pub(crate) fn from_send(e: SendError) -> Error {
        match e {
            SendError::Closed => Error::Closed,
            other => Error::Send(other),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            #[cfg(feature = "tls")]
            Error::Tls(e) => write!(f, "TLS error: {e}"),
            Error::Url(e) => write!(f, "invalid URL or request: {e}"),
            Error::Api(e) => write!(f, "invalid argument: {e}"),
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
        Error::from_io(e)
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Url(e)
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
