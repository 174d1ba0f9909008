//! What an opening handshake agreed, for a connection whose handshake was done elsewhere
//! (by hyper, axum, or any HTTP server or client): the subprotocol and the extensions,
//! with permessage-deflate's parameters.

use alloc::string::String;
use alloc::vec::Vec;

use super::client::Response;
use super::extensions::{format_extensions, parse_extensions, ExtensionOffer};
use crate::error::HandshakeError;

/// What an opening handshake agreed: the subprotocol and the extensions (as the `101`
/// response's `Sec-WebSocket-Extensions` said them), with the permessage-deflate
/// parameters in force.
///
/// [`Connection::upgraded_with`](crate::Connection::upgraded_with) starts a connection
/// with exactly this: it compresses and inflates as the parameters say, and its
/// [`extensions`](crate::Connection::extensions) getter reports
/// [`extensions`](Self::extensions).
///
/// Made by the server side of the `http` feature's upgrade
/// (`handshake::http::answer_http`), or from the headers of a `101`
/// ([`from_response`](Self::from_response), [`from_headers`](Self::from_headers)).
/// Only permessage-deflate can be agreed; any other extension is refused, since no
/// connection could speak it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Agreement {
    protocol: Option<String>,
    extensions: String,
    #[cfg(feature = "deflate")]
    deflate: Option<crate::deflate::DeflateParams>,
}

impl Agreement {
    /// A subprotocol (or none) and no extension.
    pub fn new(protocol: Option<String>) -> Agreement {
        Agreement {
            protocol,
            ..Agreement::default()
        }
    }

    /// What the headers of a `101` response agreed: the selected subprotocol (the
    /// `Sec-WebSocket-Protocol` value, if any) and the `Sec-WebSocket-Extensions` value
    /// (empty or `None` if none).
    ///
    /// # Errors
    ///
    /// [`HandshakeError::InvalidResponse`] if `extensions` is malformed;
    /// [`HandshakeError::ExtensionMismatch`] if it names an extension other than
    /// permessage-deflate (or that one without the `deflate` feature), names it twice,
    /// or gives it parameters a response may not carry (RFC 7692 §7.1).
    pub fn from_headers(
        protocol: Option<&str>,
        extensions: Option<&str>,
    ) -> Result<Agreement, HandshakeError> {
        let accepted = match extensions {
            Some(text) => parse_extensions(text.as_bytes()).map_err(|_| {
                HandshakeError::InvalidResponse("malformed Sec-WebSocket-Extensions")
            })?,
            None => Vec::new(),
        };
        let mut agreement = Agreement::new(protocol.map(String::from));
        agreement.extensions = format_extensions(&accepted);
        agreement.agree(&accepted)?;
        Ok(agreement)
    }

    /// What a `101` response agreed (its `Sec-WebSocket-Protocol` and every
    /// `Sec-WebSocket-Extensions` header). The response is not otherwise checked: a
    /// client that did its own handshake has checked it (see
    /// [`validate_response`](super::validate_response)).
    ///
    /// # Errors
    ///
    /// As for [`from_headers`](Self::from_headers), and
    /// [`HandshakeError::InvalidResponse`] if a header is not UTF-8.
    pub fn from_response(response: &Response) -> Result<Agreement, HandshakeError> {
        let not_utf8 = || HandshakeError::InvalidResponse("header value is not UTF-8");
        let protocol = match response.header("sec-websocket-protocol") {
            Some(v) => Some(core::str::from_utf8(v).map_err(|_| not_utf8())?),
            None => None,
        };
        let mut extensions = Vec::new();
        for value in response.headers_all("sec-websocket-extensions") {
            extensions.push(core::str::from_utf8(value).map_err(|_| not_utf8())?);
        }
        let joined = extensions.join(", ");
        Agreement::from_headers(protocol, (!joined.is_empty()).then_some(joined.as_str()))
    }

    /// The agreed subprotocol, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The agreed extensions as header text (the browser's `extensions` attribute;
    /// empty when none).
    pub fn extensions(&self) -> &str {
        &self.extensions
    }

    /// The permessage-deflate parameters in force, if it was agreed.
    #[cfg(feature = "deflate")]
    pub fn deflate(&self) -> Option<&crate::deflate::DeflateParams> {
        self.deflate.as_ref()
    }

    /// The subprotocol, taken out (the rest stays for the connection).
    pub(crate) fn take_protocol(&mut self) -> Option<String> {
        self.protocol.take()
    }

    /// A server's agreement: `protocol`, and the permessage-deflate parameters and
    /// response element that `deflate::server_negotiate` chose.
    #[cfg(all(feature = "deflate", feature = "http"))]
    pub(crate) fn server(
        protocol: Option<String>,
        deflate: Option<(crate::deflate::DeflateParams, ExtensionOffer)>,
    ) -> Agreement {
        let (deflate, extensions) = match deflate {
            Some((params, element)) => (Some(params), alloc::string::ToString::to_string(&element)),
            None => (None, String::new()),
        };
        Agreement {
            protocol,
            extensions,
            deflate,
        }
    }

    /// Checks the accepted extensions and records permessage-deflate's parameters.
    #[cfg(feature = "deflate")]
    fn agree(&mut self, accepted: &[ExtensionOffer]) -> Result<(), HandshakeError> {
        use crate::deflate::{client_accept_response, DeflateConfig, EXTENSION_NAME};
        if let Some(other) = accepted.iter().find(|e| e.name != EXTENSION_NAME) {
            return Err(HandshakeError::ExtensionMismatch(other.name.clone()));
        }
        // A client that offered everything (default configuration: any window, context
        // takeover allowed) accepts exactly what the response element says, after the
        // checks of RFC 7692 §7.1; this reads the element into its parameters.
        self.deflate = client_accept_response(&DeflateConfig::default(), accepted)
            .map_err(HandshakeError::from)?;
        Ok(())
    }

    /// Without permessage-deflate support, no extension can be agreed.
    #[cfg(not(feature = "deflate"))]
    fn agree(&mut self, accepted: &[ExtensionOffer]) -> Result<(), HandshakeError> {
        match accepted.first() {
            Some(ext) => Err(HandshakeError::ExtensionMismatch(ext.name.clone())),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_extensions() {
        let a = Agreement::from_headers(Some("chat"), None).unwrap();
        assert_eq!(a.protocol(), Some("chat"));
        assert_eq!(a.extensions(), "");
        assert_eq!(a, Agreement::new(Some("chat".into())));
        assert_eq!(
            Agreement::from_headers(None, Some(" , ")).unwrap(),
            Agreement::default()
        );
    }

    #[test]
    fn unknown_extensions_are_refused() {
        assert_eq!(
            Agreement::from_headers(None, Some("x-foo")),
            Err(HandshakeError::ExtensionMismatch("x-foo".into()))
        );
        assert!(matches!(
            Agreement::from_headers(None, Some("permessage-deflate;;")),
            Err(HandshakeError::InvalidResponse(_))
        ));
    }

    #[cfg(feature = "deflate")]
    #[test]
    fn deflate_parameters_are_read() {
        use crate::deflate::DeflateParams;
        let a = Agreement::from_headers(
            None,
            Some("permessage-deflate;server_no_context_takeover; client_max_window_bits=10"),
        )
        .unwrap();
        assert_eq!(
            a.extensions(),
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=10"
        );
        assert_eq!(
            a.deflate(),
            Some(&DeflateParams {
                server_no_context_takeover: true,
                client_no_context_takeover: false,
                server_max_window_bits: 15,
                client_max_window_bits: 10,
            })
        );
        // A response may not leave client_max_window_bits without a value, nor repeat it.
        for bad in [
            "permessage-deflate; client_max_window_bits",
            "permessage-deflate, permessage-deflate",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; x=1",
        ] {
            assert!(
                matches!(
                    Agreement::from_headers(None, Some(bad)),
                    Err(HandshakeError::ExtensionMismatch(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn from_a_response() {
        let response = Response {
            status: 101,
            reason: "Switching Protocols".into(),
            headers: [
                ("Sec-WebSocket-Protocol", &b" v2 "[..]),
                ("Sec-WebSocket-Extensions", b""),
            ]
            .iter()
            .map(|(n, v)| (String::from(*n), v.to_vec()))
            .collect(),
        };
        let a = Agreement::from_response(&response).unwrap();
        assert_eq!(a.protocol(), Some("v2"));
        assert_eq!(a.extensions(), "");
    }
}
