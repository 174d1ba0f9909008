//! [`ProxyError`]: why a proxy tunnel could not be opened, by who is at fault.

use alloc::string::String;
use core::fmt;

/// Why a tunnel through a proxy could not be opened.
///
/// Who is at fault:
///
/// * **the caller**: [`InvalidUrl`](Self::InvalidUrl), [`InvalidTarget`](Self::InvalidTarget)
///   (nothing was sent);
/// * **the proxy refused**: [`HttpStatus`](Self::HttpStatus),
///   [`Socks5NoAcceptableMethod`](Self::Socks5NoAcceptableMethod),
///   [`Socks5AuthFailed`](Self::Socks5AuthFailed), [`Socks5Refused`](Self::Socks5Refused);
/// * **the proxy broke its protocol**: [`Malformed`](Self::Malformed),
///   [`TooLarge`](Self::TooLarge), [`Closed`](Self::Closed).
///
/// The runtimes report it as their `Error::Io`, whose `io::Error` carries this value
/// (`io_error.get_ref().and_then(|e| e.downcast_ref::<ProxyError>())`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyError {
    /// The proxy URL or its credentials are not usable (the caller's mistake).
    InvalidUrl(&'static str),
    /// The destination cannot be expressed to the proxy (for example a SOCKS5 domain
    /// name over 255 bytes).
    InvalidTarget(&'static str),
    /// The HTTP proxy answered the `CONNECT` with a status other than 2xx (407: it wants
    /// `Proxy-Authorization`, or refused the credentials given).
    HttpStatus {
        /// The status code.
        status: u16,
        /// The reason phrase, as sent.
        reason: String,
    },
    /// The SOCKS5 proxy accepts none of the authentication methods offered (RFC 1928
    /// method `0xFF`): it wants credentials, or other ones.
    Socks5NoAcceptableMethod,
    /// The SOCKS5 proxy refused the username and password (RFC 1929), with this status.
    Socks5AuthFailed {
        /// The status byte (non-zero).
        status: u8,
    },
    /// The SOCKS5 proxy refused the `CONNECT` with this reply code (RFC 1928 section 6:
    /// 0x01 general failure, 0x02 not allowed by ruleset, 0x03 network unreachable,
    /// 0x04 host unreachable, 0x05 connection refused, 0x06 TTL expired, 0x07 command
    /// not supported, 0x08 address type not supported).
    Socks5Refused {
        /// The reply code (non-zero).
        reply: u8,
    },
    /// The proxy's reply does not follow its protocol.
    Malformed(&'static str),
    /// The HTTP proxy's reply head is longer than the limit (in bytes) without ending.
    TooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// The proxy closed the connection before its reply was complete.
    Closed,
}

impl ProxyError {
    /// Whether the proxy answered, and refused (a non-2xx status, a SOCKS5 refusal, no
    /// acceptable or failed authentication), as opposed to a malformed reply or a
    /// configuration mistake.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            ProxyError::HttpStatus { .. }
                | ProxyError::Socks5NoAcceptableMethod
                | ProxyError::Socks5AuthFailed { .. }
                | ProxyError::Socks5Refused { .. }
        )
    }

    /// What a SOCKS5 reply code means (RFC 1928 section 6).
    pub fn socks5_reply_message(reply: u8) -> &'static str {
        match reply {
            0x00 => "succeeded",
            0x01 => "general SOCKS server failure",
            0x02 => "connection not allowed by ruleset",
            0x03 => "network unreachable",
            0x04 => "host unreachable",
            0x05 => "connection refused",
            0x06 => "TTL expired",
            0x07 => "command not supported",
            0x08 => "address type not supported",
            _ => "unassigned reply code",
        }
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxyError::InvalidUrl(why) => write!(f, "invalid proxy URL: {why}"),
            ProxyError::InvalidTarget(why) => {
                write!(f, "cannot ask the proxy for this destination: {why}")
            }
            ProxyError::HttpStatus { status, reason } => {
                write!(f, "the HTTP proxy refused the CONNECT: {status}")?;
                if !reason.is_empty() {
                    write!(f, " {reason}")?;
                }
                Ok(())
            }
            ProxyError::Socks5NoAcceptableMethod => f.write_str(
                "the SOCKS5 proxy accepts none of the authentication methods offered \
                 (does it require a username and password?)",
            ),
            ProxyError::Socks5AuthFailed { status } => write!(
                f,
                "the SOCKS5 proxy refused the username and password (status {status:#04x})"
            ),
            ProxyError::Socks5Refused { reply } => write!(
                f,
                "the SOCKS5 proxy refused the CONNECT: {} (reply {reply:#04x})",
                ProxyError::socks5_reply_message(*reply)
            ),
            ProxyError::Malformed(why) => write!(f, "malformed reply from the proxy: {why}"),
            ProxyError::TooLarge { limit } => write!(
                f,
                "malformed reply from the proxy: its reply head exceeds {limit} bytes"
            ),
            ProxyError::Closed => {
                f.write_str("the proxy closed the connection before completing its reply")
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ProxyError {}

#[cfg(feature = "std")]
impl From<ProxyError> for std::io::Error {
    /// The error as the transport's: a refusal is `ConnectionRefused` (407 and failed
    /// SOCKS5 authentication `PermissionDenied`), a malformed reply `InvalidData`, an
    /// early close `UnexpectedEof`, a configuration mistake `InvalidInput`; the
    /// [`ProxyError`] is inside.
    fn from(e: ProxyError) -> std::io::Error {
        use std::io::ErrorKind;
        let kind = match &e {
            ProxyError::InvalidUrl(_) | ProxyError::InvalidTarget(_) => ErrorKind::InvalidInput,
            ProxyError::HttpStatus { status: 407, .. }
            | ProxyError::Socks5NoAcceptableMethod
            | ProxyError::Socks5AuthFailed { .. } => ErrorKind::PermissionDenied,
            ProxyError::HttpStatus { .. } | ProxyError::Socks5Refused { .. } => {
                ErrorKind::ConnectionRefused
            }
            ProxyError::Malformed(_) | ProxyError::TooLarge { .. } => ErrorKind::InvalidData,
            ProxyError::Closed => ErrorKind::UnexpectedEof,
        };
        std::io::Error::new(kind, e)
    }
}
