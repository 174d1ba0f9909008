//! The adapter's error type: who is at fault, and what to do about it.

use std::fmt;
use std::io;

use websock_core::{ApiError, HandshakeError, SendError};

/// Everything that can go wrong with a connection driven by this crate.
///
/// The variants say whose fault it was:
///
/// * [`Error::Io`]: the transport (socket, OS) failed. The connection is over.
/// * [`Error::Tls`]: the TLS layer failed (bad certificate, handshake failure).
/// * [`Error::Url`]: the URL or subprotocol list given to `connect` is invalid
///   (the browser's `SyntaxError` / `SecurityError`). Nothing was sent.
/// * [`Error::Api`]: another misuse (a close code the engine does not send, a
///   subprotocol the client did not offer). The call had no effect.
/// * [`Error::Handshake`]: the opening handshake failed (either side; see the variant).
/// * [`Error::Protocol`]: the engine failed the connection (the peer broke RFC 6455, a
///   timeout, a lost connection). A Close frame was sent where the protocol asks for one.
/// * [`Error::Send`]: the engine refused a send without failing the connection:
///   [`SendError::Full`] means "retry later" (backpressure).
/// * [`Error::Closed`]: the connection is closing or closed; stop using it.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed.
    Io(io::Error),
    /// TLS failed.
    #[cfg(feature = "tls")]
    Tls(rustls::Error),
    /// The URL (or the subprotocol list) was rejected by the browser's rules.
    Url(ApiError),
    /// An argument was rejected (close code or reason, accepted subprotocol, header).
    Api(ApiError),
    /// The opening handshake failed.
    Handshake(HandshakeError),
    /// The engine failed the connection.
    Protocol(websock_core::Error),
    /// The engine refused to queue a send (nothing was queued).
    Send(SendError),
    /// The connection is closing or closed.
    Closed,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            #[cfg(feature = "tls")]
            Error::Tls(e) => write!(f, "TLS error: {e}"),
            Error::Url(e) => write!(f, "invalid URL or subprotocols: {e}"),
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
    /// An I/O error, unwrapped to [`Error::Tls`] when rustls caused it.
    fn from(e: io::Error) -> Self {
        #[cfg(feature = "tls")]
        if let Some(tls) = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Error::Tls(tls.clone());
        }
        Error::Io(e)
    }
}

impl From<websock_core::Error> for Error {
    /// A handshake failure becomes [`Error::Handshake`]; everything else [`Error::Protocol`].
    fn from(e: websock_core::Error) -> Self {
        match e {
            websock_core::Error::Handshake(h) => Error::Handshake(h),
            other => Error::Protocol(other),
        }
    }
}

impl From<SendError> for Error {
    /// [`SendError::Closed`] becomes [`Error::Closed`]; the rest [`Error::Send`].
    fn from(e: SendError) -> Self {
        match e {
            SendError::Closed => Error::Closed,
            other => Error::Send(other),
        }
    }
}
