//! HTTP token and list helpers (RFC 7230 §3.2.6, §7).
//!
//! Everything here runs in one pass over its input, without regular expressions and
//! without allocating, so a hostile header value costs time proportional to its length.

/// Whether `b` is a `tchar`: visible ASCII (0x21-0x7E) except the delimiters
/// `( ) < > @ , ; : \ " / [ ] ? = { }`.
pub const fn is_tchar(b: u8) -> bool {
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

/// Whether `s` is an RFC 7230 `token`: one or more [`tchar`](is_tchar)s.
pub fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Whether `b` is optional whitespace (`OWS`: space or horizontal tab).
pub const fn is_ows(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `s` without leading and trailing optional whitespace (spaces and tabs).
pub fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_ows(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|&b| !is_ows(b)).map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or(&[])
}

/// The elements of a comma-separated header list (`#rule`), each trimmed of optional
/// whitespace, with empty elements skipped (as RFC 7230 §7 asks recipients to do).
///
/// Commas inside quoted strings are not special-cased: use this for lists of tokens
/// (`Connection`, `Upgrade`, `Sec-WebSocket-Protocol`), and
/// [`parse_extensions`](super::extensions::parse_extensions) for extension lists.
pub fn split_list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(trim_ows)
        .filter(|e| !e.is_empty())
}

/// Whether the comma-separated header `value` contains `token`, compared
/// ASCII-case-insensitively (e.g. `Connection: keep-alive, Upgrade` contains `upgrade`).
pub fn header_contains_token(value: &[u8], token: &str) -> bool {
    split_list(value).any(|e| e.eq_ignore_ascii_case(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn tchar_table() {
        for b in 0u8..=255 {
            let delim = b"()<>@,;:\\\"/[]?={}".contains(&b);
            let expected = (0x21..=0x7E).contains(&b) && !delim;
            assert_eq!(is_tchar(b), expected, "byte {b:#x}");
        }
    }

    #[test]
    fn tokens() {
        assert!(is_token(b"websocket"));
        assert!(is_token(b"chat.v2+json"));
        assert!(is_token(b"!#$%&'*+-.^_`|~09AZaz"));
        assert!(!is_token(b""));
        assert!(!is_token(b"a b"));
        assert!(!is_token(b"a,b"));
        assert!(!is_token(b"a/b"));
        assert!(!is_token(b"caf\xc3\xa9"));
        assert!(!is_token(b"a\r\n"));
    }

    #[test]
    fn trimming() {
        assert_eq!(trim_ows(b"  a b\t "), b"a b");
        assert_eq!(trim_ows(b" \t "), b"");
        assert_eq!(trim_ows(b""), b"");
        assert_eq!(trim_ows(b"x"), b"x");
    }

    #[test]
    fn lists() {
        let v: Vec<&[u8]> = split_list(b" a, b ,,\t,c\t").collect();
        assert_eq!(v, [&b"a"[..], b"b", b"c"]);
        assert_eq!(split_list(b"").count(), 0);
        assert_eq!(split_list(b" , ,, ").count(), 0);
        let v: Vec<&[u8]> = split_list(b"one").collect();
        assert_eq!(v, [&b"one"[..]]);
    }

    #[test]
    fn contains_token() {
        assert!(header_contains_token(b"Upgrade", "upgrade"));
        assert!(header_contains_token(b"keep-alive, Upgrade", "upgrade"));
        assert!(header_contains_token(b"UPGRADE", "upgrade"));
        assert!(header_contains_token(b"websocket", "WebSocket"));
        assert!(!header_contains_token(b"keep-alive", "upgrade"));
        assert!(!header_contains_token(b"upgrade2", "upgrade"));
        assert!(!header_contains_token(b"", "upgrade"));
        assert!(!header_contains_token(b"up grade", "upgrade"));
    }

    #[test]
    fn long_list_is_linear() {
        // 1 MB of commas and spaces: one pass, no backtracking.
        let mut v = Vec::new();
        for _ in 0..200_000 {
            v.extend_from_slice(b" ,  ");
        }
        assert!(!header_contains_token(&v, "upgrade"));
        v.extend_from_slice(b"upgrade");
        assert!(header_contains_token(&v, "upgrade"));
    }
}
