//! The opening handshake (RFC 6455 §4): HTTP/1.1 upgrade request and response, built,
//! read and checked without any I/O.
//!
//! # Client
//!
//! 1. [`generate_key`] from a CSPRNG, then [`ClientRequest::encode`] the request and send
//!    it.
//! 2. [`HeadReader::feed`] received bytes until it returns `Some(leftover)`; keep the
//!    leftover (frames that arrived with the response).
//! 3. [`HeadReader::parse_response`], then [`validate_response`] with the key and request:
//!    on success, [`Negotiated`] holds the subprotocol and the accepted extensions.
//!
//! # Server
//!
//! 1. [`HeadReader::feed`] received bytes until it returns `Some(leftover)`, then
//!    [`HeadReader::parse_request`].
//! 2. [`validate_request`]; on failure answer with [`encode_reject`] and the error's
//!    status (see [`reject_status`] for errors from reading the head).
//! 3. The application inspects the [`Request`] (path, [`Request::origin`],
//!    [`Request::protocols`], [`Request::extensions`]) and either
//!    [`encode_accept`]s it with its choice of subprotocol and extensions, or
//!    [`encode_reject`]s it (e.g. 403 for a foreign origin).
//!
//! # Through an HTTP library
//!
//! When hyper, axum or another HTTP server reads the request and writes the response,
//! [`accept_response`] and [`reject_response`] give the response heads that
//! [`encode_accept`] and [`encode_reject`] would write, and an [`Agreement`] says what
//! the handshake agreed, to start a [`Connection`](crate::Connection) with
//! ([`Connection::upgraded_with`](crate::Connection::upgraded_with)). With the `http`
//! feature, the `http` module converts the heads to and from the `http` crate's
//! types and does the server's whole upgrade on an `http::Request`.
//!
//! # Hardening
//!
//! The head is read in linear time under a byte limit and a header-count limit that
//! reject rather than drop; lists are split by single-pass scanners (no regular
//! expressions); every value taken from the application is checked before it is
//! written, so it cannot inject header lines.

mod agreement;
pub mod client;
pub mod extensions;
mod fields;
pub mod head;
#[cfg(feature = "http")]
pub mod http;
pub mod key;
pub mod server;
pub mod tokens;

pub use agreement::Agreement;
pub use client::{validate_response, ClientRequest, Negotiated, Response};
pub use extensions::{format_extensions, parse_extensions, ExtensionOffer, ExtensionParseError};
pub use head::HeadReader;
pub use key::{accept_key, generate_key, is_valid_key};
pub use server::{
    accept_response, encode_accept, encode_reject, reason_phrase, reject_response, reject_status,
    validate_request, Request,
};
pub use tokens::{header_contains_token, is_token, split_list};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::DeterministicRng;
    use alloc::vec::Vec;

    /// Client and server talk to each other through byte buffers, fed in small chunks.
    #[test]
    fn full_handshake_round_trip() {
        let mut rng = DeterministicRng::new(42);
        let key = generate_key(&mut rng);
        let mut creq = ClientRequest::new("localhost:9001", "/echo?x=1");
        creq.protocols = ["v2.chat", "v1.chat"].map(Into::into).to_vec();
        creq.extensions = ["permessage-deflate; client_max_window_bits".into()].to_vec();
        creq.headers = [("Origin".into(), "http://localhost".into())].to_vec();
        let mut wire = Vec::new();
        creq.encode(&key, &mut wire).unwrap();
        wire.extend_from_slice(b"\x81\x85early");

        // Server side, three bytes at a time.
        let mut server = HeadReader::new(16 << 10, 64);
        let mut leftover = Vec::new();
        for chunk in wire.chunks(3) {
            if let Some(rest) = server.feed(chunk).unwrap() {
                leftover.extend_from_slice(rest);
            }
        }
        assert_eq!(leftover, b"\x81\x85early");
        let sreq = server.parse_request().unwrap();
        validate_request(&sreq).unwrap();
        assert_eq!(sreq.path, "/echo?x=1");
        assert_eq!(sreq.origin(), Some("http://localhost"));
        assert_eq!(sreq.protocols(), ["v2.chat", "v1.chat"]);
        assert_eq!(sreq.extensions()[0].name, "permessage-deflate");

        let mut answer = Vec::new();
        encode_accept(
            &sreq,
            Some("v1.chat"),
            Some("permessage-deflate; client_max_window_bits=15"),
            &[],
            &mut answer,
        )
        .unwrap();

        // Client side, one byte at a time.
        let mut client = HeadReader::new(16 << 10, 64);
        let mut done = false;
        for b in &answer {
            if client.feed(core::slice::from_ref(b)).unwrap().is_some() {
                done = true;
            }
        }
        assert!(done);
        let resp = client.parse_response().unwrap();
        let agreed = validate_response(&resp, &key, &creq).unwrap();
        assert_eq!(agreed.protocol.as_deref(), Some("v1.chat"));
        assert_eq!(
            agreed.extensions_header(),
            "permessage-deflate; client_max_window_bits=15"
        );
    }

    #[test]
    fn rejection_reaches_the_client_as_unexpected_status() {
        let mut reader = HeadReader::new(1024, 8);
        reader
            .feed(b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            .unwrap();
        let req = reader.parse_request().unwrap();
        let err = validate_request(&req).unwrap_err();
        let status = reject_status(&err).unwrap();
        assert_eq!(status, 400);
        let mut out = Vec::new();
        encode_reject(status, &[], b"missing key", &mut out).unwrap();

        let mut client = HeadReader::new(1024, 8);
        let body = client.feed(&out).unwrap().unwrap();
        assert_eq!(body, b"missing key");
        let resp = client.parse_response().unwrap();
        let creq = ClientRequest::new("x", "/");
        assert_eq!(
            validate_response(&resp, "dGhlIHNhbXBsZSBub25jZQ==", &creq),
            Err(crate::HandshakeError::UnexpectedStatus(400))
        );
    }
}
