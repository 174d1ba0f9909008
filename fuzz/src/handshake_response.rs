//! Target `handshake_response`: the client side of the opening handshake: reading the
//! response head under limits, parsing it, and checking it against the request.
//!
//! * Framing and limits agree with the reference model in [`crate::head_model`] (as in
//!   [`crate::handshake_request`]).
//! * A response that `validate_response` accepts really answers the request: status
//!   101, the `Upgrade` and `Connection` tokens, exactly one `Sec-WebSocket-Accept` equal
//!   to the key's accept value, a subprotocol that was offered (exactly when some were),
//!   only offered extensions, each once. The same response is refused for another key.
//!   A refusal for a status other than 101 names that status.

use arbitrary::Unstructured;
use websock_core::handshake::{
    accept_key, header_contains_token, validate_response, ClientRequest, Response,
};
use websock_core::HandshakeError;

use crate::head_model::{HeadInput, Verdict};

/// The key the client sent (RFC 6455's example).
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
/// Its accept value.
pub const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
/// Another valid key.
const OTHER_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAA==";

/// The request the response answers, as chosen by the input's first byte: bit 0 offers
/// subprotocols, bit 1 offers permessage-deflate, bit 2 offers another extension.
pub fn request(offer: u8) -> ClientRequest {
    let mut r = ClientRequest::new("example.com", "/chat");
    if offer & 1 != 0 {
        r.protocols = vec!["chat".into(), "superchat".into()];
    }
    if offer & 2 != 0 {
        r.extensions
            .push("permessage-deflate; client_max_window_bits".into());
    }
    if offer & 4 != 0 {
        r.extensions.push("x-webkit-deflate-frame".into());
    }
    r
}

/// The target's entry point: the first byte chooses the request (see [`request`]), the
/// rest is a [`HeadInput`].
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let offer = u.arbitrary::<u8>().unwrap_or(0);
    let input = HeadInput::decode(&mut u);
    check(offer, &input);
}

/// Checks one input.
pub fn check(offer: u8, input: &HeadInput) {
    let (reader, verdict) = input.feed();
    if !matches!(verdict, Verdict::Complete(_)) {
        return;
    }
    let _ = reader.parse_request();
    let Ok(resp) = reader.parse_response() else {
        return;
    };
    assert!(resp.headers.len() <= usize::from(input.max_headers));
    let creq = request(offer);
    match validate_response(&resp, KEY, &creq) {
        Ok(agreed) => {
            check_accepted(&resp);
            match (&agreed.protocol, creq.protocols.is_empty()) {
                (None, true) => {}
                (Some(p), false) => assert!(creq.protocols.contains(p), "{p} not offered"),
                (p, _) => panic!("subprotocol {p:?} for offers {:?}", creq.protocols),
            }
            let offered = creq.extension_offers();
            for (i, ext) in agreed.extensions.iter().enumerate() {
                assert!(offered.iter().any(|o| o.name == ext.name), "{ext:?}");
                assert!(!agreed.extensions[..i].iter().any(|e| e.name == ext.name));
            }
            assert!(
                validate_response(&resp, OTHER_KEY, &creq).is_err(),
                "accepted for the wrong key"
            );
        }
        Err(HandshakeError::UnexpectedStatus(s)) => {
            assert_eq!(s, resp.status);
            assert_ne!(s, 101);
        }
        Err(e) => {
            assert_eq!(resp.status, 101, "{e:?} for status {}", resp.status);
        }
    }
}

fn check_accepted(resp: &Response) {
    assert_eq!(resp.status, 101);
    assert!(resp
        .headers_all("upgrade")
        .any(|v| header_contains_token(v, "websocket")));
    assert!(resp
        .headers_all("connection")
        .any(|v| header_contains_token(v, "upgrade")));
    let accepts: Vec<&[u8]> = resp.headers_all("sec-websocket-accept").collect();
    assert_eq!(accepts, vec![accept_key(KEY.as_bytes()).as_bytes()]);
    assert_eq!(accept_key(KEY.as_bytes()), ACCEPT);
}
