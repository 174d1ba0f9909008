//! The client's side of the opening handshake (RFC 6455 §4.1): the request it sends and
//! the checks it makes on the server's response.

use alloc::string::String;
use alloc::vec::Vec;

use super::extensions::{format_extensions, parse_extensions, ExtensionOffer};
use super::fields;
use super::key::{accept_key, is_valid_key};
use super::tokens::{header_contains_token, is_token, trim_ows};
use crate::error::{ApiError, HandshakeError};

/// Headers [`ClientRequest::encode`] writes itself; they may not appear among the extra
/// headers (a duplicate would change the handshake's meaning).
pub const CLIENT_MANAGED_HEADERS: &[&str] = &[
    "Host",
    "Upgrade",
    "Connection",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
    "Content-Length",
    "Transfer-Encoding",
];

/// What the client asks for: everything in the upgrade request except the key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientRequest {
    /// Value of the `Host` header (`host[:port]`; the caller decides whether to include
    /// a default port).
    pub host: String,
    /// Request target: path and optional `?query`, e.g. `/chat?x=1`. Empty means `/`.
    pub resource: String,
    /// Subprotocols offered, in order of preference; sent as one comma-separated
    /// `Sec-WebSocket-Protocol` header when non-empty. Each must be a token.
    pub protocols: Vec<String>,
    /// Extension offers, each a full `Sec-WebSocket-Extensions` element, e.g.
    /// `permessage-deflate; client_max_window_bits`.
    pub extensions: Vec<String>,
    /// Extra headers (`Origin`, `Authorization`, `Cookie`, `User-Agent`, ...).
    pub headers: Vec<(String, String)>,
}

impl ClientRequest {
    /// A request for `resource` on `host`, with no subprotocols, extensions or extra
    /// headers.
    pub fn new(host: impl Into<String>, resource: impl Into<String>) -> Self {
        ClientRequest {
            host: host.into(),
            resource: resource.into(),
            ..Self::default()
        }
    }

    /// Appends the HTTP/1.1 upgrade request carrying `key` (from
    /// [`generate_key`](super::key::generate_key)) to `out`.
    ///
    /// # Errors
    ///
    /// [`ApiError::Syntax`], with nothing written, if any part could not be sent safely:
    /// an empty host or one containing whitespace, controls or `/ ? # @`; a resource
    /// not starting with `/` or containing anything but visible ASCII (or a `#`); a
    /// protocol that is not a token or is offered twice; an extension element that does
    /// not parse; an invalid key; an extra header whose name is not a token, whose value
    /// contains a control character (CR, LF, NUL, ...), or that is one of
    /// [`CLIENT_MANAGED_HEADERS`].
    pub fn encode(&self, key: &str, out: &mut Vec<u8>) -> Result<(), ApiError> {
        self.check(key)?;
        let resource = if self.resource.is_empty() {
            "/"
        } else {
            &self.resource
        };
        out.extend_from_slice(b"GET ");
        out.extend_from_slice(resource.as_bytes());
        out.extend_from_slice(b" HTTP/1.1\r\n");
        fields::write(out, "Host", self.host.as_bytes());
        fields::write(out, "Upgrade", b"websocket");
        fields::write(out, "Connection", b"Upgrade");
        fields::write(out, "Sec-WebSocket-Key", key.as_bytes());
        fields::write(out, "Sec-WebSocket-Version", b"13");
        if !self.protocols.is_empty() {
            out.extend_from_slice(b"Sec-WebSocket-Protocol: ");
            for (i, p) in self.protocols.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(p.as_bytes());
            }
            out.extend_from_slice(b"\r\n");
        }
        if !self.extensions.is_empty() {
            out.extend_from_slice(b"Sec-WebSocket-Extensions: ");
            for (i, e) in self.extensions.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                out.extend_from_slice(trim_ows(e.as_bytes()));
            }
            out.extend_from_slice(b"\r\n");
        }
        for (name, value) in &self.headers {
            fields::write(out, name, value.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    fn check(&self, key: &str) -> Result<(), ApiError> {
        let host_ok = !self.host.is_empty()
            && self
                .host
                .bytes()
                .all(|b| matches!(b, 0x21..=0x7E) && !matches!(b, b'/' | b'?' | b'#' | b'@'));
        let resource_ok = self.resource.is_empty()
            || (self.resource.starts_with('/')
                && self
                    .resource
                    .bytes()
                    .all(|b| matches!(b, 0x21..=0x7E) && b != b'#'));
        let protocols_ok =
            self.protocols.iter().enumerate().all(|(i, p)| {
                is_token(p.as_bytes()) && !self.protocols.iter().take(i).any(|q| q == p)
            });
        let extensions_ok = self.extensions.iter().all(|e| {
            fields::is_valid_value(e.as_bytes())
                && parse_extensions(e.as_bytes()).is_ok_and(|v| !v.is_empty())
        });
        let key_ok = is_valid_key(key.as_bytes());
        if !(host_ok && resource_ok && protocols_ok && extensions_ok && key_ok) {
            return Err(ApiError::Syntax);
        }
        fields::check_extra(&self.headers, CLIENT_MANAGED_HEADERS)
    }

    /// The extension offers in [`extensions`](Self::extensions), parsed (elements that
    /// do not parse are skipped; [`encode`](Self::encode) refuses them anyway).
    pub fn extension_offers(&self) -> Vec<ExtensionOffer> {
        self.extensions
            .iter()
            .filter_map(|e| parse_extensions(e.as_bytes()).ok())
            .flatten()
            .collect()
    }
}

/// A parsed HTTP response head, owned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// Status code, e.g. 101.
    pub status: u16,
    /// Reason phrase (empty if absent or not ASCII).
    pub reason: String,
    /// Headers in order: name as received, raw value.
    pub headers: Vec<(String, Vec<u8>)>,
}

impl Response {
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
}

/// What a successful handshake agreed on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Negotiated {
    /// The subprotocol the server selected, if any.
    pub protocol: Option<String>,
    /// The extensions the server accepted, in the server's order, with the server's
    /// parameters (for the extension itself to check).
    pub extensions: Vec<ExtensionOffer>,
}

impl Negotiated {
    /// The accepted extensions as one header value (the browser's `extensions`
    /// attribute); empty if none.
    pub fn extensions_header(&self) -> String {
        format_extensions(&self.extensions)
    }
}

/// Checks the server's response against RFC 6455 §4.1 (and the WHATWG rule that a
/// client offering subprotocols requires one to be selected).
///
/// `key` is the `Sec-WebSocket-Key` that was sent and `req` the request it was sent with.
///
/// # Errors
///
/// * [`HandshakeError::UnexpectedStatus`] if the status is not 101;
/// * [`HandshakeError::InvalidResponse`] if `Upgrade` lacks the token `websocket`,
///   `Connection` lacks `upgrade` (both ASCII case-insensitive), `Sec-WebSocket-Accept`
///   is missing, repeated or wrong, `Sec-WebSocket-Protocol` is repeated, or
///   `Sec-WebSocket-Extensions` is malformed;
/// * [`HandshakeError::ProtocolMismatch`] if the selected subprotocol is not a single
///   offered one, or none was selected while some were offered;
/// * [`HandshakeError::ExtensionMismatch`] if an accepted extension was not offered or
///   is accepted twice.
pub fn validate_response(
    resp: &Response,
    key: &str,
    req: &ClientRequest,
) -> Result<Negotiated, HandshakeError> {
    if resp.status != 101 {
        return Err(HandshakeError::UnexpectedStatus(resp.status));
    }
    if !resp
        .headers_all("upgrade")
        .any(|v| header_contains_token(v, "websocket"))
    {
        return Err(HandshakeError::InvalidResponse(
            "Upgrade header missing the websocket token",
        ));
    }
    if !resp
        .headers_all("connection")
        .any(|v| header_contains_token(v, "upgrade"))
    {
        return Err(HandshakeError::InvalidResponse(
            "Connection header missing the upgrade token",
        ));
    }

    let mut accepts = resp.headers_all("sec-websocket-accept");
    let accept = accepts.next().ok_or(HandshakeError::InvalidResponse(
        "missing Sec-WebSocket-Accept",
    ))?;
    if accepts.next().is_some() {
        return Err(HandshakeError::InvalidResponse(
            "more than one Sec-WebSocket-Accept",
        ));
    }
    if accept != accept_key(trim_ows(key.as_bytes())).as_bytes() {
        return Err(HandshakeError::InvalidResponse(
            "Sec-WebSocket-Accept does not match the key",
        ));
    }

    let protocol = negotiated_protocol(resp, req)?;
    let extensions = negotiated_extensions(resp, req)?;
    Ok(Negotiated {
        protocol,
        extensions,
    })
}

fn negotiated_protocol(
    resp: &Response,
    req: &ClientRequest,
) -> Result<Option<String>, HandshakeError> {
    let mut values = resp.headers_all("sec-websocket-protocol");
    let selected = values.next().filter(|v| !v.is_empty());
    if values.next().is_some() {
        return Err(HandshakeError::InvalidResponse(
            "more than one Sec-WebSocket-Protocol",
        ));
    }
    match selected {
        None if req.protocols.is_empty() => Ok(None),
        None => Err(HandshakeError::ProtocolMismatch(String::new())),
        Some(v) => match req.protocols.iter().find(|p| p.as_bytes() == v) {
            Some(p) if is_token(v) => Ok(Some(p.clone())),
            _ => Err(HandshakeError::ProtocolMismatch(
                String::from_utf8_lossy(v).into_owned(),
            )),
        },
    }
}

fn negotiated_extensions(
    resp: &Response,
    req: &ClientRequest,
) -> Result<Vec<ExtensionOffer>, HandshakeError> {
    let mut accepted: Vec<ExtensionOffer> = Vec::new();
    for value in resp.headers_all("sec-websocket-extensions") {
        let list = parse_extensions(value)
            .map_err(|_| HandshakeError::InvalidResponse("malformed Sec-WebSocket-Extensions"))?;
        accepted.extend(list);
    }
    if accepted.is_empty() {
        return Ok(accepted);
    }
    let offered = req.extension_offers();
    for (i, ext) in accepted.iter().enumerate() {
        let was_offered = offered.iter().any(|o| o.name == ext.name);
        let repeated = accepted.iter().take(i).any(|e| e.name == ext.name);
        if !was_offered || repeated {
            return Err(HandshakeError::ExtensionMismatch(ext.name.clone()));
        }
    }
    Ok(accepted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::head::HeadReader;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
    const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

    fn request() -> ClientRequest {
        let mut r = ClientRequest::new("example.com", "/chat?x=1");
        r.protocols = vec!["chat".into(), "superchat".into()];
        r.extensions = vec!["permessage-deflate; client_max_window_bits".into()];
        r
    }

    fn response(headers: &[(&str, &str)]) -> Response {
        Response {
            status: 101,
            reason: "Switching Protocols".into(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
        }
    }

    fn good() -> Vec<(&'static str, &'static str)> {
        vec![
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", ACCEPT),
            ("Sec-WebSocket-Protocol", "chat"),
        ]
    }

    fn with(replace: &str, value: Option<&'static str>) -> Response {
        let mut h: Vec<(&str, &str)> = good()
            .into_iter()
            .filter(|(n, _)| !n.eq_ignore_ascii_case(replace))
            .collect();
        if let Some(v) = value {
            h.push((replace, v));
        }
        response(&h)
    }

    fn check(resp: &Response) -> Result<Negotiated, HandshakeError> {
        validate_response(resp, KEY, &request())
    }

    #[test]
    fn encodes_request() {
        let mut out = Vec::new();
        request().encode(KEY, &mut out).unwrap();
        assert_eq!(
            core::str::from_utf8(&out).unwrap(),
            "GET /chat?x=1 HTTP/1.1\r\n\
             Host: example.com\r\n\
             Upgrade: websocket\r\n\
             Connection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Protocol: chat, superchat\r\n\
             Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
             \r\n"
        );
        let mut minimal = ClientRequest::new("h:8080", "");
        minimal.headers.push(("Origin".into(), "http://h".into()));
        let mut out = Vec::new();
        minimal.encode(KEY, &mut out).unwrap();
        let text = core::str::from_utf8(&out).unwrap();
        assert!(text.starts_with("GET / HTTP/1.1\r\nHost: h:8080\r\n"));
        assert!(!text.contains("Protocol"));
        assert!(!text.contains("Extensions"));
        assert!(text.ends_with("Origin: http://h\r\n\r\n"));
    }

    #[test]
    fn encode_refuses_injection() {
        let cases: Vec<fn(&mut ClientRequest)> = vec![
            |r| r.host = String::new(),
            |r| r.host = "a b".into(),
            |r| r.host = "a\r\nX: y".into(),
            |r| r.host = "a/b".into(),
            |r| r.resource = "chat".into(),
            |r| r.resource = "/a b".into(),
            |r| r.resource = "/a\r\n".into(),
            |r| r.resource = "/a#frag".into(),
            |r| r.resource = "/caf\u{e9}".into(),
            |r| r.protocols.push("a b".into()),
            |r| r.protocols.push("".into()),
            |r| r.protocols.push("chat".into()),
            |r| r.extensions.push("x\r\nEvil: 1".into()),
            |r| r.extensions.push("x; =".into()),
            |r| r.extensions.push("".into()),
            |r| r.headers.push(("X".into(), "a\r\nEvil: 1".into())),
            |r| r.headers.push(("X".into(), "a\0".into())),
            |r| r.headers.push(("X".into(), "a\nb".into())),
            |r| r.headers.push(("Bad:Name".into(), "v".into())),
            |r| r.headers.push(("".into(), "v".into())),
            |r| r.headers.push(("sec-websocket-key".into(), KEY.into())),
            |r| r.headers.push(("HOST".into(), "other".into())),
        ];
        for (i, edit) in cases.into_iter().enumerate() {
            let mut r = request();
            edit(&mut r);
            let mut out = b"keep".to_vec();
            assert_eq!(r.encode(KEY, &mut out), Err(ApiError::Syntax), "case {i}");
            assert_eq!(out, b"keep", "case {i} wrote output");
        }
        let mut out = Vec::new();
        assert_eq!(request().encode("short", &mut out), Err(ApiError::Syntax));
        assert_eq!(
            request().encode("dGhlIHNhbXBsZSBub25j\r\n==", &mut out),
            Err(ApiError::Syntax)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn encoded_request_parses_back() {
        let mut out = Vec::new();
        request().encode(KEY, &mut out).unwrap();
        let mut reader = HeadReader::new(4096, 16);
        assert_eq!(reader.feed(&out), Ok(Some(&b""[..])));
        let parsed = reader.parse_request().unwrap();
        assert_eq!(parsed.path, "/chat?x=1");
        assert_eq!(parsed.protocols(), ["chat", "superchat"]);
        assert_eq!(parsed.key(), Some(KEY.as_bytes()));
    }

    #[test]
    fn good_response() {
        let n = check(&response(&good())).unwrap();
        assert_eq!(n.protocol.as_deref(), Some("chat"));
        assert!(n.extensions.is_empty());
        assert_eq!(n.extensions_header(), "");
    }

    #[test]
    fn status_must_be_101() {
        let mut r = response(&good());
        r.status = 200;
        assert_eq!(check(&r), Err(HandshakeError::UnexpectedStatus(200)));
        r.status = 403;
        assert_eq!(check(&r), Err(HandshakeError::UnexpectedStatus(403)));
    }

    #[test]
    fn upgrade_header() {
        assert!(check(&with("Upgrade", Some("WebSocket"))).is_ok());
        assert!(check(&with("Upgrade", Some("UPGRADE, websocket"))).is_ok());
        for bad in [None, Some("h2c"), Some(""), Some("websocket2")] {
            assert!(
                matches!(
                    check(&with("Upgrade", bad)),
                    Err(HandshakeError::InvalidResponse(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn connection_header() {
        assert!(check(&with("Connection", Some("UPGRADE"))).is_ok());
        assert!(check(&with("Connection", Some("keep-alive, Upgrade"))).is_ok());
        for bad in [None, Some("keep-alive"), Some("close"), Some("")] {
            assert!(
                matches!(
                    check(&with("Connection", bad)),
                    Err(HandshakeError::InvalidResponse(_))
                ),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn accept_header() {
        assert!(check(&with(
            "Sec-WebSocket-Accept",
            Some("  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= ")
        ))
        .is_ok());
        for bad in [
            None,
            Some(""),
            Some("s3pPLMBiTxfRa0MBZ7nZ7UwoXvs"),
            Some("S3PPLMBITXAQ9KYGZZHZRBK+XOO="),
            Some("dGhlIHNhbXBsZSBub25jZQ=="),
        ] {
            assert!(
                matches!(
                    check(&with("Sec-WebSocket-Accept", bad)),
                    Err(HandshakeError::InvalidResponse(_))
                ),
                "{bad:?}"
            );
        }
        let mut r = response(&good());
        r.headers
            .push(("Sec-WebSocket-Accept".into(), ACCEPT.as_bytes().to_vec()));
        assert!(matches!(check(&r), Err(HandshakeError::InvalidResponse(_))));
    }

    #[test]
    fn protocol_header() {
        assert_eq!(
            check(&with("Sec-WebSocket-Protocol", Some("superchat")))
                .unwrap()
                .protocol
                .as_deref(),
            Some("superchat")
        );
        for bad in ["other", "Chat", "chat, superchat", "chat superchat"] {
            assert_eq!(
                check(&with("Sec-WebSocket-Protocol", Some(bad))),
                Err(HandshakeError::ProtocolMismatch(bad.into())),
            );
        }
        // None selected although some were offered.
        assert_eq!(
            check(&with("Sec-WebSocket-Protocol", None)),
            Err(HandshakeError::ProtocolMismatch(String::new()))
        );
        // One selected although none were offered.
        let plain = ClientRequest::new("example.com", "/");
        assert_eq!(
            validate_response(&response(&good()), KEY, &plain),
            Err(HandshakeError::ProtocolMismatch("chat".into()))
        );
        let n = validate_response(&with("Sec-WebSocket-Protocol", None), KEY, &plain).unwrap();
        assert_eq!(n.protocol, None);
        // Two headers.
        let mut r = response(&good());
        r.headers
            .push(("sec-websocket-protocol".into(), b"chat".to_vec()));
        assert!(matches!(check(&r), Err(HandshakeError::InvalidResponse(_))));
    }

    #[test]
    fn extensions_header() {
        let mut r = response(&good());
        r.headers.push((
            "Sec-WebSocket-Extensions".into(),
            b"permessage-deflate; server_max_window_bits=\"10\"".to_vec(),
        ));
        let n = check(&r).unwrap();
        assert_eq!(
            n.extensions,
            [ExtensionOffer::new("permessage-deflate")
                .with_param("server_max_window_bits", Some("10"))]
        );
        assert_eq!(
            n.extensions_header(),
            "permessage-deflate; server_max_window_bits=10"
        );

        let mut r = response(&good());
        r.headers
            .push(("Sec-WebSocket-Extensions".into(), b"x-unknown".to_vec()));
        assert_eq!(
            check(&r),
            Err(HandshakeError::ExtensionMismatch("x-unknown".into()))
        );

        let mut r = response(&good());
        r.headers.push((
            "Sec-WebSocket-Extensions".into(),
            b"permessage-deflate, permessage-deflate".to_vec(),
        ));
        assert_eq!(
            check(&r),
            Err(HandshakeError::ExtensionMismatch(
                "permessage-deflate".into()
            ))
        );

        let mut r = response(&good());
        r.headers.push((
            "Sec-WebSocket-Extensions".into(),
            b"permessage-deflate; =".to_vec(),
        ));
        assert!(matches!(check(&r), Err(HandshakeError::InvalidResponse(_))));

        // Nothing offered, something accepted.
        let mut r = response(&good());
        r.headers.push((
            "Sec-WebSocket-Extensions".into(),
            b"permessage-deflate".to_vec(),
        ));
        let mut req = request();
        req.extensions.clear();
        assert_eq!(
            validate_response(&r, KEY, &req),
            Err(HandshakeError::ExtensionMismatch(
                "permessage-deflate".into()
            ))
        );
    }

    #[test]
    fn response_header_lookup() {
        let mut r = response(&good());
        r.headers.push(("X-A".into(), b" 1 ".to_vec()));
        r.headers.push(("x-a".into(), b"\xff".to_vec()));
        assert_eq!(r.header("x-a"), Some(&b"1"[..]));
        assert_eq!(r.header_str("X-A"), Some("1"));
        assert_eq!(r.headers_all("X-a").count(), 2);
        assert_eq!(r.header("missing"), None);
    }

    #[test]
    fn parsed_response_end_to_end() {
        let raw = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\nConnection: keep-alive, UPGRADE\r\nSec-WebSocket-Accept: {ACCEPT}\r\nSec-WebSocket-Protocol: chat\r\n\r\n\x01\x05hello"
        );
        let mut reader = HeadReader::new(1024, 16);
        let leftover = reader.feed(raw.as_bytes()).unwrap().unwrap();
        assert_eq!(leftover, b"\x01\x05hello");
        let resp = reader.parse_response().unwrap();
        assert_eq!(check(&resp).unwrap().protocol.as_deref(), Some("chat"));
    }
}
