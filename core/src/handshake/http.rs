//! The opening handshake in the [`http`] crate's types (feature `http`), for
//! servers built on hyper, axum or any framework that hands requests around as
//! `http::Request`, and for clients that send their own requests.
//!
//! * Conversions: [`Request`] from and to `http::request::Parts` / `http::Request`,
//!   [`Response`] from and to `http::response::Parts` / `http::Response`.
//! * The server's upgrade, in two steps or one: [`validate_http`] checks a request head
//!   with the same rules (and the same statuses) as a websock server reading it from a
//!   socket; [`answer_http`] carries out the application's [`Decision`] on it, with the
//!   same checks as [`Connection::decide`](crate::Connection::decide), and negotiates
//!   permessage-deflate with the same code as a websock server; [`upgrade_http`] does
//!   both around a callback. The result, an [`HttpAnswer`], is the response to send
//!   (`101 Switching Protocols`, or the refusal) and, when accepted, the [`Agreement`]
//!   to start the connection with
//!   ([`Connection::upgraded_with`](crate::Connection::upgraded_with)) once the HTTP
//!   server hands the connection over.
//!
//! ```
//! use websock_core::handshake::http::{upgrade_http, HttpAnswer};
//! use websock_core::{Decision, Role, ServerSettings, Connection};
//! use core::time::Duration;
//!
//! let request = http::Request::get("/chat")
//!     .header("Host", "example.com")
//!     .header("Upgrade", "websocket")
//!     .header("Connection", "Upgrade")
//!     .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
//!     .header("Sec-WebSocket-Version", "13")
//!     .header("Sec-WebSocket-Protocol", "chat")
//!     .header("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits")
//!     .body(())
//!     .unwrap();
//! let settings = ServerSettings::default();
//! let answer = upgrade_http(&request, &settings, |req| {
//!     assert_eq!(req.path, "/chat");
//!     Decision::accept_protocol("chat")
//! });
//! let HttpAnswer::Accept { response, agreement, .. } = answer else { panic!() };
//! assert_eq!(response.status(), 101);
//! assert_eq!(response.headers()["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
//! assert_eq!(response.headers()["sec-websocket-extensions"], "permessage-deflate");
//! assert_eq!(agreement.protocol(), Some("chat"));
//!
//! // Once the HTTP server has sent the 101 and handed over the connection:
//! let conn = Connection::upgraded_with(Role::Server, agreement, settings.config(), Duration::ZERO);
//! assert_eq!(conn.extensions(), "permessage-deflate");
//! ```

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use ::http::header::{HeaderMap, HeaderName, HeaderValue};
use ::http::{request, response, Method, StatusCode, Uri, Version};
use bytes::Bytes;

use super::agreement::Agreement;
use super::client::Response;
use super::server::{accept_response, reject_response, reject_status, validate_request, Request};
use crate::config::Limits;
use crate::connection::Decision;
use crate::error::{ApiError, HandshakeError};
use crate::session::Error;
use crate::settings::ServerSettings;

/// The version [`Request::from_http_parts`] gives a request that is not HTTP/1.0 or
/// HTTP/1.1 (HTTP/0.9, HTTP/2, HTTP/3): not a minor version of HTTP/1, so
/// [`validate_request`] answers it with 505.
pub const NOT_HTTP1: u8 = u8::MAX;

/// An HTTP request head in the `http` crate's types: `http::request::Parts`, or a whole
/// `http::Request<B>` (whose body is not looked at).
pub trait HttpRequestHead {
    /// The request method.
    fn http_method(&self) -> &Method;
    /// The request target.
    fn http_uri(&self) -> &Uri;
    /// The HTTP version.
    fn http_version(&self) -> Version;
    /// The header fields.
    fn http_headers(&self) -> &HeaderMap;
}

impl HttpRequestHead for request::Parts {
    fn http_method(&self) -> &Method {
        &self.method
    }
    fn http_uri(&self) -> &Uri {
        &self.uri
    }
    fn http_version(&self) -> Version {
        self.version
    }
    fn http_headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl<B> HttpRequestHead for ::http::Request<B> {
    fn http_method(&self) -> &Method {
        self.method()
    }
    fn http_uri(&self) -> &Uri {
        self.uri()
    }
    fn http_version(&self) -> Version {
        self.version()
    }
    fn http_headers(&self) -> &HeaderMap {
        self.headers()
    }
}

/// A handshake head that the `http` crate's types cannot hold: a header name or value,
/// a method, a target or a status they refuse, or a version other than HTTP/1.0 and 1.1.
#[derive(Debug)]
pub struct HttpError(HttpErrorKind);

#[derive(Debug)]
enum HttpErrorKind {
    Http(::http::Error),
    Version(u8),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            HttpErrorKind::Http(e) => write!(f, "not a valid http head: {e}"),
            HttpErrorKind::Version(v) => write!(f, "no HTTP/1.{v} in the http crate"),
        }
    }
}

impl std::error::Error for HttpError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0 {
            HttpErrorKind::Http(e) => Some(e),
            HttpErrorKind::Version(_) => None,
        }
    }
}

impl From<::http::Error> for HttpError {
    fn from(e: ::http::Error) -> Self {
        HttpError(HttpErrorKind::Http(e))
    }
}

fn minor_version(version: Version) -> u8 {
    match version {
        Version::HTTP_10 => 0,
        Version::HTTP_11 => 1,
        _ => NOT_HTTP1,
    }
}

fn http_version(minor: u8) -> Result<Version, HttpError> {
    match minor {
        0 => Ok(Version::HTTP_10),
        1 => Ok(Version::HTTP_11),
        other => Err(HttpError(HttpErrorKind::Version(other))),
    }
}

fn own_headers(headers: &HeaderMap) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .map(|(name, value)| (String::from(name.as_str()), value.as_bytes().to_vec()))
        .collect()
}

fn http_headers(headers: &[(String, Vec<u8>)]) -> Result<HeaderMap, HttpError> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(::http::Error::from)?;
        let value = HeaderValue::from_bytes(value).map_err(::http::Error::from)?;
        map.append(name, value);
    }
    Ok(map)
}

impl Request {
    /// The request head of `head` (an `http::request::Parts` or `http::Request`): method,
    /// target (as the URI prints: `/path?query` for the usual origin form), version
    /// (the minor version of HTTP/1, or [`NOT_HTTP1`]) and headers in order (names as
    /// the `http` crate keeps them, lowercase).
    pub fn from_http<H: HttpRequestHead + ?Sized>(head: &H) -> Request {
        Request {
            method: String::from(head.http_method().as_str()),
            path: head.http_uri().to_string(),
            version: minor_version(head.http_version()),
            headers: own_headers(head.http_headers()),
        }
    }

    /// The request head of `parts` (see [`from_http`](Self::from_http)).
    pub fn from_http_parts(parts: &request::Parts) -> Request {
        Request::from_http(parts)
    }

    /// This request head as an `http::Request<()>` (take its parts with `into_parts`).
    ///
    /// # Errors
    ///
    /// [`HttpError`] if the `http` crate refuses the method, target, a header name or
    /// value, or if the version is not 0 or 1.
    pub fn to_http(&self) -> Result<::http::Request<()>, HttpError> {
        let mut request = ::http::Request::builder()
            .method(self.method.as_str())
            .uri(self.path.as_str())
            .version(http_version(self.version)?)
            .body(())?;
        *request.headers_mut() = http_headers(&self.headers)?;
        Ok(request)
    }
}

impl From<&request::Parts> for Request {
    fn from(parts: &request::Parts) -> Request {
        Request::from_http(parts)
    }
}

impl<B> From<&::http::Request<B>> for Request {
    fn from(request: &::http::Request<B>) -> Request {
        Request::from_http(request)
    }
}

impl TryFrom<&Request> for ::http::Request<()> {
    type Error = HttpError;

    fn try_from(request: &Request) -> Result<Self, HttpError> {
        request.to_http()
    }
}

impl Response {
    /// The response head of `parts`: status, its canonical reason phrase (the `http`
    /// crate keeps no other), headers in order.
    pub fn from_http_parts(parts: &response::Parts) -> Response {
        Response::from_status_headers(parts.status, &parts.headers)
    }

    /// The response head of `response` (its body is not looked at).
    pub fn from_http<B>(response: &::http::Response<B>) -> Response {
        Response::from_status_headers(response.status(), response.headers())
    }

    fn from_status_headers(status: StatusCode, headers: &HeaderMap) -> Response {
        Response {
            status: status.as_u16(),
            reason: String::from(status.canonical_reason().unwrap_or_default()),
            headers: own_headers(headers),
        }
    }

    /// This response head as an `http::Response<()>` (HTTP/1.1; the reason phrase is
    /// left to the HTTP library, which sends the canonical one).
    ///
    /// # Errors
    ///
    /// [`HttpError`] if the status is not in 100-999 or the `http` crate refuses a
    /// header name or value.
    pub fn to_http(&self) -> Result<::http::Response<()>, HttpError> {
        let mut response = ::http::Response::builder()
            .status(self.status)
            .version(Version::HTTP_11)
            .body(())?;
        *response.headers_mut() = http_headers(&self.headers)?;
        Ok(response)
    }
}

impl From<&response::Parts> for Response {
    fn from(parts: &response::Parts) -> Response {
        Response::from_http_parts(parts)
    }
}

impl<B> From<&::http::Response<B>> for Response {
    fn from(response: &::http::Response<B>) -> Response {
        Response::from_http(response)
    }
}

impl TryFrom<&Response> for ::http::Response<()> {
    type Error = HttpError;

    fn try_from(response: &Response) -> Result<Self, HttpError> {
        response.to_http()
    }
}

/// The size `head` would have on the wire as HTTP/1.1: request line, header lines and
/// the blank line.
fn wire_size<H: HttpRequestHead + ?Sized>(head: &H) -> usize {
    let line = head.http_method().as_str().len() + 1 + head.http_uri().to_string().len() + 11;
    let fields: usize = head
        .http_headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + 2 + value.len() + 2)
        .sum();
    line + fields + 2
}

/// Checks an upgrade request given in the `http` crate's types, with the rules a
/// websock server applies to one read from a socket: first `limits` (more than
/// [`Limits::max_headers`] header fields is [`HandshakeError::TooManyHeaders`], a head
/// over [`Limits::max_handshake_size`] bytes on the wire is
/// [`HandshakeError::TooLarge`], both answered 431), then [`validate_request`] (405,
/// 505, 400, 426). Returns the request for the application to inspect.
///
/// # Errors
///
/// The [`HandshakeError`] to answer with [`refuse_http`].
pub fn validate_http<H: HttpRequestHead + ?Sized>(
    head: &H,
    limits: &Limits,
) -> Result<Request, HandshakeError> {
    if head.http_headers().len() > limits.max_headers {
        return Err(HandshakeError::TooManyHeaders);
    }
    if wire_size(head) > limits.max_handshake_size {
        return Err(HandshakeError::TooLarge);
    }
    let request = Request::from_http(head);
    validate_request(&request)?;
    Ok(request)
}

/// The answer to an upgrade request that failed [`validate_http`]: the error's status
/// ([`reject_status`]; 400 if it has none) with the automatic headers of
/// [`reject_response`] (426 names the version, 405 allows `GET`, `Connection: close`)
/// and the error's text as the body, as a websock server answers it on a socket.
pub fn refuse_http(error: &HandshakeError) -> ::http::Response<Bytes> {
    error_response(
        reject_status(error).unwrap_or(400),
        &[],
        Bytes::from(error.to_string()),
    )
    .unwrap_or_else(|_| internal_error())
}

/// An error response (`reject_response`'s head) with `body`.
fn error_response(
    status: u16,
    headers: &[(String, String)],
    body: Bytes,
) -> Result<::http::Response<Bytes>, ApiError> {
    let head = reject_response(status, headers, &body)?;
    let response = head.to_http().map_err(|_| ApiError::Syntax)?;
    Ok(response.map(|()| body))
}

/// A bare 500, for a decision that cannot be carried out.
fn internal_error() -> ::http::Response<Bytes> {
    let mut response = ::http::Response::new(Bytes::new());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        ::http::header::CONNECTION,
        HeaderValue::from_static("close"),
    );
    response
}

/// What [`answer_http`] or [`upgrade_http`] decided: the response to send, and what to
/// do after it.
#[derive(Debug)]
pub enum HttpAnswer {
    /// Upgrade: send `response` (`101 Switching Protocols`, with `Sec-WebSocket-Accept`,
    /// the selected subprotocol, the permessage-deflate element and the application's
    /// headers); once the HTTP server hands the connection over, start it with
    /// `agreement` ([`Connection::upgraded_with`](crate::Connection::upgraded_with)).
    Accept {
        /// The `101` response.
        response: ::http::Response<()>,
        /// The subprotocol and extensions the response agreed.
        agreement: Agreement,
        /// The request that was accepted.
        request: Request,
    },
    /// No upgrade: send `response` (its body included) and no WebSocket follows.
    Reject {
        /// The refusal.
        response: ::http::Response<Bytes>,
        /// Why, as a websock server's `accept_with` reports it:
        /// [`Error::Handshake`] with the request's fault (`BadRequest`, `TooLarge`,
        /// ...), [`Error::Handshake`]`(`[`HandshakeError::Rejected`]`(status))` for the
        /// application's [`Decision::Reject`], or [`Error::Api`] for a decision that
        /// could not be carried out (answered with 500).
        error: Error,
    },
}

impl HttpAnswer {
    /// The response's status.
    pub fn status(&self) -> StatusCode {
        match self {
            HttpAnswer::Accept { response, .. } => response.status(),
            HttpAnswer::Reject { response, .. } => response.status(),
        }
    }

    /// Whether the request was accepted.
    pub fn is_accept(&self) -> bool {
        matches!(self, HttpAnswer::Accept { .. })
    }
}

/// Carries out the application's `decision` on a request that passed
/// [`validate_http`], as [`Connection::decide`](crate::Connection::decide) does on a
/// socket: an accept negotiates permessage-deflate under `settings.deflate` (the first
/// acceptable offer of the client's, as a websock server does) and answers `101`; a
/// reject answers its status, headers and body.
///
/// A decision that cannot be carried out (a subprotocol the client did not offer, a
/// header that would corrupt the response, a reject status outside 400-599) is answered
/// with 500 and reported as [`Error::Api`].
pub fn answer_http(request: Request, decision: Decision, settings: &ServerSettings) -> HttpAnswer {
    let refused = |e: ApiError| HttpAnswer::Reject {
        response: internal_error(),
        error: Error::Api(e),
    };
    match decision {
        Decision::Accept { protocol, headers } => {
            let deflate = negotiate(&request, settings);
            let element = deflate_element(&deflate);
            let response =
                accept_response(&request, protocol.as_deref(), element.as_deref(), &headers)
                    .and_then(|head| head.to_http().map_err(|_| ApiError::Syntax));
            match response {
                Ok(response) => HttpAnswer::Accept {
                    response,
                    agreement: agreement(protocol, deflate),
                    request,
                },
                Err(e) => refused(e),
            }
        }
        Decision::Reject {
            status,
            headers,
            body,
        } => {
            if !(400..=599).contains(&status) {
                return refused(ApiError::Syntax);
            }
            match error_response(status, &headers, Bytes::from(body)) {
                Ok(response) => HttpAnswer::Reject {
                    response,
                    error: Error::Handshake(HandshakeError::Rejected(status)),
                },
                Err(e) => refused(e),
            }
        }
    }
}

/// [`validate_http`], then `decide` on the valid request, then [`answer_http`]: the
/// whole server side of an upgrade whose HTTP is done by someone else. `decide` is
/// called only for a valid request; an invalid one is answered with
/// [`refuse_http`].
pub fn upgrade_http<H, F>(head: &H, settings: &ServerSettings, decide: F) -> HttpAnswer
where
    H: HttpRequestHead + ?Sized,
    F: FnOnce(&Request) -> Decision,
{
    match validate_http(head, &settings.limits) {
        Ok(request) => {
            let decision = decide(&request);
            answer_http(request, decision, settings)
        }
        Err(e) => HttpAnswer::Reject {
            response: refuse_http(&e),
            error: Error::Handshake(e),
        },
    }
}

#[cfg(feature = "deflate")]
type Negotiated = Option<(crate::deflate::DeflateParams, super::ExtensionOffer)>;
/// Without the `deflate` feature nothing is ever negotiated.
#[cfg(not(feature = "deflate"))]
type Negotiated = Option<core::convert::Infallible>;

/// The server's choice among the client's permessage-deflate offers.
#[cfg(feature = "deflate")]
fn negotiate(request: &Request, settings: &ServerSettings) -> Negotiated {
    crate::deflate::server_negotiate(&settings.deflate, &request.extensions())
}

#[cfg(not(feature = "deflate"))]
fn negotiate(_: &Request, _: &ServerSettings) -> Negotiated {
    None
}

#[cfg(feature = "deflate")]
fn deflate_element(negotiated: &Negotiated) -> Option<String> {
    negotiated.as_ref().map(|(_, element)| element.to_string())
}

#[cfg(not(feature = "deflate"))]
fn deflate_element(_: &Negotiated) -> Option<String> {
    None
}

#[cfg(feature = "deflate")]
fn agreement(protocol: Option<String>, negotiated: Negotiated) -> Agreement {
    Agreement::server(protocol, negotiated)
}

#[cfg(not(feature = "deflate"))]
fn agreement(protocol: Option<String>, _: Negotiated) -> Agreement {
    Agreement::new(protocol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handshake::{accept_key, encode_accept, encode_reject, HeadReader};
    use alloc::vec;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn upgrade_request() -> ::http::request::Builder {
        ::http::Request::get("/chat?room=1")
            .header("Host", "example.com")
            .header("Upgrade", "websocket")
            .header("Connection", "keep-alive, Upgrade")
            .header("Sec-WebSocket-Key", KEY)
            .header("Sec-WebSocket-Version", "13")
            .header("Origin", "https://example.com")
    }

    fn parts(builder: ::http::request::Builder) -> request::Parts {
        builder.body(()).unwrap().into_parts().0
    }

    /// The same bytes through websock's own parser.
    fn parsed(wire: &[u8]) -> Request {
        let mut reader = HeadReader::new(16 << 10, 64);
        assert!(reader.feed(wire).unwrap().is_some());
        reader.parse_request().unwrap()
    }

    #[test]
    fn request_conversions_round_trip() {
        let p = parts(upgrade_request().header("X-Two", "a").header("x-two", "b"));
        let req = Request::from_http_parts(&p);
        assert_eq!(req.method, "GET");
        assert_eq!(req.path, "/chat?room=1");
        assert_eq!(req.version, 1);
        assert_eq!(req.host(), Some("example.com"));
        assert_eq!(req.origin(), Some("https://example.com"));
        assert_eq!(
            req.headers_all("x-two").collect::<Vec<_>>(),
            [&b"a"[..], b"b"]
        );
        assert_eq!(validate_request(&req), Ok(()));

        let back = req.to_http().unwrap();
        assert_eq!(back.method(), Method::GET);
        assert_eq!(back.uri(), "/chat?room=1");
        assert_eq!(back.version(), Version::HTTP_11);
        assert_eq!(back.headers(), &p.headers);
        assert_eq!(Request::from(&back), req);
        assert_eq!(
            ::http::Request::try_from(&req).unwrap().headers(),
            &p.headers
        );

        // What websock's own parser reads from the wire converts to the same request.
        let wire = b"GET /chat HTTP/1.1\r\nHost: h\r\nX-Bin: caf\xe9\r\n\r\n";
        let ours = parsed(wire);
        let theirs = Request::from(&ours.to_http().unwrap());
        assert_eq!(theirs.header("x-bin"), Some(&b"caf\xe9"[..]));
        assert_eq!(
            (theirs.method, theirs.path, theirs.version),
            ("GET".into(), "/chat".into(), 1)
        );
    }

    #[test]
    fn versions() {
        for (version, minor) in [
            (Version::HTTP_10, 0),
            (Version::HTTP_11, 1),
            (Version::HTTP_2, NOT_HTTP1),
            (Version::HTTP_09, NOT_HTTP1),
        ] {
            let req = Request::from(&parts(upgrade_request().version(version)));
            assert_eq!(req.version, minor, "{version:?}");
        }
        let mut req = Request::from(&parts(upgrade_request()));
        req.version = NOT_HTTP1;
        assert!(req
            .to_http()
            .unwrap_err()
            .to_string()
            .contains("HTTP/1.255"));
        req.version = 1;
        req.headers.push(("Bad Name".into(), b"x".to_vec()));
        assert!(req.to_http().is_err());
    }

    #[test]
    fn response_conversions_round_trip() {
        let req = Request::from(&parts(
            upgrade_request().header("Sec-WebSocket-Protocol", "chat"),
        ));
        let head = accept_response(
            &req,
            Some("chat"),
            None,
            &[("Set-Cookie".into(), "a=b".into())],
        )
        .unwrap();
        let http = head.to_http().unwrap();
        assert_eq!(http.status(), StatusCode::SWITCHING_PROTOCOLS);
        assert_eq!(
            http.headers()["sec-websocket-accept"],
            accept_key(KEY.as_bytes()).as_str()
        );
        assert_eq!(http.headers()["sec-websocket-protocol"], "chat");
        assert_eq!(http.headers()["set-cookie"], "a=b");
        let back = Response::from_http(&http);
        assert_eq!(back.status, 101);
        assert_eq!(back.reason, "Switching Protocols");
        assert_eq!(back.headers.len(), head.headers.len());
        for ((n1, v1), (n2, v2)) in head.headers.iter().zip(&back.headers) {
            assert!(n1.eq_ignore_ascii_case(n2));
            assert_eq!(v1, v2);
        }
        let (p, ()) = http.into_parts();
        assert_eq!(Response::from(&p), back);
        assert_eq!(::http::Response::try_from(&back).unwrap().status(), 101);

        // The head matches what encode_accept writes on a socket.
        let mut wire = Vec::new();
        encode_accept(
            &req,
            Some("chat"),
            None,
            &[("Set-Cookie".into(), "a=b".into())],
            &mut wire,
        )
        .unwrap();
        let mut reader = HeadReader::new(4096, 16);
        reader.feed(&wire).unwrap();
        assert_eq!(reader.parse_response().unwrap(), head);
    }

    #[test]
    fn reject_heads_match_the_wire() {
        for (status, headers, body) in [
            (403, vec![], &b"no"[..]),
            (426, vec![], b""),
            (405, vec![("X-A".to_string(), "1".to_string())], b"get only"),
        ] {
            let head = reject_response(status, &headers, body).unwrap();
            let mut wire = Vec::new();
            encode_reject(status, &headers, body, &mut wire).unwrap();
            let mut reader = HeadReader::new(4096, 16);
            assert_eq!(reader.feed(&wire).unwrap(), Some(body));
            assert_eq!(reader.parse_response().unwrap(), head);
        }
    }

    #[test]
    fn accept_with_deflate() {
        let p = parts(
            upgrade_request()
                .header("Sec-WebSocket-Protocol", "v1, v2")
                .header(
                    "Sec-WebSocket-Extensions",
                    "x-foo, permessage-deflate; client_max_window_bits",
                ),
        );
        let answer = upgrade_http(&p, &ServerSettings::default(), |req| {
            assert_eq!(req.protocols(), ["v1", "v2"]);
            Decision::Accept {
                protocol: Some("v2".into()),
                headers: vec![("Set-Cookie".into(), "id=1".into())],
            }
        });
        assert_eq!(answer.status(), 101);
        let HttpAnswer::Accept {
            response,
            agreement,
            request,
        } = answer
        else {
            panic!("{answer:?}")
        };
        assert_eq!(request.path, "/chat?room=1");
        let h = response.headers();
        assert_eq!(h["upgrade"], "websocket");
        assert_eq!(h["connection"], "Upgrade");
        assert_eq!(h["sec-websocket-accept"], "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(h["sec-websocket-protocol"], "v2");
        assert_eq!(h["set-cookie"], "id=1");
        assert_eq!(agreement.protocol(), Some("v2"));
        #[cfg(feature = "deflate")]
        {
            assert_eq!(h["sec-websocket-extensions"], "permessage-deflate");
            assert_eq!(agreement.extensions(), "permessage-deflate");
            assert_eq!(
                agreement.deflate(),
                Some(&crate::deflate::DeflateParams::default())
            );
            // The 101's header says exactly what the agreement holds.
            let from_response = Agreement::from_response(&Response::from_http(&response)).unwrap();
            assert_eq!(from_response, agreement);
        }
        #[cfg(not(feature = "deflate"))]
        assert!(h.get("sec-websocket-extensions").is_none());
    }

    #[cfg(feature = "deflate")]
    #[test]
    fn deflate_follows_the_settings() {
        use crate::deflate::DeflateConfig;
        let p = parts(upgrade_request().header(
            "Sec-WebSocket-Extensions",
            "permessage-deflate; client_max_window_bits",
        ));
        let settings = ServerSettings::default().deflate(DeflateConfig {
            server_no_context_takeover: true,
            client_max_window_bits: 10,
            ..DeflateConfig::default()
        });
        let answer = upgrade_http(&p, &settings, |_| Decision::accept());
        let HttpAnswer::Accept {
            response,
            agreement,
            ..
        } = answer
        else {
            panic!()
        };
        assert_eq!(
            response.headers()["sec-websocket-extensions"],
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=10"
        );
        let params = agreement.deflate().unwrap();
        assert!(params.server_no_context_takeover);
        assert_eq!(params.client_max_window_bits, 10);

        let off = ServerSettings::default().deflate(DeflateConfig::disabled());
        let HttpAnswer::Accept {
            response,
            agreement,
            ..
        } = upgrade_http(&p, &off, |_| Decision::accept())
        else {
            panic!()
        };
        assert!(response.headers().get("sec-websocket-extensions").is_none());
        assert_eq!(agreement, Agreement::new(None));
    }

    #[test]
    fn invalid_requests_are_refused_with_their_status() {
        let cases: Vec<(::http::request::Builder, u16)> = vec![
            (upgrade_request().method("POST"), 405),
            (upgrade_request().version(Version::HTTP_10), 505),
            (upgrade_request().version(Version::HTTP_2), 505),
            (::http::Request::get("/").header("Host", "h"), 426),
            (upgrade_request().header("Sec-WebSocket-Key", "x"), 400),
            (upgrade_request().header("Sec-WebSocket-Version", "8"), 426),
        ];
        for (builder, status) in cases {
            let p = parts(builder);
            let answer = upgrade_http(&p, &ServerSettings::default(), |_| panic!("not valid"));
            let HttpAnswer::Reject { response, error } = answer else {
                panic!("{p:?}")
            };
            assert_eq!(response.status(), status, "{p:?}");
            let Error::Handshake(e) = &error else {
                panic!("{error:?}")
            };
            assert!(matches!(e, HandshakeError::BadRequest { status: s, .. } if *s == status));
            assert_eq!(response.body(), e.to_string().as_bytes(), "{p:?}");
            let connection = response.headers()["connection"].to_str().unwrap();
            assert!(connection.ends_with("close"), "{connection}");
            if status == 426 {
                assert_eq!(response.headers()["sec-websocket-version"], "13");
            }
            if status == 405 {
                assert_eq!(response.headers()["allow"], "GET");
            }
        }
    }

    #[test]
    fn limits_apply() {
        let p = parts(upgrade_request());
        let few = Limits {
            max_headers: 5,
            ..Limits::default()
        };
        assert_eq!(validate_http(&p, &few), Err(HandshakeError::TooManyHeaders));
        let small = Limits {
            max_handshake_size: 100,
            ..Limits::default()
        };
        assert_eq!(validate_http(&p, &small), Err(HandshakeError::TooLarge));
        let answer = upgrade_http(&p, &ServerSettings::default().limits(small), |_| {
            Decision::accept()
        });
        assert_eq!(answer.status(), 431);
        assert!(validate_http(&p, &Limits::default()).is_ok());
        // A whole request works as well as its parts.
        let whole = upgrade_request().body("ignored").unwrap();
        assert!(validate_http(&whole, &Limits::default()).is_ok());
    }

    #[test]
    fn rejections_and_bad_decisions() {
        let p = parts(upgrade_request().header("Sec-WebSocket-Protocol", "chat"));
        let settings = ServerSettings::default();
        let answer = upgrade_http(&p, &settings, |_| Decision::Reject {
            status: 403,
            headers: vec![("X-Why".into(), "origin".into())],
            body: b"forbidden".to_vec(),
        });
        let HttpAnswer::Reject { response, error } = answer else {
            panic!()
        };
        assert_eq!(response.status(), 403);
        assert_eq!(response.headers()["x-why"], "origin");
        assert_eq!(response.headers()["content-length"], "9");
        assert_eq!(response.headers()["connection"], "close");
        assert_eq!(response.body().as_ref(), b"forbidden");
        assert!(matches!(
            error,
            Error::Handshake(HandshakeError::Rejected(403))
        ));

        for bad in [
            Decision::accept_protocol("other"),
            Decision::Accept {
                protocol: None,
                headers: vec![("X".into(), "a\r\nb".into())],
            },
            Decision::Accept {
                protocol: None,
                headers: vec![("Sec-WebSocket-Accept".into(), "x".into())],
            },
            Decision::reject(200),
            Decision::Reject {
                status: 400,
                headers: vec![("Content-Length".into(), "1".into())],
                body: Vec::new(),
            },
        ] {
            let answer = upgrade_http(&p, &settings, |_| bad.clone());
            let HttpAnswer::Reject { response, error } = answer else {
                panic!("{bad:?}")
            };
            assert_eq!(response.status(), 500, "{bad:?}");
            assert!(
                matches!(error, Error::Api(ApiError::Syntax)),
                "{bad:?}: {error:?}"
            );
        }
    }

    /// A websock client's request goes through the `http` types; the server side is
    /// `Connection::upgraded_with` on the agreement: both compress and inflate as agreed.
    #[cfg(feature = "deflate")]
    #[test]
    fn upgraded_connection_speaks_the_agreed_deflate() {
        use crate::connection::{Connection, Role};
        use crate::deflate::RSV1;
        use crate::frame::{FrameHeader, Status};
        use crate::handshake::ClientRequest;
        use crate::{Config, Event, Message};
        use core::time::Duration;

        fn transmit(conn: &mut Connection) -> Vec<u8> {
            let mut slices: [&[u8]; 16] = [&[]; 16];
            let n = conn.poll_transmit(&mut slices);
            let out: Vec<u8> = slices[..n].concat();
            conn.advance_transmit(out.len());
            out
        }

        let now = Duration::ZERO;
        let mut creq = ClientRequest::new("example.com", "/chat");
        creq.protocols = vec!["chat".into()];
        let mut client = Connection::client(creq, Config::default(), now).unwrap();
        let request = parsed(&transmit(&mut client)).to_http().unwrap();

        let settings = ServerSettings::default();
        let answer = upgrade_http(&request, &settings, |_| Decision::accept_protocol("chat"));
        let HttpAnswer::Accept {
            response,
            agreement,
            ..
        } = answer
        else {
            panic!()
        };
        let mut server = Connection::upgraded_with(Role::Server, agreement, settings.config(), now);
        let Some(Event::Open(open)) = server.poll_event() else {
            panic!()
        };
        assert_eq!(open.protocol.as_deref(), Some("chat"));
        assert_eq!(open.extensions, "permessage-deflate");
        assert_eq!(server.extensions(), open.extensions);

        // The 101 as an HTTP library would write it.
        let mut wire = b"HTTP/1.1 101 Switching Protocols\r\n".to_vec();
        for (name, value) in response.headers() {
            wire.extend_from_slice(name.as_str().as_bytes());
            wire.extend_from_slice(b": ");
            wire.extend_from_slice(value.as_bytes());
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b"\r\n");
        client.handle_input(now, &wire);
        let Some(Event::Open(open)) = client.poll_event() else {
            panic!()
        };
        assert_eq!(client.extensions(), server.extensions());
        assert_eq!(open.protocol.as_deref(), Some("chat"));

        // Server to client: compressed (RSV1), far smaller than the message.
        let text = "websock over hyper ".repeat(1000);
        server.send_text(&text).unwrap();
        let frame = transmit(&mut server);
        let Ok(Status::Complete((header, _))) = FrameHeader::parse(&frame) else {
            panic!()
        };
        assert_eq!(header.rsv, RSV1);
        assert!(frame.len() < text.len() / 10, "{} bytes", frame.len());
        client.handle_input(now, &frame);
        assert!(
            matches!(client.poll_event(), Some(Event::Message(m)) if m == Message::text(text.as_str()))
        );
        // Client to server: compressed too, and inflated by the upgraded connection.
        client.send_text(&text).unwrap();
        let frame = transmit(&mut client);
        assert!(frame.len() < text.len() / 10);
        server.handle_input(now, &frame);
        assert!(
            matches!(server.poll_event(), Some(Event::Message(m)) if m == Message::text(text.as_str()))
        );
    }
}
