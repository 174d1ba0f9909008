//! The server's side of the opening handshake (RFC 6455 §4.2): checking the client's
//! request, then answering with `101 Switching Protocols` or an HTTP error.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write as _;

use super::client::Response;
use super::extensions::{parse_extensions, ExtensionOffer, ExtensionParseError};
use super::fields;
use super::key::{accept_key, is_valid_key};
use super::tokens::{header_contains_token, is_token, split_list};
use crate::error::{ApiError, HandshakeError};

/// Headers [`encode_accept`] writes itself (or that a 101 must not carry); they may not
/// appear among its extra headers.
pub const ACCEPT_MANAGED_HEADERS: &[&str] = &[
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Accept",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
    "Content-Length",
    "Transfer-Encoding",
];

/// Headers [`encode_reject`] writes itself; they may not appear among its extra headers.
pub const REJECT_MANAGED_HEADERS: &[&str] = &["Connection", "Content-Length", "Transfer-Encoding"];

/// A parsed upgrade request, owned so the application can inspect it (path, `Origin`,
/// cookies, offered subprotocols) before accepting or rejecting it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Request {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The request target, e.g. `/chat?room=1`.
    pub path: String,
    /// The HTTP minor version: 1 for HTTP/1.1, 0 for HTTP/1.0.
    pub version: u8,
    /// Headers in order: name as received, raw value.
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Request {
    /// The first header called `name` (ASCII case-insensitive), trimmed of surrounding
    /// whitespace.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        fields::find(&self.headers, name)
    }

    /// Like [`header`](Self::header), if the value is UTF-8.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header(name).and_then(|v| core::str::from_utf8(v).ok())
    }

    /// Every header called `name` (ASCII case-insensitive), in order, trimmed.
    pub fn headers_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        fields::find_all(&self.headers, name)
    }

    /// The `Host` header, if present and UTF-8.
    pub fn host(&self) -> Option<&str> {
        self.header_str("host")
    }

    /// The `Origin` header, if present and UTF-8. Check it to prevent cross-site
    /// WebSocket hijacking (answer 403 with [`encode_reject`] if it is not allowed).
    pub fn origin(&self) -> Option<&str> {
        self.header_str("origin")
    }

    /// The offered subprotocols: the elements of every `Sec-WebSocket-Protocol` header,
    /// in order. Elements that are not tokens are left out (they cannot be selected).
    pub fn protocols(&self) -> Vec<String> {
        self.headers_all("sec-websocket-protocol")
            .flat_map(split_list)
            .filter(|p| is_token(p))
            // Tokens are ASCII.
            .map(|p| p.iter().map(|&b| char::from(b)).collect())
            .collect()
    }

    /// The offered extensions from every `Sec-WebSocket-Extensions` header, in order.
    ///
    /// # Errors
    ///
    /// If any of those headers is malformed.
    pub fn try_extensions(&self) -> Result<Vec<ExtensionOffer>, ExtensionParseError> {
        let mut all = Vec::new();
        for value in self.headers_all("sec-websocket-extensions") {
            all.extend(parse_extensions(value)?);
        }
        Ok(all)
    }

    /// The offered extensions, or none at all if any `Sec-WebSocket-Extensions` header
    /// is malformed (a server may then proceed without extensions).
    pub fn extensions(&self) -> Vec<ExtensionOffer> {
        self.try_extensions().unwrap_or_default()
    }

    /// The first `Sec-WebSocket-Key`, trimmed (not checked: see [`validate_request`]).
    pub fn key(&self) -> Option<&[u8]> {
        self.header("sec-websocket-key")
    }
}

fn bad(status: u16, reason: &'static str) -> HandshakeError {
    HandshakeError::BadRequest { status, reason }
}

/// Checks the WebSocket rules of RFC 6455 §4.2.1, in this order:
///
/// | rule | status |
/// |---|---|
/// | method is `GET` | 405 |
/// | HTTP/1.1 | 505 |
/// | exactly one `Host` | 400 |
/// | `Upgrade` contains the token `websocket` | 426 |
/// | `Connection` contains the token `upgrade` | 400 |
/// | exactly one `Sec-WebSocket-Key`, base64 of 16 bytes | 400 |
/// | exactly one `Sec-WebSocket-Version`, equal to `13` | 426 |
///
/// Tokens are compared ASCII case-insensitively. Answer a failure with
/// [`encode_reject`] and the error's status; for 426 it adds `Upgrade: websocket` and
/// `Sec-WebSocket-Version: 13`, for 405 `Allow: GET`.
///
/// # Errors
///
/// [`HandshakeError::BadRequest`] with the status above and a short reason.
pub fn validate_request(req: &Request) -> Result<(), HandshakeError> {
    if req.method != "GET" {
        return Err(bad(405, "method must be GET"));
    }
    if req.version != 1 {
        return Err(bad(505, "HTTP version must be 1.1"));
    }
    match req.headers_all("host").count() {
        0 => return Err(bad(400, "missing Host header")),
        1 => {}
        _ => return Err(bad(400, "more than one Host header")),
    }
    if !req
        .headers_all("upgrade")
        .any(|v| header_contains_token(v, "websocket"))
    {
        return Err(bad(426, "Upgrade header missing the websocket token"));
    }
    if !req
        .headers_all("connection")
        .any(|v| header_contains_token(v, "upgrade"))
    {
        return Err(bad(400, "Connection header missing the upgrade token"));
    }
    let mut keys = req.headers_all("sec-websocket-key");
    match (keys.next(), keys.next()) {
        (None, _) => return Err(bad(400, "missing Sec-WebSocket-Key")),
        (Some(_), Some(_)) => return Err(bad(400, "more than one Sec-WebSocket-Key")),
        (Some(k), None) if !is_valid_key(k) => {
            return Err(bad(400, "Sec-WebSocket-Key is not base64 of 16 bytes"))
        }
        _ => {}
    }
    let mut versions = req.headers_all("sec-websocket-version");
    match (versions.next(), versions.next()) {
        (Some(b"13"), None) => Ok(()),
        _ => Err(bad(426, "Sec-WebSocket-Version must be 13")),
    }
}

/// Appends the `101 Switching Protocols` response to `req` to `out`: `Upgrade`,
/// `Connection`, `Sec-WebSocket-Accept`, then `Sec-WebSocket-Protocol` if `protocol` is
/// given, `Sec-WebSocket-Extensions` if `extensions` is given and non-empty, then the
/// extra `headers`.
///
/// `req` should have passed [`validate_request`]. This is [`accept_response`], written
/// out as HTTP/1.1.
///
/// # Errors
///
/// Nothing is written on error.
///
/// * [`ApiError::InvalidState`] if `req` has no valid `Sec-WebSocket-Key`;
/// * [`ApiError::Syntax`] if `protocol` is not one the client offered, if `extensions`
///   is malformed, names an extension the client did not offer or names one twice, or
///   if an extra header's name is not a token, its value holds a control character
///   (CR, LF, NUL, ...) or it is one of [`ACCEPT_MANAGED_HEADERS`].
pub fn encode_accept(
    req: &Request,
    protocol: Option<&str>,
    extensions: Option<&str>,
    headers: &[(String, String)],
    out: &mut Vec<u8>,
) -> Result<(), ApiError> {
    let response = accept_response(req, protocol, extensions, headers)?;
    write_head(&response, out);
    Ok(())
}

/// The `101 Switching Protocols` response to `req`, as a [`Response`] head: the headers
/// [`encode_accept`] writes, in its order, after the same checks (and with the same
/// errors). For a server that sends its responses through an HTTP library (with the
/// `http` feature, `Response::to_http` converts it).
pub fn accept_response(
    req: &Request,
    protocol: Option<&str>,
    extensions: Option<&str>,
    headers: &[(String, String)],
) -> Result<Response, ApiError> {
    let key = req
        .key()
        .filter(|k| is_valid_key(k))
        .ok_or(ApiError::InvalidState)?;
    if let Some(p) = protocol {
        if !req.protocols().iter().any(|o| o == p) {
            return Err(ApiError::Syntax);
        }
    }
    let extensions = extensions.filter(|e| !e.trim().is_empty());
    if let Some(e) = extensions {
        check_accepted_extensions(req, e)?;
    }
    fields::check_extra(headers, ACCEPT_MANAGED_HEADERS)?;

    let mut response = Response::new(101);
    response.push("Upgrade", b"websocket");
    response.push("Connection", b"Upgrade");
    response.push("Sec-WebSocket-Accept", accept_key(key).as_bytes());
    if let Some(p) = protocol {
        response.push("Sec-WebSocket-Protocol", p.as_bytes());
    }
    if let Some(e) = extensions {
        response.push("Sec-WebSocket-Extensions", e.trim().as_bytes());
    }
    for (name, value) in headers {
        response.push(name, value.as_bytes());
    }
    Ok(response)
}

/// Writes `response`'s status line and headers, and the blank line that ends the head.
fn write_head(response: &Response, out: &mut Vec<u8>) {
    let mut line = String::new();
    // Writing to a String cannot fail.
    let _ = write!(line, "HTTP/1.1 {} {}\r\n", response.status, response.reason);
    out.extend_from_slice(line.as_bytes());
    for (name, value) in &response.headers {
        fields::write(out, name, value);
    }
    out.extend_from_slice(b"\r\n");
}

impl Response {
    /// An empty response head with `status` and its [`reason_phrase`].
    fn new(status: u16) -> Response {
        Response {
            status,
            reason: String::from(reason_phrase(status)),
            headers: Vec::new(),
        }
    }

    /// Appends a header (checked by the caller).
    fn push(&mut self, name: &str, value: &[u8]) {
        self.headers.push((String::from(name), value.to_vec()));
    }
}

fn check_accepted_extensions(req: &Request, text: &str) -> Result<(), ApiError> {
    if !fields::is_valid_value(text.as_bytes()) {
        return Err(ApiError::Syntax);
    }
    let accepted = parse_extensions(text.as_bytes()).map_err(|_| ApiError::Syntax)?;
    let offered = req.extensions();
    for (i, ext) in accepted.iter().enumerate() {
        let was_offered = offered.iter().any(|o| o.name == ext.name);
        let repeated = accepted.iter().take(i).any(|e| e.name == ext.name);
        if !was_offered || repeated {
            return Err(ApiError::Syntax);
        }
    }
    Ok(())
}

/// Appends an HTTP error response to `out`: status line with the
/// [`reason_phrase`], the extra `headers`, then headers added automatically, then
/// `body`.
///
/// Added automatically: for 426, `Upgrade: websocket` and `Sec-WebSocket-Version: 13`
/// unless given; for 405, `Allow: GET` unless given; always `Content-Length` (except for
/// 204 and 304) and `Connection: close` (`Connection: Upgrade, close` when an `Upgrade`
/// header is sent, as RFC 7230 §6.7 asks).
///
/// # Errors
///
/// [`ApiError::Syntax`], with nothing written, if `status` is not in 200-599, if a 204
/// or 304 has a body, or if an extra header's name is not a token, its value holds a
/// control character (CR, LF, NUL, ...) or it is one of [`REJECT_MANAGED_HEADERS`].
pub fn encode_reject(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), ApiError> {
    let response = reject_response(status, headers, body)?;
    write_head(&response, out);
    out.extend_from_slice(body);
    Ok(())
}

/// The head of the error response [`encode_reject`] writes for `status`, `headers` and
/// `body` (the body itself is not included), after the same checks and with the same
/// errors. For a server that sends its responses through an HTTP library.
pub fn reject_response(
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<Response, ApiError> {
    let bodiless = matches!(status, 204 | 304);
    if !(200..=599).contains(&status) || (bodiless && !body.is_empty()) {
        return Err(ApiError::Syntax);
    }
    fields::check_extra(headers, REJECT_MANAGED_HEADERS)?;

    let mut response = Response::new(status);
    for (name, value) in headers {
        response.push(name, value.as_bytes());
    }
    if status == 426 {
        if !fields::has(headers, "Upgrade") {
            response.push("Upgrade", b"websocket");
        }
        if !fields::has(headers, "Sec-WebSocket-Version") {
            response.push("Sec-WebSocket-Version", b"13");
        }
    }
    if status == 405 && !fields::has(headers, "Allow") {
        response.push("Allow", b"GET");
    }
    if status != 204 && status != 304 {
        let mut length = String::new();
        // Writing to a String cannot fail.
        let _ = write!(length, "{}", body.len());
        response.push("Content-Length", length.as_bytes());
    }
    let upgrade = status == 426 || fields::has(headers, "Upgrade");
    let connection: &[u8] = if upgrade { b"Upgrade, close" } else { b"close" };
    response.push("Connection", connection);
    Ok(response)
}

/// The reason phrase [`encode_reject`] sends with `status`: the standard one for common
/// statuses, else a generic one for its class.
pub const fn reason_phrase(status: u16) -> &'static str {
    match status {
        101 => "Switching Protocols",
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        413 => "Content Too Large",
        414 => "URI Too Long",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => match status / 100 {
            1 => "Informational",
            2 => "Success",
            3 => "Redirection",
            4 => "Client Error",
            _ => "Server Error",
        },
    }
}

/// The HTTP status a server answers a failed handshake with, or `None` when no answer
/// makes sense (the stream ended, or the error belongs to the client role).
///
/// Malformed HTTP gives 400, an oversized head or too many headers 431, and
/// [`HandshakeError::BadRequest`] / [`HandshakeError::Rejected`] their own status.
pub fn reject_status(err: &HandshakeError) -> Option<u16> {
    match err {
        HandshakeError::MalformedHttp => Some(400),
        HandshakeError::TooLarge | HandshakeError::TooManyHeaders => Some(431),
        HandshakeError::BadRequest { status, .. } => Some(*status),
        HandshakeError::Rejected(status) => Some(*status),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::head::HeadReader;
    use alloc::string::ToString;
    use alloc::vec;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("Host", "server.example.com"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", KEY),
            ("Origin", "http://example.com"),
            ("Sec-WebSocket-Protocol", "chat, superchat"),
            ("Sec-WebSocket-Version", "13"),
        ]
    }

    fn request(headers: &[(&str, &str)]) -> Request {
        Request {
            method: "GET".into(),
            path: "/chat".into(),
            version: 1,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
        }
    }

    /// The good request with header `name` removed, and `value` added under that name.
    fn with(name: &str, value: Option<&str>) -> Request {
        let mut h: Vec<(&str, &str)> = good()
            .into_iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case(name))
            .collect();
        if let Some(v) = value {
            h.push((name, v));
        }
        request(&h)
    }

    fn status_of(req: &Request) -> Option<u16> {
        match validate_request(req) {
            Ok(()) => None,
            Err(HandshakeError::BadRequest { status, .. }) => Some(status),
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }

    fn text(out: &[u8]) -> &str {
        core::str::from_utf8(out).unwrap()
    }

    #[test]
    fn good_request_passes() {
        let req = request(&good());
        assert_eq!(validate_request(&req), Ok(()));
        assert_eq!(req.origin(), Some("http://example.com"));
        assert_eq!(req.host(), Some("server.example.com"));
        assert_eq!(req.key(), Some(KEY.as_bytes()));
        assert_eq!(req.protocols(), ["chat", "superchat"]);
        assert!(req.extensions().is_empty());
    }

    #[test]
    fn method_and_version() {
        let mut req = request(&good());
        req.method = "POST".into();
        assert_eq!(status_of(&req), Some(405));
        req.method = "get".into();
        assert_eq!(status_of(&req), Some(405));
        let mut req = request(&good());
        req.version = 0;
        assert_eq!(status_of(&req), Some(505));
    }

    #[test]
    fn host() {
        assert_eq!(status_of(&with("Host", None)), Some(400));
        let mut req = request(&good());
        req.headers.push(("host".into(), b"other".to_vec()));
        assert_eq!(status_of(&req), Some(400));
    }

    #[test]
    fn upgrade() {
        assert_eq!(status_of(&with("Upgrade", None)), Some(426));
        assert_eq!(status_of(&with("Upgrade", Some("h2c"))), Some(426));
        assert_eq!(status_of(&with("Upgrade", Some(""))), Some(426));
        assert_eq!(status_of(&with("Upgrade", Some("WEBSOCKET"))), None);
        assert_eq!(status_of(&with("Upgrade", Some("h2c, WebSocket"))), None);
    }

    #[test]
    fn connection() {
        assert_eq!(status_of(&with("Connection", None)), Some(400));
        assert_eq!(
            status_of(&with("Connection", Some("keep-alive"))),
            Some(400)
        );
        assert_eq!(status_of(&with("Connection", Some("UPGRADE"))), None);
        assert_eq!(
            status_of(&with("Connection", Some("keep-alive, Upgrade"))),
            None
        );
    }

    #[test]
    fn key() {
        assert_eq!(status_of(&with("Sec-WebSocket-Key", None)), Some(400));
        for bad in [
            "",
            "abc",
            "dGhlIHNhbXBsZSBub25jZQ",
            "AAAAAAAAAAAAAAAAAAAAAAAA",
        ] {
            assert_eq!(
                status_of(&with("Sec-WebSocket-Key", Some(bad))),
                Some(400),
                "{bad:?}"
            );
        }
        let mut req = request(&good());
        req.headers
            .push(("Sec-WebSocket-Key".into(), KEY.as_bytes().to_vec()));
        assert_eq!(status_of(&req), Some(400));
    }

    #[test]
    fn version() {
        assert_eq!(status_of(&with("Sec-WebSocket-Version", None)), Some(426));
        for bad in ["8", "", "13, 8", "013"] {
            assert_eq!(
                status_of(&with("Sec-WebSocket-Version", Some(bad))),
                Some(426),
                "{bad:?}"
            );
        }
        assert_eq!(
            status_of(&with("Sec-WebSocket-Version", Some(" 13 "))),
            None
        );
        let mut req = request(&good());
        req.headers
            .push(("Sec-WebSocket-Version".into(), b"13".to_vec()));
        assert_eq!(status_of(&req), Some(426));
    }

    #[test]
    fn offers() {
        let mut req = request(&good());
        req.headers
            .push(("Sec-WebSocket-Protocol".into(), b" , v2 ,bad/one".to_vec()));
        req.headers.push((
            "Sec-WebSocket-Extensions".into(),
            b"permessage-deflate; client_max_window_bits, x-a".to_vec(),
        ));
        req.headers
            .push(("Sec-WebSocket-Extensions".into(), b"x-b".to_vec()));
        assert_eq!(req.protocols(), ["chat", "superchat", "v2"]);
        let names: Vec<String> = req.extensions().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["permessage-deflate", "x-a", "x-b"]);
        req.headers
            .push(("Sec-WebSocket-Extensions".into(), b"x-c;".to_vec()));
        assert!(req.try_extensions().is_err());
        assert!(req.extensions().is_empty());
    }

    #[test]
    fn accept_response() {
        let mut req = request(&good());
        req.headers.push((
            "Sec-WebSocket-Extensions".into(),
            b"permessage-deflate; client_max_window_bits".to_vec(),
        ));
        let mut out = Vec::new();
        encode_accept(
            &req,
            Some("chat"),
            Some("permessage-deflate; server_no_context_takeover"),
            &[("Set-Cookie".into(), "a=b".into())],
            &mut out,
        )
        .unwrap();
        assert_eq!(
            text(&out),
            "HTTP/1.1 101 Switching Protocols\r\n\
             Upgrade: websocket\r\n\
             Connection: Upgrade\r\n\
             Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
             Sec-WebSocket-Protocol: chat\r\n\
             Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n\
             Set-Cookie: a=b\r\n\
             \r\n"
        );
        let mut out = Vec::new();
        encode_accept(&req, None, Some(""), &[], &mut out).unwrap();
        assert!(!text(&out).contains("Sec-WebSocket-Protocol"));
        assert!(!text(&out).contains("Sec-WebSocket-Extensions"));
    }

    #[test]
    fn accept_refuses_misuse() {
        let req = request(&good());
        let none: &[(String, String)] = &[];
        type Case = (
            Option<&'static str>,
            Option<&'static str>,
            Vec<(String, String)>,
        );
        let cases: Vec<Case> = vec![
            (Some("other"), None, vec![]),
            (Some("Chat"), None, vec![]),
            (Some("chat\r\nX: y"), None, vec![]),
            (None, Some("permessage-deflate"), vec![]),
            (None, Some("x; ="), vec![]),
            (None, None, vec![("X".into(), "a\r\nb: c".into())]),
            (None, None, vec![("X Y".into(), "v".into())]),
            (
                None,
                None,
                vec![("Sec-WebSocket-Accept".into(), "v".into())],
            ),
            (None, None, vec![("content-length".into(), "0".into())]),
        ];
        for (i, (p, e, h)) in cases.iter().enumerate() {
            let mut out = Vec::new();
            assert_eq!(
                encode_accept(&req, *p, *e, h, &mut out),
                Err(ApiError::Syntax),
                "case {i}"
            );
            assert!(out.is_empty(), "case {i}");
        }
        let mut out = Vec::new();
        assert_eq!(
            encode_accept(&with("Sec-WebSocket-Key", None), None, None, none, &mut out),
            Err(ApiError::InvalidState)
        );
        assert_eq!(
            encode_accept(
                &with("Sec-WebSocket-Key", Some("x")),
                None,
                None,
                none,
                &mut out
            ),
            Err(ApiError::InvalidState)
        );
        // Duplicate extension in the answer.
        let mut req = request(&good());
        req.headers
            .push(("Sec-WebSocket-Extensions".into(), b"x-a".to_vec()));
        assert_eq!(
            encode_accept(&req, None, Some("x-a, x-a"), none, &mut out),
            Err(ApiError::Syntax)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn reject_responses() {
        let mut out = Vec::new();
        encode_reject(403, &[], b"no", &mut out).unwrap();
        assert_eq!(
            text(&out),
            "HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno"
        );

        let mut out = Vec::new();
        encode_reject(426, &[], b"", &mut out).unwrap();
        assert_eq!(
            text(&out),
            "HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\n\
             Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\
             Connection: Upgrade, close\r\n\r\n"
        );

        // The caller's own Upgrade / version headers are not duplicated.
        let mut out = Vec::new();
        let own = [
            ("upgrade".to_string(), "websocket".to_string()),
            ("sec-websocket-version".to_string(), "13, 8".to_string()),
        ];
        encode_reject(426, &own, b"", &mut out).unwrap();
        let t = text(&out);
        assert_eq!(t.matches("pgrade: websocket").count(), 1);
        assert_eq!(
            t.to_ascii_lowercase()
                .matches("sec-websocket-version")
                .count(),
            1
        );

        let mut out = Vec::new();
        encode_reject(405, &[], b"", &mut out).unwrap();
        assert!(text(&out).contains("\r\nAllow: GET\r\n"));

        let mut out = Vec::new();
        encode_reject(
            302,
            &[("Location".into(), "https://elsewhere/".into())],
            b"",
            &mut out,
        )
        .unwrap();
        assert!(text(&out).starts_with("HTTP/1.1 302 Found\r\nLocation: https://elsewhere/\r\n"));

        let mut out = Vec::new();
        encode_reject(599, &[], b"", &mut out).unwrap();
        assert!(text(&out).starts_with("HTTP/1.1 599 Server Error\r\n"));

        // A reject response parses as an HTTP response.
        let mut out = Vec::new();
        encode_reject(
            400,
            &[("Content-Type".into(), "text/plain".into())],
            b"bad",
            &mut out,
        )
        .unwrap();
        let mut reader = HeadReader::new(1024, 8);
        let body = reader.feed(&out).unwrap().unwrap();
        assert_eq!(body, b"bad");
        let resp = reader.parse_response().unwrap();
        assert_eq!(resp.status, 400);
        assert_eq!(resp.reason, "Bad Request");
        assert_eq!(resp.header("content-length"), Some(&b"3"[..]));
    }

    #[test]
    fn reject_refuses_misuse() {
        let mut out = Vec::new();
        for status in [0, 101, 199, 600, 1000] {
            assert_eq!(
                encode_reject(status, &[], b"", &mut out),
                Err(ApiError::Syntax)
            );
        }
        assert_eq!(
            encode_reject(204, &[], b"x", &mut out),
            Err(ApiError::Syntax)
        );
        for h in [
            ("X".to_string(), "a\r\nSet-Cookie: evil".to_string()),
            ("X".to_string(), "a\0".to_string()),
            ("X:".to_string(), "a".to_string()),
            ("Content-Length".to_string(), "5".to_string()),
            ("Connection".to_string(), "keep-alive".to_string()),
        ] {
            assert_eq!(
                encode_reject(400, &[h], b"", &mut out),
                Err(ApiError::Syntax)
            );
        }
        assert!(out.is_empty());
        encode_reject(204, &[], b"", &mut out).unwrap();
        assert!(!text(&out).contains("Content-Length"));
    }

    #[test]
    fn statuses_for_errors() {
        assert_eq!(reject_status(&HandshakeError::MalformedHttp), Some(400));
        assert_eq!(reject_status(&HandshakeError::TooLarge), Some(431));
        assert_eq!(reject_status(&HandshakeError::TooManyHeaders), Some(431));
        assert_eq!(reject_status(&bad(426, "x")), Some(426));
        assert_eq!(reject_status(&HandshakeError::Rejected(403)), Some(403));
        assert_eq!(reject_status(&HandshakeError::UnexpectedEof), None);
        assert_eq!(reason_phrase(418), "Client Error");
    }
}
