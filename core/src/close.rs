//! Close codes and Close frame bodies (RFC 6455 §5.5.1, §7.4).

use alloc::vec::Vec;

use crate::error::ProtocolError;

/// 1000: normal closure.
pub const NORMAL: u16 = 1000;
/// 1001: the endpoint is going away.
pub const GOING_AWAY: u16 = 1001;
/// 1002: protocol error.
pub const PROTOCOL_ERROR: u16 = 1002;
/// 1003: data of a type the endpoint cannot accept.
pub const UNSUPPORTED_DATA: u16 = 1003;
/// 1005: no status code was present (reported, never sent).
pub const NO_STATUS: u16 = 1005;
/// 1006: closed abnormally, without a Close frame (reported, never sent).
pub const ABNORMAL: u16 = 1006;
/// 1007: invalid payload data (e.g. invalid UTF-8).
pub const INVALID_PAYLOAD: u16 = 1007;
/// 1008: policy violation.
pub const POLICY_VIOLATION: u16 = 1008;
/// 1009: message too big.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// 1010: the client expected an extension the server did not negotiate.
pub const MANDATORY_EXTENSION: u16 = 1010;
/// 1011: the server hit an unexpected condition.
pub const INTERNAL_ERROR: u16 = 1011;

/// Longest close reason, in UTF-8 bytes (a control frame's 125 bytes less the code).
pub const MAX_REASON_LEN: usize = 123;

/// Whether `code` may appear in a Close frame on the wire: 1000-1003, 1007-1014 and
/// 3000-4999. Any other received code is a protocol error (1002).
pub const fn is_valid_on_wire(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Whether the browser's `close(code)` accepts `code`: 1000 or 3000-4999.
pub const fn is_allowed_by_browser_api(code: u16) -> bool {
    matches!(code, 1000 | 3000..=4999)
}

/// A parsed Close frame body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseBody<'a> {
    /// The status code; `None` for an empty body (reported as 1005).
    pub code: Option<u16>,
    /// The reason, valid UTF-8 (empty when absent).
    pub reason: &'a str,
}

impl CloseBody<'_> {
    /// The code to report to the application: the received code, or 1005 when absent.
    pub fn reported_code(&self) -> u16 {
        self.code.unwrap_or(NO_STATUS)
    }
}

/// Parse a received Close frame's payload. A 1-byte body or a code not valid on the
/// wire is a protocol error (1002); a reason that is not UTF-8 is 1007.
pub fn parse_close_body(payload: &[u8]) -> Result<CloseBody<'_>, ProtocolError> {
    match payload {
        [] => Ok(CloseBody {
            code: None,
            reason: "",
        }),
        [_] => Err(ProtocolError::InvalidCloseBody),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !is_valid_on_wire(code) {
                return Err(ProtocolError::InvalidCloseCode);
            }
            let reason = crate::utf8::validate(reason).map_err(|_| ProtocolError::InvalidUtf8)?;
            Ok(CloseBody {
                code: Some(code),
                reason,
            })
        }
    }
}

/// Append a Close frame body (code then reason) to `out`. No code means an empty body.
/// The caller has checked the reason's length.
pub fn encode_close_body(code: Option<u16>, reason: &str, out: &mut Vec<u8>) {
    if let Some(code) = code {
        out.extend_from_slice(&code.to_be_bytes());
        out.extend_from_slice(reason.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_code_classification() {
        for code in 0..=u16::MAX {
            let expected = (1000..=1003).contains(&code)
                || (1007..=1014).contains(&code)
                || (3000..=4999).contains(&code);
            assert_eq!(is_valid_on_wire(code), expected, "{code}");
        }
        for bad in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            assert!(!is_valid_on_wire(bad));
        }
    }

    #[test]
    fn browser_api_codes() {
        assert!(is_allowed_by_browser_api(1000));
        assert!(is_allowed_by_browser_api(3000));
        assert!(is_allowed_by_browser_api(4999));
        for bad in [999, 1001, 1002, 1011, 2999, 5000] {
            assert!(!is_allowed_by_browser_api(bad));
        }
    }

    #[test]
    fn body_rules() {
        assert_eq!(parse_close_body(b"").unwrap().reported_code(), 1005);
        assert_eq!(
            parse_close_body(b"\x03"),
            Err(ProtocolError::InvalidCloseBody)
        );
        assert_eq!(
            parse_close_body(b"\x03\xed"),
            Err(ProtocolError::InvalidCloseCode)
        );
        assert_eq!(
            parse_close_body(b"\x03\xe8\xff"),
            Err(ProtocolError::InvalidUtf8)
        );
        let b = parse_close_body(b"\x0f\xa0bye").unwrap();
        assert_eq!((b.code, b.reason), (Some(4000), "bye"));
    }

    #[test]
    fn encode_round_trip() {
        let mut out = Vec::new();
        encode_close_body(Some(1000), "done", &mut out);
        let b = parse_close_body(&out).unwrap();
        assert_eq!((b.code, b.reason), (Some(1000), "done"));
        out.clear();
        encode_close_body(None, "", &mut out);
        assert!(out.is_empty());
    }
}
