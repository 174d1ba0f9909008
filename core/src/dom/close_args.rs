//! The `close(code, reason)` method's argument rules.
//!
//! Checked in the WHATWG order: the code first, then the reason.
//!
//! * `code`, if given, must be 1000 or 3000-4999, else `InvalidAccessError`. (1001-2999 are
//!   reserved for the protocol and its extensions; a script may not send them.)
//! * `reason`, if given, must encode to at most 123 bytes of UTF-8 (a Close frame's
//!   payload is at most 125 bytes, 2 of which are the code), else `SyntaxError`.
//! * From UTF-16 (the seeds): a reason with an unpaired surrogate is a `SyntaxError`
//!   ([`validate_close_args_utf16`]). Today's standard replaces them with U+FFFD instead
//!   ([`validate_close_args_utf16_lossy`]); [`super::Compat`] picks one.
//!
//! What the state machine does next is not decided here: per the standard, a reason without
//! a code is sent with code 1000, and no code and no reason gives an empty Close body.

use alloc::string::String;
use core::char::decode_utf16;

use crate::error::ApiError;

use crate::close::{
    is_allowed_by_browser_api as is_api_close_code, MAX_REASON_LEN as MAX_REASON_BYTES,
};

fn check_code(code: Option<u16>) -> Result<(), ApiError> {
    match code {
        Some(c) if !is_api_close_code(c) => Err(ApiError::InvalidAccess),
        _ => Ok(()),
    }
}

/// Checks `close(code, reason)`'s arguments.
///
/// Errors, in this order: [`ApiError::InvalidAccess`] if `code` is given and is neither 1000
/// nor in 3000-4999; [`ApiError::Syntax`] if `reason` is longer than 123 UTF-8 bytes.
pub fn validate_close_args(code: Option<u16>, reason: Option<&str>) -> Result<(), ApiError> {
    check_code(code)?;
    match reason {
        Some(r) if r.len() > MAX_REASON_BYTES => Err(ApiError::Syntax),
        _ => Ok(()),
    }
}

/// The code of the Close frame that `close(code, reason)` sends, once
/// [`validate_close_args`] accepted the arguments (WHATWG "close the WebSocket"): `code`
/// if given; 1000 if only a reason is given (even an empty one); `None` (a Close frame
/// with no body) if neither is. Pass it with the reason (or `""`) to
/// [`Connection::close`](crate::Connection::close).
pub fn close_frame_code(code: Option<u16>, reason: Option<&str>) -> Option<u16> {
    code.or(reason.map(|_| crate::close::NORMAL))
}

/// Checks `close(code, reason)`'s arguments with the reason as UTF-16 (a script's string),
/// the seeds' way, and returns the reason as UTF-8 (empty if none was given).
///
/// Errors, in this order: [`ApiError::InvalidAccess`] for a bad code (as in
/// [`validate_close_args`]); [`ApiError::Syntax`] if the reason has an unpaired surrogate
/// or is longer than 123 UTF-8 bytes. Scans without allocating and stops as soon as the
/// reason is known to be too long, so a huge reason costs no more than 123 bytes' work.
pub fn validate_close_args_utf16(
    code: Option<u16>,
    reason: Option<&[u16]>,
) -> Result<String, ApiError> {
    check_code(code)?;
    let Some(units) = reason else {
        return Ok(String::new());
    };
    let mut out = String::new();
    for c in decode_utf16(units.iter().copied()) {
        let c = c.map_err(|_| ApiError::Syntax)?;
        if out.len() + c.len_utf8() > MAX_REASON_BYTES {
            return Err(ApiError::Syntax);
        }
        out.push(c);
    }
    Ok(out)
}

/// Checks `close(code, reason)`'s arguments with the reason as UTF-16, today's way: each
/// unpaired surrogate becomes U+FFFD (the `USVString` conversion) before the length rule,
/// and returns the reason as UTF-8 (empty if none was given).
///
/// Errors, in this order: [`ApiError::InvalidAccess`] for a bad code (as in
/// [`validate_close_args`]); [`ApiError::Syntax`] if the converted reason is longer than
/// 123 UTF-8 bytes. Like [`validate_close_args_utf16`], it stops as soon as the reason is
/// known to be too long.
pub fn validate_close_args_utf16_lossy(
    code: Option<u16>,
    reason: Option<&[u16]>,
) -> Result<String, ApiError> {
    check_code(code)?;
    let Some(units) = reason else {
        return Ok(String::new());
    };
    let mut out = String::new();
    for c in decode_utf16(units.iter().copied()) {
        let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
        if out.len() + c.len_utf8() > MAX_REASON_BYTES {
            return Err(ApiError::Syntax);
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec::Vec;

    #[test]
    fn a_reason_without_a_code_is_sent_with_1000() {
        assert_eq!(close_frame_code(None, None), None);
        assert_eq!(close_frame_code(None, Some("bye")), Some(1000));
        assert_eq!(close_frame_code(None, Some("")), Some(1000));
        assert_eq!(close_frame_code(Some(4000), Some("bye")), Some(4000));
        assert_eq!(close_frame_code(Some(3000), None), Some(3000));
    }

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn accepted_codes() {
        for code in [1000, 3000, 3999, 4000, 4999] {
            assert_eq!(validate_close_args(Some(code), None), Ok(()), "{code}");
            assert_eq!(
                validate_close_args_utf16(Some(code), None),
                Ok(String::new())
            );
        }
    }

    #[test]
    fn no_code_is_accepted() {
        assert_eq!(validate_close_args(None, None), Ok(()));
        assert_eq!(validate_close_args(None, Some("bye")), Ok(()));
        assert_eq!(
            validate_close_args_utf16(None, Some(&utf16("bye"))),
            Ok("bye".to_string())
        );
    }

    #[test]
    fn other_codes_are_invalid_access() {
        for code in [0, 999, 1001, 1005, 1006, 1015, 2999, 5000, u16::MAX] {
            assert_eq!(
                validate_close_args(Some(code), None),
                Err(ApiError::InvalidAccess),
                "{code}"
            );
            assert_eq!(
                validate_close_args_utf16(Some(code), None),
                Err(ApiError::InvalidAccess)
            );
        }
    }

    #[test]
    fn reason_of_123_bytes_is_accepted() {
        let ascii = "a".repeat(123);
        // 41 three-byte characters = 123 bytes.
        let euros = "\u{20AC}".repeat(41);
        // 30 four-byte characters + 3 ASCII = 123 bytes.
        let emoji = "\u{1F600}".repeat(30) + "abc";
        for r in [&ascii, &euros, &emoji] {
            assert_eq!(r.len(), 123);
            assert_eq!(validate_close_args(Some(1000), Some(r)), Ok(()));
            assert_eq!(
                validate_close_args_utf16(Some(1000), Some(&utf16(r))),
                Ok(r.clone())
            );
        }
    }

    #[test]
    fn reason_of_124_bytes_is_syntax_error() {
        let ascii = "a".repeat(124);
        // 41 three-byte characters + 1 ASCII = 124 bytes (only 42 characters).
        let euros = "\u{20AC}".repeat(41) + "a";
        // 31 four-byte characters = 124 bytes (62 UTF-16 units).
        let emoji = "\u{1F600}".repeat(31);
        // 62 two-byte characters = 124 bytes.
        let accents = "\u{e9}".repeat(62);
        for r in [&ascii, &euros, &emoji, &accents] {
            assert_eq!(r.len(), 124);
            assert_eq!(
                validate_close_args(Some(1000), Some(r)),
                Err(ApiError::Syntax)
            );
            assert_eq!(validate_close_args(None, Some(r)), Err(ApiError::Syntax));
            assert_eq!(
                validate_close_args_utf16(Some(1000), Some(&utf16(r))),
                Err(ApiError::Syntax)
            );
        }
    }

    #[test]
    fn code_is_checked_before_reason() {
        let long = "a".repeat(500);
        assert_eq!(
            validate_close_args(Some(1001), Some(&long)),
            Err(ApiError::InvalidAccess)
        );
        assert_eq!(
            validate_close_args_utf16(Some(1001), Some(&[0xD800])),
            Err(ApiError::InvalidAccess)
        );
    }

    #[test]
    fn surrogate_pair_in_reason_is_accepted() {
        let r = [0x62, 0xD83D, 0xDE00, 0x65];
        assert_eq!(
            validate_close_args_utf16(Some(4000), Some(&r)),
            Ok("b\u{1F600}e".to_string())
        );
    }

    #[test]
    fn unpaired_surrogate_in_reason_is_syntax_error() {
        for r in [&[0xD800][..], &[0x61, 0xDC00], &[0xD83D, 0x61]] {
            assert_eq!(
                validate_close_args_utf16(Some(1000), Some(r)),
                Err(ApiError::Syntax)
            );
            assert_eq!(
                validate_close_args_utf16(None, Some(r)),
                Err(ApiError::Syntax)
            );
        }
    }

    #[test]
    fn lossy_conversion_then_validation_is_todays_behaviour() {
        let s = crate::dom::utf16_to_string_lossy(&[0x61, 0xD800]);
        assert_eq!(s, "a\u{FFFD}");
        assert_eq!(validate_close_args(Some(1000), Some(&s)), Ok(()));
    }

    #[test]
    fn lossy_utf16_replaces_then_counts() {
        assert_eq!(
            validate_close_args_utf16_lossy(Some(1000), Some(&[0x61, 0xD800])),
            Ok("a\u{FFFD}".to_string())
        );
        assert_eq!(
            validate_close_args_utf16_lossy(Some(1001), Some(&[0x61])),
            Err(ApiError::InvalidAccess)
        );
        assert_eq!(
            validate_close_args_utf16_lossy(None, None),
            Ok(String::new())
        );
        // 41 replacements are 123 bytes, 42 are 126.
        assert!(validate_close_args_utf16_lossy(None, Some(&[0xDFFF; 41])).is_ok());
        assert_eq!(
            validate_close_args_utf16_lossy(None, Some(&[0xDFFF; 42])),
            Err(ApiError::Syntax)
        );
        let units = alloc::vec![0xD800u16; 1 << 20];
        assert_eq!(
            validate_close_args_utf16_lossy(Some(1000), Some(&units)),
            Err(ApiError::Syntax)
        );
    }

    #[test]
    fn huge_reason_is_rejected() {
        let units = alloc::vec![0x61u16; 1 << 20];
        assert_eq!(
            validate_close_args_utf16(Some(1000), Some(&units)),
            Err(ApiError::Syntax)
        );
    }
}
