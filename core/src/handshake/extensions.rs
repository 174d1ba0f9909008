//! `Sec-WebSocket-Extensions`: parsing and formatting (RFC 6455 §9.1).
//!
//! ```text
//! extension-list = 1#extension
//! extension      = extension-token *( OWS ";" OWS extension-param )
//! extension-param = token [ OWS "=" OWS ( token / quoted-string ) ]
//! ```
//!
//! A quoted parameter value must be a token once unescaped (§9.1). Empty list elements
//! are skipped. The parser makes one pass over its input and never backtracks.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::tokens::{is_ows, is_tchar, is_token};

/// One element of a `Sec-WebSocket-Extensions` header: an extension name and its
/// parameters, e.g. `permessage-deflate; client_max_window_bits`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExtensionOffer {
    /// The extension's name (a token), e.g. `permessage-deflate`.
    pub name: String,
    /// Parameters in order: name and optional value (unquoted).
    pub params: Vec<(String, Option<String>)>,
}

impl ExtensionOffer {
    /// An offer with no parameters.
    pub fn new(name: impl Into<String>) -> Self {
        ExtensionOffer {
            name: name.into(),
            params: Vec::new(),
        }
    }

    /// This offer with one more parameter (builder style).
    pub fn with_param(mut self, name: impl Into<String>, value: Option<&str>) -> Self {
        self.params.push((name.into(), value.map(String::from)));
        self
    }

    /// The first parameter called `name` (ASCII case-insensitive): `None` if absent,
    /// `Some(None)` if present without a value, `Some(Some(v))` with one.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }
}

/// Formats as header text: `name; param; param=value`. Values that are not tokens are
/// written as quoted strings.
impl fmt::Display for ExtensionOffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        for (name, value) in &self.params {
            write!(f, "; {name}")?;
            if let Some(v) = value {
                if is_token(v.as_bytes()) {
                    write!(f, "={v}")?;
                } else {
                    f.write_str("=\"")?;
                    for c in v.chars() {
                        if c == '"' || c == '\\' {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                    f.write_str("\"")?;
                }
            }
        }
        Ok(())
    }
}

/// Formats a list of offers as one header value, separated by `", "`.
pub fn format_extensions(offers: &[ExtensionOffer]) -> String {
    use core::fmt::Write as _;
    let mut s = String::new();
    for (i, offer) in offers.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        // Writing to a String cannot fail.
        let _ = write!(s, "{offer}");
    }
    s
}

/// A `Sec-WebSocket-Extensions` value did not follow the RFC 6455 §9.1 grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtensionParseError;

impl fmt::Display for ExtensionParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("malformed Sec-WebSocket-Extensions value")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ExtensionParseError {}

/// Parses a `Sec-WebSocket-Extensions` header value into its offers, in order.
///
/// Empty elements (`a, , b`) are skipped, so an empty or all-comma value gives an empty
/// list. Anything outside the grammar is an error. Runs in time linear in `value`.
pub fn parse_extensions(value: &[u8]) -> Result<Vec<ExtensionOffer>, ExtensionParseError> {
    let mut p = Parser { s: value, i: 0 };
    let mut out = Vec::new();
    loop {
        p.skip_ows();
        match p.peek() {
            None => return Ok(out),
            Some(b',') => {
                p.i += 1;
                continue;
            }
            Some(_) => {}
        }
        let mut offer = ExtensionOffer::new(p.token()?);
        loop {
            p.skip_ows();
            match p.peek() {
                None | Some(b',') => break,
                Some(b';') => p.i += 1,
                Some(_) => return Err(ExtensionParseError),
            }
            p.skip_ows();
            let name = p.token()?;
            p.skip_ows();
            let value = if p.peek() == Some(b'=') {
                p.i += 1;
                p.skip_ows();
                Some(if p.peek() == Some(b'"') {
                    p.quoted()?
                } else {
                    p.token()?
                })
            } else {
                None
            };
            offer.params.push((name, value));
        }
        out.push(offer);
    }
}

/// A cursor over the header value.
struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip_ows(&mut self) {
        while self.peek().is_some_and(is_ows) {
            self.i += 1;
        }
    }

    /// One or more tchars.
    fn token(&mut self) -> Result<String, ExtensionParseError> {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        let tok = self.s.get(start..self.i).unwrap_or(&[]);
        if tok.is_empty() {
            return Err(ExtensionParseError);
        }
        // tchars are ASCII.
        Ok(tok.iter().map(|&b| char::from(b)).collect())
    }

    /// A quoted string starting at `"`, unescaped; the result must be a token (§9.1).
    fn quoted(&mut self) -> Result<String, ExtensionParseError> {
        self.i += 1; // opening quote
        let mut v = String::new();
        loop {
            let b = self.peek().ok_or(ExtensionParseError)?;
            self.i += 1;
            let c = match b {
                b'"' => break,
                b'\\' => {
                    let e = self.peek().ok_or(ExtensionParseError)?;
                    self.i += 1;
                    e
                }
                _ => b,
            };
            // Anything that is not a tchar (space, obs-text, controls, delimiters) would
            // make the unescaped value a non-token.
            if !is_tchar(c) {
                return Err(ExtensionParseError);
            }
            v.push(char::from(c));
        }
        if v.is_empty() {
            return Err(ExtensionParseError);
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    fn parse(s: &str) -> Result<Vec<ExtensionOffer>, ExtensionParseError> {
        parse_extensions(s.as_bytes())
    }

    fn pmd() -> ExtensionOffer {
        ExtensionOffer::new("permessage-deflate")
    }

    #[test]
    fn simple() {
        assert_eq!(parse("permessage-deflate").unwrap(), vec![pmd()]);
        assert_eq!(
            parse("permessage-deflate; client_max_window_bits").unwrap(),
            vec![pmd().with_param("client_max_window_bits", None)]
        );
        assert_eq!(
            parse("permessage-deflate;server_max_window_bits=10;client_no_context_takeover")
                .unwrap(),
            vec![pmd()
                .with_param("server_max_window_bits", Some("10"))
                .with_param("client_no_context_takeover", None)]
        );
    }

    #[test]
    fn several_and_empty_elements() {
        let got = parse(" , permessage-deflate; a=1 ,, x-foo ,").unwrap();
        assert_eq!(
            got,
            vec![
                pmd().with_param("a", Some("1")),
                ExtensionOffer::new("x-foo")
            ]
        );
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse(" ,\t, ").unwrap(), vec![]);
    }

    #[test]
    fn whitespace_around_separators() {
        let got = parse("foo \t;\t a \t= \t\"1\" ; b ,bar").unwrap();
        assert_eq!(
            got,
            vec![
                ExtensionOffer::new("foo")
                    .with_param("a", Some("1"))
                    .with_param("b", None),
                ExtensionOffer::new("bar")
            ]
        );
    }

    #[test]
    fn quoted_strings() {
        assert_eq!(
            parse("foo; a=\"10\"").unwrap(),
            vec![ExtensionOffer::new("foo").with_param("a", Some("10"))]
        );
        // Escapes are removed; the result must be a token.
        assert_eq!(
            parse("foo; a=\"\\1\\0\"").unwrap(),
            vec![ExtensionOffer::new("foo").with_param("a", Some("10"))]
        );
        // A comma or semicolon inside quotes is not a token character.
        assert!(parse("foo; a=\"1,2\"").is_err());
        assert!(parse("foo; a=\"1;2\"").is_err());
        assert!(parse("foo; a=\"x y\"").is_err());
        assert!(parse("foo; a=\"\"").is_err());
        assert!(parse("foo; a=\"10").is_err());
        assert!(parse("foo; a=\"10\\").is_err());
        assert!(parse("foo; a=\"\\\"\"").is_err());
    }

    #[test]
    fn malformed() {
        for bad in [
            ";",
            "foo;",
            "foo; ",
            "foo;;a",
            "foo; =1",
            "foo; a=",
            "foo; a= ;b",
            "foo bar",
            "foo; a b",
            "foo; a=1 2",
            "=foo",
            "\"foo\"",
            "foo; a=1=2",
            "fo\u{e9}",
            "foo\r\n",
            "foo/1",
            "foo; a=\"1\"x",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn garbage_never_panics() {
        // Every short string over an alphabet of interesting bytes.
        let alphabet = b"a;=\", \\\t\x80";
        let n = alphabet.len();
        let mut buf = Vec::new();
        for len in 0..=5u32 {
            for mut code in 0..n.pow(len) {
                buf.clear();
                for _ in 0..len {
                    buf.push(alphabet[code % n]);
                    code /= n;
                }
                if let Ok(offers) = parse_extensions(&buf) {
                    // Whatever parses re-parses to the same thing after formatting.
                    let text = format_extensions(&offers);
                    assert_eq!(parse_extensions(text.as_bytes()).unwrap(), offers);
                }
            }
        }
    }

    #[test]
    fn long_inputs_are_linear() {
        let mut v = Vec::new();
        v.extend_from_slice(b"foo");
        for _ in 0..100_000 {
            v.extend_from_slice(b"; a=\"b\"");
        }
        assert_eq!(parse_extensions(&v).unwrap()[0].params.len(), 100_000);
        let mut v = vec![b' '; 500_000];
        v.push(b'=');
        assert!(parse_extensions(&v).is_err());
        let mut v = b"foo; a=\"".to_vec();
        v.extend(core::iter::repeat(b'x').take(500_000));
        assert!(parse_extensions(&v).is_err());
    }

    #[test]
    fn display() {
        let offer = pmd()
            .with_param("client_max_window_bits", None)
            .with_param("server_max_window_bits", Some("10"));
        assert_eq!(
            offer.to_string(),
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10"
        );
        let odd = ExtensionOffer::new("x").with_param("q", Some("a \"b\"\\"));
        assert_eq!(odd.to_string(), "x; q=\"a \\\"b\\\"\\\\\"");
        assert_eq!(
            format_extensions(&[pmd(), ExtensionOffer::new("x")]),
            "permessage-deflate, x"
        );
        assert_eq!(format_extensions(&[]), "");
    }

    #[test]
    fn param_lookup() {
        let offer = parse("foo; A=1; b").unwrap().remove(0);
        assert_eq!(offer.param("a"), Some(Some("1")));
        assert_eq!(offer.param("B"), Some(None));
        assert_eq!(offer.param("c"), None);
    }
}
