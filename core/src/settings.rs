//! The runtime-independent options of a client and a server, and what every runtime
//! derives from them (the URL rules, the subprotocol check, the opening request, the
//! engine [`Config`]). The runtime crates' `ClientOptions` add their transport settings
//! (TLS) and delegate the rest here; their `ServerOptions` is [`ServerSettings`].

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use crate::config::{Config, Limits, Timeouts};
use crate::connection::Connection;
use crate::dom::{parse_websocket_url_with, validate_protocols, UrlOptions, WsUrl};
use crate::error::ApiError;
use crate::handshake::ClientRequest;

/// What a client asks for, and the limits and timers of its connections.
///
/// `Default` gives: no subprotocols, no extra headers, the default [`Limits`] and
/// [`Timeouts`] (a 10 s opening handshake, which runtimes also use to bound DNS, TCP and
/// TLS setup; a 10 s closing handshake; no keepalive), permessage-deflate offered, and
/// the browser's bad-port check on.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// Subprotocols to offer (`Sec-WebSocket-Protocol`), in order of preference. Each
    /// must be a token and none may repeat (ignoring ASCII case), else `SyntaxError`.
    /// If any is offered, the server must select one of them or the handshake fails.
    pub protocols: Vec<String>,
    /// Extra request headers (`Origin`, `Authorization`, `Cookie`, `User-Agent`, ...).
    /// Headers the handshake manages itself (`Host`, `Upgrade`, `Sec-WebSocket-*`, ...)
    /// are refused with `SyntaxError`, as is a value with control characters.
    pub headers: Vec<(String, String)>,
    /// Size limits (frames, messages, handshake, send queue).
    pub limits: Limits,
    /// Timers: the opening handshake deadline, the close timeout, keepalive pings.
    pub timeouts: Timeouts,
    /// permessage-deflate (RFC 7692): offered by default; `enabled: false` turns it off.
    #[cfg(feature = "deflate")]
    pub deflate: crate::deflate::DeflateConfig,
    /// Refuse a URL whose explicit port is on the Fetch standard's bad-port list with
    /// `SecurityError`, as the browser does (default `true`).
    pub check_bad_ports: bool,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            protocols: Vec::new(),
            headers: Vec::new(),
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            #[cfg(feature = "deflate")]
            deflate: crate::deflate::DeflateConfig::default(),
            check_bad_ports: true,
        }
    }
}

impl ClientSettings {
    /// The defaults (same as [`Default::default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// The browser's URL rules ([`parse_websocket_url_with`]), with the bad-port check
    /// as configured.
    ///
    /// # Errors
    ///
    /// `SyntaxError` for a URL that does not parse, another scheme, or a fragment;
    /// `SecurityError` for a blocked port (if checked).
    pub fn parse_url(&self, url: &str) -> Result<WsUrl, ApiError> {
        parse_websocket_url_with(
            url,
            UrlOptions {
                check_bad_ports: self.check_bad_ports,
            },
        )
    }

    /// The browser's rules for the subprotocol list ([`validate_protocols`]).
    ///
    /// # Errors
    ///
    /// `SyntaxError` for a non-token or a duplicate (ignoring ASCII case).
    pub fn validate_protocols(&self) -> Result<(), ApiError> {
        validate_protocols(&self.protocols)
    }

    /// The opening request for `url`: its `Host` header and resource, the offered
    /// subprotocols and the extra headers (the engine adds the extension offers).
    pub fn request(&self, url: &WsUrl) -> ClientRequest {
        ClientRequest {
            protocols: self.protocols.clone(),
            headers: self.headers.clone(),
            ..ClientRequest::new(url.host_header(), url.resource())
        }
    }

    /// The engine configuration these settings describe.
    pub fn config(&self) -> Config {
        Config {
            limits: self.limits,
            timeouts: self.timeouts,
            #[cfg(feature = "deflate")]
            deflate: self.deflate,
            ..Config::default()
        }
    }

    /// A client connection for `url` (checked by [`parse_url`](Self::parse_url)):
    /// checks the subprotocols, then creates the engine at time `now`, CONNECTING, its
    /// request queued, reporting `url` as its URL.
    ///
    /// # Errors
    ///
    /// `SyntaxError` for a bad subprotocol list or an extra header that would corrupt
    /// the request.
    pub fn connection(&self, url: &WsUrl, now: Duration) -> Result<Connection, ApiError> {
        self.validate_protocols()?;
        Ok(Connection::client(self.request(url), self.config(), now)?.with_url(url.as_str()))
    }
}

/// A server's options: the limits and timers of its connections, and permessage-deflate
/// (accepted when a client offers it, by default). The runtime crates' `ServerOptions`.
///
/// `Default` gives the default [`Limits`] and [`Timeouts`] (which protect a server:
/// 16 MiB frames, 64 MiB messages, a 10 s opening handshake), and accepts
/// permessage-deflate.
#[derive(Debug, Clone, Default)]
pub struct ServerSettings {
    /// Size limits (frames, messages, handshake, send queue).
    pub limits: Limits,
    /// Timers: the opening handshake deadline (from the moment the runtime starts
    /// accepting), the close timeout, keepalive pings.
    pub timeouts: Timeouts,
    /// permessage-deflate (RFC 7692): accepted by default; `enabled: false` declines it.
    #[cfg(feature = "deflate")]
    pub deflate: crate::deflate::DeflateConfig,
}

impl ServerSettings {
    /// The defaults (same as [`Default::default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Size limits (message and frame size, handshake size, send queue).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Timers: the handshake deadline, the close timeout, and keepalive pings.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Replace the permessage-deflate settings.
    #[cfg(feature = "deflate")]
    pub fn deflate(mut self, deflate: crate::deflate::DeflateConfig) -> Self {
        self.deflate = deflate;
        self
    }

    /// The engine configuration these settings describe.
    pub fn config(&self) -> Config {
        Config {
            limits: self.limits,
            timeouts: self.timeouts,
            #[cfg(feature = "deflate")]
            deflate: self.deflate,
            ..Config::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::borrow::ToOwned;
    use alloc::vec;

    #[test]
    fn client_derivations() {
        let mut s = ClientSettings::new();
        assert_eq!(s.parse_url("ws://h:25/"), Err(ApiError::Security));
        s.check_bad_ports = false;
        let url = s.parse_url("ws://h:25/a?b").unwrap();
        s.protocols = vec!["chat".to_owned()];
        s.headers = vec![("Origin".to_owned(), "https://o".to_owned())];
        let r = s.request(&url);
        assert_eq!((r.host.as_str(), r.resource.as_str()), ("h:25", "/a?b"));
        assert_eq!(r.protocols, s.protocols);
        assert_eq!(r.headers, s.headers);
        assert!(s.connection(&url, Duration::ZERO).is_ok());
        s.protocols.push("CHAT".to_owned());
        assert_eq!(s.validate_protocols(), Err(ApiError::Syntax));
        assert!(s.connection(&url, Duration::ZERO).is_err());
    }

    #[test]
    fn configs_carry_limits_and_timeouts() {
        let mut s = ClientSettings::new();
        s.limits.max_message_size = 7;
        assert_eq!(s.config().limits.max_message_size, 7);
        let server = ServerSettings::new().limits(s.limits);
        assert_eq!(server.config().limits.max_message_size, 7);
    }
}
