//! permessage-deflate errors: a bad negotiation, a bad compressed message, a failed
//! compression.

use alloc::string::{String, ToString};
use core::fmt;

use crate::error::{HandshakeError, ProtocolError};

/// The server's permessage-deflate response could not be accepted (RFC 7692 §5:
/// the client must _Fail the WebSocket Connection_).
///
/// On the server side the same checks make an offer *declined*, never an error:
/// [`server_negotiate`](super::server_negotiate) skips to the next offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeflateNegotiationError {
    /// A parameter RFC 7692 does not define (its name as received).
    UnknownParameter(String),
    /// The same parameter twice in one element.
    DuplicateParameter(&'static str),
    /// A value that is malformed or out of range: a window size that is not a decimal
    /// 8..=15 without leading zeroes (`7`, `16`, `abc`, `08`), a missing one
    /// (`server_max_window_bits` alone, or `client_max_window_bits` alone in a
    /// response), or a value on a parameter that takes none (`*_no_context_takeover`).
    InvalidValue(&'static str),
    /// A parameter that was not offered and may only answer an offer
    /// (`client_max_window_bits` in a response to an offer without it).
    UnexpectedParameter(&'static str),
    /// A parameter the offer asked for is missing from the response
    /// (`server_no_context_takeover` or `server_max_window_bits` that the client
    /// requested).
    MissingParameter(&'static str),
    /// A window size larger than the one offered.
    WindowTooLarge(&'static str),
    /// More than one permessage-deflate element in the response.
    MultipleResponses,
    /// The response accepts permessage-deflate, which was not offered (disabled).
    NotOffered,
}

impl fmt::Display for DeflateNegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("permessage-deflate: ")?;
        match self {
            Self::UnknownParameter(p) => write!(f, "unknown parameter {p:?}"),
            Self::DuplicateParameter(p) => write!(f, "duplicate parameter {p}"),
            Self::InvalidValue(p) => write!(f, "invalid value for {p}"),
            Self::UnexpectedParameter(p) => write!(f, "{p} was not offered"),
            Self::MissingParameter(p) => write!(f, "requested {p} missing from the response"),
            Self::WindowTooLarge(p) => write!(f, "{p} larger than offered"),
            Self::MultipleResponses => f.write_str("accepted more than once"),
            Self::NotOffered => f.write_str("accepted but not offered"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DeflateNegotiationError {}

/// A bad response fails the opening handshake as an extension mismatch whose text says
/// what was wrong.
impl From<DeflateNegotiationError> for HandshakeError {
    fn from(e: DeflateNegotiationError) -> Self {
        HandshakeError::ExtensionMismatch(e.to_string())
    }
}

/// A compressed message could not be inflated. The connection must fail with
/// [`close_code`](Self::close_code); the [`Inflater`](super::Inflater) that returned
/// it is unusable afterwards (every later call returns the same error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InflateError {
    /// The message inflates to more than the limit. Close code 1009 (the same as
    /// [`ProtocolError::MessageTooLarge`], which the connection can report).
    TooLarge,
    /// The compressed data is not valid DEFLATE (or refers to data outside the
    /// negotiated window). Close code 1007.
    Corrupt,
}

impl InflateError {
    /// The close code to fail the connection with: 1009 for [`TooLarge`](Self::TooLarge),
    /// 1007 ("inconsistent payload data", as Node's `ws` uses) for
    /// [`Corrupt`](Self::Corrupt). RFC 7692 §8 only says to fail the connection.
    pub const fn close_code(self) -> u16 {
        match self {
            InflateError::TooLarge => 1009,
            InflateError::Corrupt => 1007,
        }
    }

    /// A short reason for the Close frame.
    pub const fn reason(self) -> &'static str {
        match self {
            InflateError::TooLarge => "message too large",
            InflateError::Corrupt => "invalid compressed data",
        }
    }

    /// The matching [`ProtocolError`], where one exists: `TooLarge` is
    /// [`ProtocolError::MessageTooLarge`]; `Corrupt` has none yet (1007 with its own
    /// reason; see [`close_code`](Self::close_code)).
    pub const fn protocol_error(self) -> Option<ProtocolError> {
        match self {
            InflateError::TooLarge => Some(ProtocolError::MessageTooLarge),
            InflateError::Corrupt => None,
        }
    }
}

impl fmt::Display for InflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.reason(), self.close_code())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for InflateError {}

/// The compressor failed. zlib-rs reports errors only for misuse of its stream (a bad
/// flush order or state), which [`Deflater`](super::Deflater) never does, so this is
/// an internal error: fail the connection with 1011. Nothing was appended to the output
/// and the compression context was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CompressError;

impl CompressError {
    /// 1011, internal error.
    pub const fn close_code(self) -> u16 {
        1011
    }
}

impl fmt::Display for CompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("permessage-deflate: compression failed")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for CompressError {}

/// Any permessage-deflate error, for callers that want one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeflateError {
    /// The opening handshake's negotiation failed.
    Negotiation(DeflateNegotiationError),
    /// A received message could not be inflated.
    Inflate(InflateError),
    /// A message could not be compressed.
    Compress(CompressError),
}

impl fmt::Display for DeflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeflateError::Negotiation(e) => e.fmt(f),
            DeflateError::Inflate(e) => write!(f, "permessage-deflate: {e}"),
            DeflateError::Compress(e) => e.fmt(f),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for DeflateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DeflateError::Negotiation(e) => Some(e),
            DeflateError::Inflate(e) => Some(e),
            DeflateError::Compress(e) => Some(e),
        }
    }
}

impl From<DeflateNegotiationError> for DeflateError {
    fn from(e: DeflateNegotiationError) -> Self {
        DeflateError::Negotiation(e)
    }
}

impl From<InflateError> for DeflateError {
    fn from(e: InflateError) -> Self {
        DeflateError::Inflate(e)
    }
}

impl From<CompressError> for DeflateError {
    fn from(e: CompressError) -> Self {
        DeflateError::Compress(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn display_and_codes() {
        assert_eq!(InflateError::TooLarge.close_code(), 1009);
        assert_eq!(InflateError::Corrupt.close_code(), 1007);
        assert_eq!(
            InflateError::TooLarge
                .protocol_error()
                .map(|e| e.close_code()),
            Some(1009)
        );
        assert_eq!(InflateError::Corrupt.protocol_error(), None);
        assert_eq!(
            format!("{}", InflateError::Corrupt),
            "invalid compressed data (1007)"
        );
        assert_eq!(CompressError.close_code(), 1011);
        let e = DeflateNegotiationError::UnknownParameter("x".into());
        assert_eq!(e.to_string(), "permessage-deflate: unknown parameter \"x\"");
        assert_eq!(
            HandshakeError::from(DeflateNegotiationError::MultipleResponses),
            HandshakeError::ExtensionMismatch("permessage-deflate: accepted more than once".into())
        );
        let all = DeflateError::from(InflateError::TooLarge);
        assert_eq!(
            all.to_string(),
            "permessage-deflate: message too large (1009)"
        );
        assert_eq!(DeflateError::from(e.clone()), DeflateError::Negotiation(e));
        assert_eq!(
            DeflateError::from(CompressError).to_string(),
            CompressError.to_string()
        );
    }
}
