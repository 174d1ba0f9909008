//! Header fields: lookup in parsed heads, and checked writing of outgoing ones.

use alloc::string::String;
use alloc::vec::Vec;

use super::tokens::{is_token, trim_ows};
use crate::error::ApiError;

/// Values of every header called `name` (ASCII case-insensitive), in order, trimmed of
/// surrounding whitespace.
pub(crate) fn find_all<'a>(
    headers: &'a [(String, Vec<u8>)],
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| trim_ows(v))
}

/// The first header called `name` (ASCII case-insensitive), trimmed.
pub(crate) fn find<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| trim_ows(v))
}

/// Whether `value` may be sent as a header value: no control characters other than
/// horizontal tab (in particular no CR, LF or NUL, which would allow header injection).
pub(crate) fn is_valid_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7F))
}

/// Checks application-supplied extra headers: each name a token, not one of `managed`
/// (headers the handshake writes itself), each value free of control characters.
pub(crate) fn check_extra(headers: &[(String, String)], managed: &[&str]) -> Result<(), ApiError> {
    for (name, value) in headers {
        if !is_token(name.as_bytes())
            || !is_valid_value(value.as_bytes())
            || managed.iter().any(|m| m.eq_ignore_ascii_case(name))
        {
            return Err(ApiError::Syntax);
        }
    }
    Ok(())
}

/// Appends `name: value\r\n`. Callers have checked both.
pub(crate) fn write(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Whether a list of extra headers already contains `name`.
pub(crate) fn has(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn owned(list: &[(&str, &[u8])]) -> Vec<(String, Vec<u8>)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect()
    }

    #[test]
    fn lookup() {
        let h = owned(&[("Host", b" a "), ("X", b"1"), ("x", b"2")]);
        assert_eq!(find(&h, "host"), Some(&b"a"[..]));
        assert_eq!(find(&h, "y"), None);
        assert_eq!(find_all(&h, "X").collect::<Vec<_>>(), [&b"1"[..], b"2"]);
    }

    #[test]
    fn values() {
        assert!(is_valid_value(b"text/html; q=1\t\xc3\xa9"));
        assert!(is_valid_value(b""));
        assert!(!is_valid_value(b"a\r\nSet-Cookie: x"));
        assert!(!is_valid_value(b"a\nb"));
        assert!(!is_valid_value(b"a\0"));
        assert!(!is_valid_value(b"\x7f"));
    }

    #[test]
    fn extra_headers() {
        let ok = vec![("Origin".to_string(), "https://x".to_string())];
        assert_eq!(check_extra(&ok, &["Host"]), Ok(()));
        let bad_name = vec![("Bad Name".to_string(), "v".to_string())];
        assert_eq!(check_extra(&bad_name, &[]), Err(ApiError::Syntax));
        let bad_value = vec![("X".to_string(), "v\r\nY: z".to_string())];
        assert_eq!(check_extra(&bad_value, &[]), Err(ApiError::Syntax));
        let managed = vec![("HOST".to_string(), "x".to_string())];
        assert_eq!(check_extra(&managed, &["Host"]), Err(ApiError::Syntax));
        assert!(has(&managed, "host"));
        let mut out = Vec::new();
        write(&mut out, "A", b"b");
        assert_eq!(out, b"A: b\r\n");
    }
}
