//! UTF-16 input (what a script's strings are) and unpaired surrogates.
//!
//! A JavaScript string is a sequence of UTF-16 code units and may contain unpaired
//! surrogates, which have no UTF-8 encoding. The seeds (older WebSocket API) throw a
//! `SyntaxError` for such a string in `send()` and `close()`: see
//! [`utf16_to_string_strict`]. Today's standard converts to a `USVString` first, replacing
//! each unpaired surrogate with U+FFFD: see [`utf16_to_string_lossy`].

use alloc::string::String;
use core::char::{decode_utf16, REPLACEMENT_CHARACTER};

use crate::error::ApiError;

/// Converts UTF-16 to a `String`, rejecting an unpaired surrogate (a lone high surrogate
/// 0xD800-0xDBFF, or a low surrogate 0xDC00-0xDFFF not preceded by a high one) with
/// [`ApiError::Syntax`], as the seeds' `send()` and `close()` do.
pub fn utf16_to_string_strict(units: &[u16]) -> Result<String, ApiError> {
    let mut out = String::with_capacity(units.len());
    for c in decode_utf16(units.iter().copied()) {
        out.push(c.map_err(|_| ApiError::Syntax)?);
    }
    Ok(out)
}

/// Converts UTF-16 to a `String`, replacing each unpaired surrogate with U+FFFD (today's
/// `USVString` conversion). Never fails.
pub fn utf16_to_string_lossy(units: &[u16]) -> String {
    let mut out = String::with_capacity(units.len());
    out.extend(decode_utf16(units.iter().copied()).map(|c| c.unwrap_or(REPLACEMENT_CHARACTER)));
    out
}

/// Whether `units` contains an unpaired surrogate (so [`utf16_to_string_strict`] would
/// fail). Does not allocate.
pub fn has_unpaired_surrogate(units: &[u16]) -> bool {
    decode_utf16(units.iter().copied()).any(|c| c.is_err())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn well_formed_text_converts_both_ways() {
        for s in [
            "",
            "hello",
            "caf\u{e9}",
            "\u{20AC}\u{10348}\u{1F600}",
            "a\u{0}b",
        ] {
            let u = utf16(s);
            assert_eq!(utf16_to_string_strict(&u).as_deref(), Ok(s));
            assert_eq!(utf16_to_string_lossy(&u), s);
            assert!(!has_unpaired_surrogate(&u));
        }
    }

    #[test]
    fn surrogate_pair_is_accepted() {
        let u = [0xD83D, 0xDE00]; // U+1F600
        assert_eq!(utf16_to_string_strict(&u).as_deref(), Ok("\u{1F600}"));
        assert_eq!(utf16_to_string_lossy(&u), "\u{1F600}");
        assert!(!has_unpaired_surrogate(&u));
    }

    #[test]
    fn lone_high_surrogate_is_rejected_strictly() {
        for u in [
            &[0xD800][..],
            &[0x61, 0xD800],
            &[0xD800, 0x61],
            &[0xDBFF, 0xD800, 0xDC00],
        ] {
            assert_eq!(utf16_to_string_strict(u), Err(ApiError::Syntax), "{u:x?}");
            assert!(has_unpaired_surrogate(u), "{u:x?}");
        }
    }

    #[test]
    fn lone_low_surrogate_is_rejected_strictly() {
        for u in [
            &[0xDC00][..],
            &[0x61, 0xDC00],
            &[0xDC00, 0xD800],
            &[0xD83D, 0xDE00, 0xDFFF],
        ] {
            assert_eq!(utf16_to_string_strict(u), Err(ApiError::Syntax), "{u:x?}");
            assert!(has_unpaired_surrogate(u), "{u:x?}");
        }
    }

    #[test]
    fn unpaired_surrogates_are_replaced_lossily() {
        assert_eq!(utf16_to_string_lossy(&[0xD800]), "\u{FFFD}");
        assert_eq!(utf16_to_string_lossy(&[0x61, 0xDC00, 0x62]), "a\u{FFFD}b");
        assert_eq!(utf16_to_string_lossy(&[0xDC00, 0xD800]), "\u{FFFD}\u{FFFD}");
        assert_eq!(
            utf16_to_string_lossy(&[0xD800, 0xD83D, 0xDE00]),
            "\u{FFFD}\u{1F600}"
        );
    }
}
