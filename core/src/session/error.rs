//! The runtime adapters' error type: who is at fault, and what to do about it.

use alloc::boxed::Box;
use core::fmt;
use std::io;

use crate::{ApiError, HandshakeError, SendError};

/// Everything that can go wrong with a connection driven by a runtime adapter; the
/// same failure is the same variant in every runtime.
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
    /// TLS could not be set up (bad server name, certificate or key; a failed TLS
    /// handshake). The error is the TLS library's.
    Tls(Box<dyn std::error::Error + Send + Sync>),
    /// The URL or the subprotocol list was refused by the browser's rules
    /// (`SyntaxError`, or `SecurityError` for a blocked port), or names `wss://` without
    /// TLS support. Nothing was sent.
    Url(ApiError),
    /// Another call was misused (a close code or reason the rules refuse, a header
    /// that would corrupt the handshake, a subprotocol the client did not offer).
    /// Nothing happened.
    Api(ApiError),
    /// The opening handshake failed (rejected by the server, bad response, ...).
    Handshake(HandshakeError),
    /// The connection failed after (or during) the handshake: the peer broke the
    /// protocol, a timer expired (handshake, close, keepalive), or it was aborted.
    Protocol(crate::Error),
    /// A send was refused: [`SendError::Full`] from `try_send` (wait, or use `send`),
    /// a control payload over 125 bytes, or fragments out of order.
    Send(SendError),
    /// The connection is closing or closed: nothing more can be sent or received.
    Closed,
}

/// A `Result` with the adapters' [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    /// The error for a failure the engine reported ([`crate::Event::Error`]), given the
    /// transport's own error if the driver kept one.
    ///
    /// The rule, the same in every runtime: when the engine's failure is the
    /// transport's doing (the stream ended or failed: [`crate::Error::ConnectionLost`],
    /// [`crate::Error::TransportFailed`], [`HandshakeError::UnexpectedEof`]) and the
    /// driver kept the transport's error, that error is reported ([`Error::from_io`]);
    /// otherwise the engine's ([`Error::Handshake`] for handshake failures,
    /// [`Error::Protocol`] for the rest).
    pub fn from_failure(e: crate::Error, transport: Option<io::Error>) -> Error {
        match (e, transport) {
            (
                crate::Error::ConnectionLost
                | crate::Error::TransportFailed
                | crate::Error::Handshake(HandshakeError::UnexpectedEof),
                Some(io),
            ) => Error::from_io(io),
            (crate::Error::Handshake(h), _) => Error::Handshake(h),
            (other, _) => Error::Protocol(other),
        }
    }

    /// The error for a transport's `io::Error`: [`Error::Tls`] when rustls failed inside
    /// it (a refused certificate, a failed TLS handshake; with the `rustls` feature),
    /// else [`Error::Io`].
    pub fn from_io(e: io::Error) -> Error {
        #[cfg(feature = "rustls")]
        if e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
            return match e.into_inner() {
                Some(tls) => Error::Tls(tls),
                None => Error::Io(io::ErrorKind::InvalidData.into()),
            };
        }
        Error::Io(e)
    }

    /// The error for a refused send: [`SendError::Closed`] is [`Error::Closed`].
    pub fn from_send(e: SendError) -> Error {
        match e {
            SendError::Closed => Error::Closed,
            other => Error::Send(other),
        }
    }

    /// The error for a streamed message cut short: the connection closed before its
    /// end ([`Error::Io`] with [`io::ErrorKind::UnexpectedEof`]).
    pub fn message_cut_short() -> Error {
        Error::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the connection closed before the message ended",
        ))
    }

    /// This error as an `io::Error`, for `Read` / `Write` and their async forms: the
    /// transport's own error as it was; [`Error::Closed`] as `NotConnected`; invalid
    /// UTF-8 written to a text message as `InvalidData`; the rest as `Other`, wrapping
    /// this error.
    pub fn into_io(self) -> io::Error {
        match self {
            Error::Io(e) => e,
            Error::Closed => io::ErrorKind::NotConnected.into(),
            e @ Error::Send(SendError::InvalidUtf8) => {
                io::Error::new(io::ErrorKind::InvalidData, e)
            }
            e => io::Error::other(e),
        }
    }

    /// A TLS library's error.
    pub fn tls(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
        Error::Tls(e.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "I/O error: {e}"),
            Error::Tls(e) => write!(f, "TLS error: {e}"),
            Error::Url(e) => write!(f, "invalid WebSocket URL or subprotocols: {e}"),
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
            Error::Tls(e) => Some(&**e),
            Error::Url(e) | Error::Api(e) => Some(e),
            Error::Handshake(e) => Some(e),
            Error::Protocol(e) => Some(e),
            Error::Send(e) => Some(e),
            Error::Closed => None,
        }
    }
}

impl From<io::Error> for Error {
    /// As [`Error::from_io`].
    fn from(e: io::Error) -> Self {
        Error::from_io(e)
    }
}

impl From<ApiError> for Error {
    /// A misused call ([`Error::Api`]); URL and subprotocol checks map to
    /// [`Error::Url`] explicitly.
    fn from(e: ApiError) -> Self {
        Error::Api(e)
    }
}
