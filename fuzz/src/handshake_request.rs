//! Target `handshake_request`: the server side of the opening handshake: reading the
//! request head under limits, parsing it, and checking it.
//!
//! * Framing and limits agree with the reference model in [`crate::head_model`], for
//!   any chunking (including floods of up to a megabyte): the buffered head never passes
//!   the size limit, errors are final, the leftover is exact.
//! * A parsed request has no more headers than the limit; its subprotocols are tokens;
//!   its extension offers format and parse back to themselves.
//! * A request that `validate_request` accepts can be answered: the 101 response (with
//!   no subprotocol, with each offered one, with an offered extension) parses and passes
//!   the client's own checks for the request's key. A refused request gets a 4xx/5xx
//!   whose response parses back with its status and body.

use arbitrary::Unstructured;
use websock_core::handshake::{
    encode_accept, encode_reject, format_extensions, is_token, is_valid_key, parse_extensions,
    reject_status, validate_request, validate_response, ClientRequest, HeadReader, Request,
    Response,
};
use websock_core::HandshakeError;

use crate::head_model::{HeadInput, Verdict};

/// The target's entry point.
pub fn run(data: &[u8]) {
    let input = HeadInput::decode(&mut Unstructured::new(data));
    check(&input);
}

/// Checks one input.
pub fn check(input: &HeadInput) {
    let (reader, verdict) = input.feed();
    if !matches!(verdict, Verdict::Complete(_)) {
        return;
    }
    // Parsing the same head as a response must not panic either.
    let _ = reader.parse_response();
    match reader.parse_request() {
        Ok(req) => check_request(&req, usize::from(input.max_headers)),
        Err(e) => {
            assert!(
                matches!(
                    e,
                    HandshakeError::MalformedHttp | HandshakeError::TooManyHeaders
                ),
                "{e:?}"
            );
            check_refusal(&e);
        }
    }
}

/// Reads a complete response written by the server side.
pub(crate) fn read_response(bytes: &[u8]) -> (Response, Vec<u8>) {
    let mut reader = HeadReader::new(1 << 20, 1000);
    let body = reader
        .feed(bytes)
        .expect("own response readable")
        .expect("own response complete")
        .to_vec();
    (reader.parse_response().expect("own response parses"), body)
}

fn check_refusal(e: &HandshakeError) {
    let status = reject_status(e).expect("a request error has a status");
    assert!((400..=599).contains(&status), "status {status}");
    let mut out = Vec::new();
    encode_reject(status, &[], b"refused", &mut out).expect("refusal encodes");
    let (resp, body) = read_response(&out);
    assert_eq!(resp.status, status);
    assert_eq!(body, b"refused");
    assert_eq!(resp.header("content-length"), Some(&b"7"[..]));
    let creq = ClientRequest::new("example.com", "/");
    assert_eq!(
        validate_response(&resp, "dGhlIHNhbXBsZSBub25jZQ==", &creq),
        Err(HandshakeError::UnexpectedStatus(status))
    );
}

fn check_request(req: &Request, max_headers: usize) {
    assert!(
        req.headers.len() <= max_headers,
        "more headers than the limit"
    );
    let _ = (req.host(), req.origin(), req.header_str("cookie"));
    let protocols = req.protocols();
    assert!(protocols.iter().all(|p| is_token(p.as_bytes())));
    let offers = req.try_extensions();
    if let Ok(offers) = &offers {
        let text = format_extensions(offers);
        assert_eq!(
            parse_extensions(text.as_bytes()).as_ref(),
            Ok(offers),
            "extension offers do not round-trip through {text:?}"
        );
    }
    let Err(e) = validate_request(req) else {
        return check_valid_request(req, &protocols, offers.unwrap_or_default());
    };
    check_refusal(&e);
}

fn check_valid_request(
    req: &Request,
    protocols: &[String],
    offers: Vec<websock_core::handshake::ExtensionOffer>,
) {
    // Independent re-checks of the rules validate_request enforces.
    assert_eq!(req.method, "GET");
    assert_eq!(req.version, 1);
    assert_eq!(req.headers_all("host").count(), 1);
    let key = req.key().expect("a valid request has a key");
    assert!(is_valid_key(key));
    let key = std::str::from_utf8(key).expect("a valid key is ASCII");
    assert_eq!(req.header("sec-websocket-version"), Some(&b"13"[..]));

    let mut creq = ClientRequest::new("example.com", "/");
    let answer = |protocol: Option<&str>, extensions: Option<&str>| {
        let mut out = Vec::new();
        encode_accept(req, protocol, extensions, &[], &mut out).expect("accept encodes");
        read_response(&out)
    };

    // No subprotocol.
    let (resp, rest) = answer(None, None);
    assert!(rest.is_empty());
    assert_eq!(resp.status, 101);
    let agreed = validate_response(&resp, key, &creq).expect("own 101 accepted");
    assert_eq!(agreed.protocol, None);

    // Each offered subprotocol (the client offers them all, without repeats).
    let mut distinct: Vec<String> = Vec::new();
    for p in protocols {
        if !distinct.contains(p) {
            distinct.push(p.clone());
        }
    }
    creq.protocols = distinct.clone();
    for p in distinct.iter().take(4) {
        let (resp, _) = answer(Some(p), None);
        let agreed = validate_response(&resp, key, &creq).expect("own 101 accepted");
        assert_eq!(agreed.protocol.as_deref(), Some(p.as_str()));
    }
    let mut out = Vec::new();
    assert!(
        encode_accept(req, Some("not-offered"), None, &[], &mut out).is_err()
            || protocols.iter().any(|p| p == "not-offered")
    );

    // The first extension offer, accepted as offered.
    if let Some(first) = offers.first() {
        creq.protocols.clear();
        let text = format_extensions(std::slice::from_ref(first));
        creq.extensions = vec![text.clone()];
        let (resp, _) = answer(None, Some(&text));
        let agreed = validate_response(&resp, key, &creq).expect("own 101 accepted");
        assert_eq!(agreed.extensions, vec![first.clone()]);
    }
}
