//! Which edition of the browser's rules a `WebSocket` follows where the seeds (MDN's
//! pages, older than today's WHATWG standard) and the standard differ.
//!
//! | case | [`Compat::Mdn`] (default) | [`Compat::Standard`] |
//! |---|---|---|
//! | a blocked port (`ws://host:25/`) | `SecurityError` from the constructor | the constructor succeeds, nothing is dialled, then `error` and `close` (1006) |
//! | an unpaired surrogate in `send` | `SyntaxError` | replaced with U+FFFD |
//! | an unpaired surrogate in a `close` reason | `SyntaxError` | replaced with U+FFFD (then the 123-byte rule) |
//!
//! Everything else is the same in both: URL and protocol rules, close codes, the reason's
//! length, `bufferedAmount`, the events and their order.

use alloc::string::String;

use crate::dom::{
    utf16_to_string_lossy, utf16_to_string_strict, validate_close_args, validate_close_args_utf16,
    validate_close_args_utf16_lossy,
};
use crate::error::ApiError;

/// Where the seeds and today's standard differ, which one a browser `WebSocket` follows
/// (see the [module docs](self) for the cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Compat {
    /// The seeds (MDN): a blocked port throws `SecurityError` at construction; an
    /// unpaired surrogate in `send` or in a `close` reason throws `SyntaxError`.
    #[default]
    Mdn,
    /// Today's WHATWG standard (and Chromium): a blocked port fails the connection
    /// asynchronously (`error`, then `close` with 1006) without dialling; unpaired
    /// surrogates become U+FFFD (the `USVString` conversion).
    Standard,
}

impl Compat {
    /// Whether a blocked port is refused by the constructor (`SecurityError`), rather
    /// than failing the connection after it returned.
    pub const fn throws_for_blocked_port(self) -> bool {
        matches!(self, Compat::Mdn)
    }

    /// A script's string (UTF-16) as the text `send` sends: with an unpaired surrogate,
    /// `SyntaxError` ([`Compat::Mdn`]) or U+FFFD in its place ([`Compat::Standard`]).
    ///
    /// # Errors
    ///
    /// [`ApiError::Syntax`] for an unpaired surrogate under [`Compat::Mdn`].
    pub fn text_from_utf16(self, units: &[u16]) -> Result<String, ApiError> {
        match self {
            Compat::Mdn => utf16_to_string_strict(units),
            Compat::Standard => Ok(utf16_to_string_lossy(units)),
        }
    }

    /// Checks `close(code, reason)`'s arguments with the reason as UTF-16, and returns
    /// the reason as UTF-8 (`None` if none was given: a `close()` without a reason sends
    /// no code either, unless one is given).
    ///
    /// # Errors
    ///
    /// In this order: [`ApiError::InvalidAccess`] for a code other than 1000 or
    /// 3000-4999; [`ApiError::Syntax`] for an unpaired surrogate ([`Compat::Mdn`] only),
    /// or for a reason over 123 UTF-8 bytes (under [`Compat::Standard`], counted after
    /// the U+FFFD replacement: each one is 3 bytes).
    pub fn close_reason_from_utf16(
        self,
        code: Option<u16>,
        reason: Option<&[u16]>,
    ) -> Result<Option<String>, ApiError> {
        let Some(units) = reason else {
            validate_close_args(code, None)?;
            return Ok(None);
        };
        match self {
            Compat::Mdn => validate_close_args_utf16(code, Some(units)).map(Some),
            Compat::Standard => validate_close_args_utf16_lossy(code, Some(units)).map(Some),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn mdn_is_the_default() {
        assert_eq!(Compat::default(), Compat::Mdn);
        assert!(Compat::Mdn.throws_for_blocked_port());
        assert!(!Compat::Standard.throws_for_blocked_port());
    }

    #[test]
    fn well_formed_text_is_the_same_in_both() {
        for compat in [Compat::Mdn, Compat::Standard] {
            let u = utf16("h\u{e9}llo \u{1F600}");
            assert_eq!(
                compat.text_from_utf16(&u).as_deref(),
                Ok("h\u{e9}llo \u{1F600}")
            );
        }
    }

    #[test]
    fn unpaired_surrogates_in_send() {
        let lone = [0x61, 0xD807, 0x62];
        assert_eq!(Compat::Mdn.text_from_utf16(&lone), Err(ApiError::Syntax));
        assert_eq!(
            Compat::Standard.text_from_utf16(&lone).as_deref(),
            Ok("a\u{FFFD}b")
        );
    }

    #[test]
    fn close_reasons() {
        for compat in [Compat::Mdn, Compat::Standard] {
            assert_eq!(compat.close_reason_from_utf16(None, None), Ok(None));
            assert_eq!(compat.close_reason_from_utf16(Some(1000), None), Ok(None));
            assert_eq!(
                compat.close_reason_from_utf16(None, Some(&[])),
                Ok(Some(String::new()))
            );
            assert_eq!(
                compat.close_reason_from_utf16(Some(1001), None),
                Err(ApiError::InvalidAccess)
            );
            // The code is checked first, even with a bad reason.
            assert_eq!(
                compat.close_reason_from_utf16(Some(2999), Some(&[0xD800])),
                Err(ApiError::InvalidAccess)
            );
            let long = utf16(&"a".repeat(124));
            assert_eq!(
                compat.close_reason_from_utf16(Some(1000), Some(&long)),
                Err(ApiError::Syntax)
            );
            let max = utf16(&"a".repeat(123));
            assert_eq!(
                compat.close_reason_from_utf16(Some(1000), Some(&max)),
                Ok(Some("a".repeat(123)))
            );
        }
        assert_eq!(
            Compat::Mdn.close_reason_from_utf16(Some(1000), Some(&[0xD807])),
            Err(ApiError::Syntax)
        );
        assert_eq!(
            Compat::Standard.close_reason_from_utf16(Some(1000), Some(&[0xD807])),
            Ok(Some("\u{FFFD}".into()))
        );
        // 41 replacement characters are 123 bytes; 42 are 126.
        let forty_one = [0xDC00u16; 41];
        let forty_two = [0xDC00u16; 42];
        assert_eq!(
            Compat::Standard
                .close_reason_from_utf16(Some(4000), Some(&forty_one))
                .map(|r| r.map(|r| r.len())),
            Ok(Some(123))
        );
        assert_eq!(
            Compat::Standard.close_reason_from_utf16(Some(4000), Some(&forty_two)),
            Err(ApiError::Syntax)
        );
    }
}
