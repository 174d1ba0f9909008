//! The `WebSocket(url, protocols)` constructor's subprotocol list rules.

use alloc::vec::Vec;
use core::cmp::Ordering;

use crate::error::ApiError;

/// Whether `b` may appear in an HTTP token (RFC 9110 `tchar`): visible ASCII (0x21-0x7E)
/// except the separators `( ) < > @ , ; : \ " / [ ] ? = { }`.
fn is_token_byte(b: u8) -> bool {
    matches!(b, 0x21..=0x7E)
        && !matches!(
            b,
            b'(' | b')'
                | b'<'
                | b'>'
                | b'@'
                | b','
                | b';'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'='
                | b'{'
                | b'}'
        )
}

/// Whether `s` is a non-empty token (every byte passes [`is_token_byte`]). Non-ASCII
/// characters are rejected since their UTF-8 bytes are all above 0x7E.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

/// Orders strings by their ASCII-lowercased bytes.
fn cmp_ignore_ascii_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Applies the constructor's rules to the requested subprotocols.
///
/// Each entry must be a non-empty token (visible ASCII 0x21-0x7E, none of
/// `( ) < > @ , ; : \ " / [ ] ? = { }`, so no space, tab or non-ASCII), and no two entries
/// may be equal ignoring ASCII case (`["echo", "eCho"]` is rejected). Any violation is
/// [`ApiError::Syntax`]. An empty list is valid (no `Sec-WebSocket-Protocol` header).
///
/// The browser also accepts a single string; pass it as a one-element slice.
/// The list is not capped; the duplicate check sorts borrowed entries (O(n log n)).
pub fn validate_protocols<S: AsRef<str>>(protocols: &[S]) -> Result<(), ApiError> {
    if !protocols.iter().all(|p| is_token(p.as_ref())) {
        return Err(ApiError::Syntax);
    }
    if protocols.len() < 2 {
        return Ok(());
    }
    let mut sorted: Vec<&str> = protocols.iter().map(AsRef::as_ref).collect();
    sorted.sort_unstable_by(|a, b| cmp_ignore_ascii_case(a, b));
    if sorted.windows(2).any(|w| w[0].eq_ignore_ascii_case(w[1])) {
        return Err(ApiError::Syntax);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::String;

    #[test]
    fn distinct_tokens_are_accepted() {
        assert_eq!(validate_protocols(&["chat", "superchat"]), Ok(()));
        assert_eq!(
            validate_protocols(&["v1.chat.example.com", "mqtt", "graphql-ws"]),
            Ok(())
        );
        assert_eq!(validate_protocols(&["!#$%&'*+-.^_`|~", "A0z9"]), Ok(()));
    }

    #[test]
    fn empty_list_and_single_string_are_accepted() {
        let none: [&str; 0] = [];
        assert_eq!(validate_protocols(&none), Ok(()));
        assert_eq!(validate_protocols(&["echo"]), Ok(()));
        let owned: [String; 1] = [String::from("echo")];
        assert_eq!(validate_protocols(&owned), Ok(()));
    }

    #[test]
    fn empty_token_is_syntax_error() {
        assert_eq!(validate_protocols(&[""]), Err(ApiError::Syntax));
        assert_eq!(validate_protocols(&["chat", ""]), Err(ApiError::Syntax));
    }

    #[test]
    fn space_and_tab_are_syntax_errors() {
        for p in ["a b", " a", "a ", "a\tb", "a\r\n"] {
            assert_eq!(validate_protocols(&[p]), Err(ApiError::Syntax), "{p:?}");
        }
    }

    #[test]
    fn every_separator_is_a_syntax_error() {
        for c in "()<>@,;:\\\"/[]?={}".chars() {
            let p = format!("a{c}b");
            assert_eq!(
                validate_protocols(&[p.as_str()]),
                Err(ApiError::Syntax),
                "{p:?}"
            );
        }
    }

    #[test]
    fn control_and_non_ascii_are_syntax_errors() {
        for p in ["a\u{0}", "a\u{7f}", "caf\u{e9}", "\u{1F600}"] {
            assert_eq!(validate_protocols(&[p]), Err(ApiError::Syntax), "{p:?}");
        }
    }

    #[test]
    fn duplicates_ignoring_ascii_case_are_syntax_errors() {
        assert_eq!(validate_protocols(&["echo", "eCho"]), Err(ApiError::Syntax));
        assert_eq!(
            validate_protocols(&["a", "b", "c", "A"]),
            Err(ApiError::Syntax)
        );
        assert_eq!(validate_protocols(&["x", "x"]), Err(ApiError::Syntax));
    }

    #[test]
    fn long_lists_are_checked_without_a_cap() {
        let many: alloc::vec::Vec<String> = (0..10_000).map(|i| format!("p{i}")).collect();
        assert_eq!(validate_protocols(&many), Ok(()));
        let mut dup = many.clone();
        dup.push(String::from("P9999"));
        assert_eq!(validate_protocols(&dup), Err(ApiError::Syntax));
    }
}
