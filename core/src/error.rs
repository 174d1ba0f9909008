//! The error vocabulary, split by who is at fault.
//!
//! * [`ApiError`]: the caller misused the API. Each variant maps to the browser's
//!   `DOMException` name (`InvalidStateError`, ...). Nothing was sent; fix the call.
//! * [`ProtocolError`]: the peer broke RFC 6455. Carries the close code the engine
//!   sends before it drops the connection.
//! * [`HandshakeError`]: the opening handshake failed (either side's fault; see the variant).
//! * [`Error`]: what a connection reports in [`crate::Event::Error`].
//!
//! The transport's own errors (`io::Error`) never reach this crate: adapters own them.

use alloc::string::String;
use core::fmt;

/// Misuse of the API by the caller, named like the browser's `DOMException`s.
///
/// The command that returned it had no effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiError {
    /// `SyntaxError`: a malformed argument (URL, protocol token, oversized close reason,
    /// unpaired surrogate).
    Syntax,
    /// `SecurityError`: the URL's port is on the Fetch standard's list of blocked ports.
    Security,
    /// `InvalidAccessError`: a close code the API does not accept (only 1000 and 3000-4999).
    InvalidAccess,
    /// `InvalidStateError`: the command is not allowed in the connection's current state
    /// (for example `send` while CONNECTING).
    InvalidState,
}

impl ApiError {
    /// The browser's `DOMException` name for this error, e.g. `"SyntaxError"`.
    pub const fn name(self) -> &'static str {
        match self {
            ApiError::Syntax => "SyntaxError",
            ApiError::Security => "SecurityError",
            ApiError::InvalidAccess => "InvalidAccessError",
            ApiError::InvalidState => "InvalidStateError",
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ApiError {}

/// The peer violated the protocol. The engine has queued a Close frame with
/// [`ProtocolError::close_code`] and is failing the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProtocolError {
    /// A reserved (RSV) bit was set without an extension that defines it. Close code 1002.
    ReservedBits,
    /// A reserved opcode (3-7, 0xB-0xF). 1002.
    ReservedOpcode,
    /// A control frame with a payload over 125 bytes. 1002.
    ControlFrameTooLong,
    /// A fragmented control frame (FIN clear). 1002.
    FragmentedControlFrame,
    /// A continuation frame with no message in progress. 1002.
    UnexpectedContinuation,
    /// A new text/binary frame while a fragmented message is in progress. 1002.
    ExpectedContinuation,
    /// A client sent an unmasked frame to a server. 1002.
    UnmaskedFrame,
    /// A server sent a masked frame to a client. 1002.
    MaskedFrame,
    /// A 64-bit payload length with its most significant bit set. 1002.
    InvalidLength,
    /// A close frame whose body is exactly one byte. 1002.
    InvalidCloseBody,
    /// A close code that may not appear on the wire (0-999, 1004-1006, 1015, 1016-2999, 5000+). 1002.
    InvalidCloseCode,
    /// A text message or close reason that is not valid UTF-8. 1007.
    InvalidUtf8,
    /// A frame larger than the configured maximum frame size. 1009.
    FrameTooLarge,
    /// A message larger than the configured maximum message size. 1009.
    MessageTooLarge,
    /// A message split into more fragments than the configured maximum. 1009.
    TooManyFragments,
    /// permessage-deflate: a compressed message is not valid DEFLATE data. 1007.
    InvalidCompressedData,
}

impl ProtocolError {
    /// The close code the engine sends for this error (RFC 6455 §7.4.1).
    pub const fn close_code(self) -> u16 {
        match self {
            ProtocolError::InvalidUtf8 | ProtocolError::InvalidCompressedData => 1007,
            ProtocolError::FrameTooLarge
            | ProtocolError::MessageTooLarge
            | ProtocolError::TooManyFragments => 1009,
            _ => 1002,
        }
    }

    /// A short reason, sent as the Close frame's reason.
    pub const fn reason(self) -> &'static str {
        match self {
            ProtocolError::ReservedBits => "reserved bits set",
            ProtocolError::ReservedOpcode => "reserved opcode",
            ProtocolError::ControlFrameTooLong => "control frame too long",
            ProtocolError::FragmentedControlFrame => "fragmented control frame",
            ProtocolError::UnexpectedContinuation => "unexpected continuation frame",
            ProtocolError::ExpectedContinuation => "expected continuation frame",
            ProtocolError::UnmaskedFrame => "unmasked client frame",
            ProtocolError::MaskedFrame => "masked server frame",
            ProtocolError::InvalidLength => "invalid payload length",
            ProtocolError::InvalidCloseBody => "invalid close frame body",
            ProtocolError::InvalidCloseCode => "invalid close code",
            ProtocolError::InvalidUtf8 => "invalid UTF-8",
            ProtocolError::FrameTooLarge => "frame too large",
            ProtocolError::MessageTooLarge => "message too large",
            ProtocolError::TooManyFragments => "too many fragments",
            ProtocolError::InvalidCompressedData => "invalid compressed data",
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "protocol error ({}): {}",
            self.close_code(),
            self.reason()
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ProtocolError {}

/// The opening handshake failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandshakeError {
    /// The HTTP message could not be parsed (peer's fault).
    MalformedHttp,
    /// The HTTP head exceeded the configured byte limit (peer's fault).
    TooLarge,
    /// The HTTP head had more headers than the configured limit (peer's fault).
    TooManyHeaders,
    /// Server role: the request was not acceptable; the engine answers with this HTTP status.
    /// The string says what was wrong.
    BadRequest {
        /// HTTP status sent to the client (400, 405, 426, ...).
        status: u16,
        /// What was wrong with the request.
        reason: &'static str,
    },
    /// Client role: the server answered with a status other than 101.
    UnexpectedStatus(u16),
    /// Client role: the response violates RFC 6455 §4.1 (the string says which rule).
    InvalidResponse(&'static str),
    /// Client role: the server selected a subprotocol the client did not offer, or none
    /// when some were requested.
    ProtocolMismatch(String),
    /// Client role: the server selected an extension the client did not offer.
    ExtensionMismatch(String),
    /// Server role: the application rejected the request with this status.
    Rejected(u16),
    /// The stream ended before the handshake completed.
    UnexpectedEof,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::MalformedHttp => f.write_str("malformed HTTP message"),
            HandshakeError::TooLarge => f.write_str("HTTP head too large"),
            HandshakeError::TooManyHeaders => f.write_str("too many HTTP headers"),
            HandshakeError::BadRequest { status, reason } => {
                write!(f, "bad handshake request ({status}): {reason}")
            }
            HandshakeError::UnexpectedStatus(s) => write!(f, "unexpected HTTP status {s}"),
            HandshakeError::InvalidResponse(r) => write!(f, "invalid handshake response: {r}"),
            HandshakeError::ProtocolMismatch(p) => write!(f, "subprotocol mismatch: {p}"),
            HandshakeError::ExtensionMismatch(e) => write!(f, "extension mismatch: {e}"),
            HandshakeError::Rejected(s) => write!(f, "handshake rejected with status {s}"),
            HandshakeError::UnexpectedEof => f.write_str("stream ended during the handshake"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for HandshakeError {}

/// Why a connection failed, as reported by [`crate::Event::Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The peer broke the protocol; a Close frame with its code was sent.
    Protocol(ProtocolError),
    /// The opening handshake failed.
    Handshake(HandshakeError),
    /// The opening handshake did not complete before its deadline.
    HandshakeTimeout,
    /// The peer did not answer our Close frame before the close timeout.
    CloseTimeout,
    /// No pong arrived within the keepalive timeout.
    KeepaliveTimeout,
    /// The peer took none of our queued bytes for
    /// [`Timeouts::write_stall`](crate::Timeouts::write_stall): it stopped reading.
    WriteStalled,
    /// The transport ended without a closing handshake.
    ConnectionLost,
    /// The transport failed (a read or write error, reported by the driver with
    /// [`crate::Connection::handle_transport_error`]).
    TransportFailed,
    /// The browser face's send buffer overflowed (the browser's "buffer is full"
    /// failure: the connection is closed without a closing handshake).
    SendQueueFull,
    /// The application aborted the connection (or closed it while CONNECTING).
    Aborted,
    /// permessage-deflate: compressing an outgoing message failed (an internal error;
    /// a Close frame with 1011 was sent).
    CompressionFailed,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Protocol(e) => e.fmt(f),
            Error::Handshake(e) => e.fmt(f),
            Error::HandshakeTimeout => f.write_str("opening handshake timed out"),
            Error::CloseTimeout => f.write_str("closing handshake timed out"),
            Error::KeepaliveTimeout => f.write_str("keepalive pong not received in time"),
            Error::WriteStalled => f.write_str("the peer stopped reading what we send"),
            Error::ConnectionLost => f.write_str("connection lost without a closing handshake"),
            Error::TransportFailed => f.write_str("the transport failed"),
            Error::SendQueueFull => f.write_str("send queue full"),
            Error::Aborted => f.write_str("aborted by the application"),
            Error::CompressionFailed => f.write_str("compressing a message failed"),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

impl From<ProtocolError> for Error {
    fn from(e: ProtocolError) -> Self {
        Error::Protocol(e)
    }
}

impl From<HandshakeError> for Error {
    fn from(e: HandshakeError) -> Self {
        Error::Handshake(e)
    }
}
