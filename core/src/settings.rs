//! The runtime-independent options of a client and a server, and what every runtime
//! derives from them (the URL rules, the subprotocol check, the opening request, the
//! engine [`Config`]). The runtime crates' `ClientOptions` is [`ClientSettings`] with
//! their TLS configuration as `Tls`; their `ServerOptions` is [`ServerSettings`].

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use crate::config::{Config, Limits, Streaming, Timeouts};
use crate::connection::Connection;
use crate::dom::{parse_websocket_url_with, validate_protocols, UrlOptions, WsUrl};
use crate::error::ApiError;
use crate::handshake::ClientRequest;

/// The builders and the engine [`Config`] of the options both sides have (`limits`,
/// `timeouts`, `deflate`), for the `impl` blocks of [`ClientSettings`] and
/// [`ServerSettings`].
macro_rules! engine_options {
    () => {
        /// Replaces the size limits (frames, messages, handshake, send queue).
        pub fn limits(mut self, limits: Limits) -> Self {
            self.limits = limits;
            self
        }

        /// Replaces the timers (the handshake deadline, the close timeout, keepalive
        /// pings).
        pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
            self.timeouts = timeouts;
            self
        }

        /// Replaces the permessage-deflate settings.
        #[cfg(feature = "deflate")]
        pub fn deflate(mut self, deflate: crate::deflate::DeflateConfig) -> Self {
            self.deflate = deflate;
            self
        }

        /// Replaces the streaming settings: whether data messages arrive streamed
        /// from the start, and the largest streamed message.
        pub fn streaming(mut self, streaming: Streaming) -> Self {
            self.streaming = streaming;
            self
        }

        /// The engine configuration these settings describe.
        pub fn config(&self) -> Config {
            Config {
                limits: self.limits,
                timeouts: self.timeouts,
                streaming: self.streaming,
                #[cfg(feature = "deflate")]
                deflate: self.deflate,
                ..Config::default()
            }
        }
    };
}

/// What a client asks for, the limits and timers of its connections, and its transport
/// (TLS) configuration.
///
/// `Tls` is the runtime's TLS configuration: the runtime crates' `ClientOptions` is
/// `ClientSettings<Option<Arc<rustls::ClientConfig>>>` (`None`: the runtime's default,
/// the webpki roots), or `ClientSettings<()>` when built without their `tls` feature.
/// websock-core itself never reads it.
///
/// `Default` gives: no subprotocols, no extra headers, the default [`Limits`] and
/// [`Timeouts`] (a 10 s opening handshake, which runtimes also use to bound DNS, TCP and
/// TLS setup; a 10 s closing handshake; no keepalive), permessage-deflate offered, the
/// browser's bad-port check left to the face (on for the browser `WebSocket`, off for
/// `connect`), and `Tls::default()` (no TLS configuration given).
///
/// ```
/// use websock_core::ClientSettings;
/// let mut options: ClientSettings = ClientSettings::default()
///     .protocols(["chat.v2", "chat.v1"])
///     .header("Origin", "https://example.com");
/// options.limits.max_message_size = 1 << 20;
/// assert_eq!(options.protocols, ["chat.v2", "chat.v1"]);
/// let options = ClientSettings { check_bad_ports: Some(false), ..options };
/// assert_eq!(options.config().limits.max_message_size, 1 << 20);
/// ```
#[derive(Debug, Clone)]
pub struct ClientSettings<Tls = ()> {
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
    /// Timers: the opening handshake deadline (which runtimes also use to bound DNS,
    /// TCP and TLS setup), the close timeout, keepalive pings.
    pub timeouts: Timeouts,
    /// Streamed receiving (see [`Streaming`]): whether data messages arrive streamed
    /// from the start (default: whole; the idiomatic APIs' `recv_stream` and `recv`
    /// choose per message anyway), and the largest streamed message (default:
    /// unlimited). The browser `WebSocket` always receives whole messages.
    pub streaming: Streaming,
    /// permessage-deflate (RFC 7692): offered by default; `enabled: false` turns it off.
    #[cfg(feature = "deflate")]
    pub deflate: crate::deflate::DeflateConfig,
    /// Refuse a URL whose explicit port is on the Fetch standard's bad-port list with
    /// `SecurityError`, as the browser does. `None` (the default) leaves it to the face:
    /// on for the browser `WebSocket` ([`parse_browser_url`](Self::parse_browser_url),
    /// the seeds' rule), off for the idiomatic `connect` ([`parse_url`](Self::parse_url):
    /// a Rust client to port 6000 must work). `Some(_)` decides for both.
    pub check_bad_ports: Option<bool>,
    /// The proxy to tunnel through (HTTP `CONNECT` or SOCKS5; `None`, the default: connect
    /// directly). Never read from the environment unless you pass
    /// [`Proxy::from_env`](crate::proxy::Proxy::from_env)'s answer here. Used by every
    /// runtime's `connect` / `connect_with` and by websock-std's browser `WebSocket`.
    pub proxy: Option<crate::proxy::Proxy>,
    /// The transport's TLS configuration for `wss://` (for the runtime crates, the
    /// rustls configuration, for example to trust a private CA or a self-signed
    /// certificate; `None`: their `tls::default_client_config`, the webpki roots).
    pub tls: Tls,
}

impl<Tls: Default> Default for ClientSettings<Tls> {
    fn default() -> Self {
        ClientSettings {
            protocols: Vec::new(),
            headers: Vec::new(),
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            streaming: Streaming::default(),
            #[cfg(feature = "deflate")]
            deflate: crate::deflate::DeflateConfig::default(),
            check_bad_ports: None,
            proxy: None,
            tls: Tls::default(),
        }
    }
}

impl<Tls: Default> ClientSettings<Tls> {
    /// The defaults (same as [`Default::default`]).
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T> ClientSettings<Option<T>> {
    /// Sets the TLS configuration for `wss://` URLs (`tls: Some(config)`).
    pub fn tls_config(mut self, config: T) -> Self {
        self.tls = Some(config);
        self
    }
}

impl<Tls> ClientSettings<Tls> {
    /// Adds one subprotocol to offer.
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Replaces the subprotocols to offer (the `protocols` field).
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an extra request header (the `headers` field).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    engine_options!();

    /// Turns the bad-port check on or off for both faces (the `check_bad_ports` field).
    pub fn check_bad_ports(mut self, check: bool) -> Self {
        self.check_bad_ports = Some(check);
        self
    }

    /// Tunnels through `proxy` (the `proxy` field).
    pub fn proxy(mut self, proxy: crate::proxy::Proxy) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Replaces the TLS configuration (the `tls` field).
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = tls;
        self
    }

    /// The idiomatic `connect`'s URL rules: the browser's ([`parse_websocket_url_with`]),
    /// with the bad-port check only if [`check_bad_ports`](Self::check_bad_ports) asks.
    ///
    /// # Errors
    ///
    /// `SyntaxError` for a URL that does not parse, another scheme, or a fragment;
    /// `SecurityError` for a blocked port (if checked).
    pub fn parse_url(&self, url: &str) -> Result<WsUrl, ApiError> {
        self.parse_url_checking(url, self.check_bad_ports.unwrap_or(false))
    }

    /// The browser `WebSocket` constructor's URL rules: as [`parse_url`](Self::parse_url),
    /// but the bad-port check is on unless turned off.
    ///
    /// # Errors
    ///
    /// As [`parse_url`](Self::parse_url).
    pub fn parse_browser_url(&self, url: &str) -> Result<WsUrl, ApiError> {
        self.parse_url_checking(url, self.browser_checks_bad_ports())
    }

    /// Whether the browser `WebSocket` applies the bad-port rule (on unless
    /// [`check_bad_ports`](Self::check_bad_ports) turned it off); the face's
    /// [`Compat`](crate::dom::Compat) decides how a blocked port is reported.
    pub fn browser_checks_bad_ports(&self) -> bool {
        self.check_bad_ports.unwrap_or(true)
    }

    fn parse_url_checking(&self, url: &str, check_bad_ports: bool) -> Result<WsUrl, ApiError> {
        parse_websocket_url_with(url, UrlOptions { check_bad_ports })
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

    /// The browser `WebSocket`'s connection for `url` (checked by
    /// [`parse_browser_url`](Self::parse_browser_url)): as
    /// [`connection`](Self::connection), with the browser's rule that messages arriving
    /// once the socket is CLOSING are dropped ([`Config::receive_after_close`] off), and
    /// messages received whole ([`Self::streaming`] is ignored).
    ///
    /// # Errors
    ///
    /// As [`connection`](Self::connection).
    pub fn browser_connection(&self, url: &WsUrl, now: Duration) -> Result<Connection, ApiError> {
        self.validate_protocols()?;
        let config = Config {
            receive_after_close: false,
            streaming: Streaming::default(),
            ..self.config()
        };
        Ok(Connection::client(self.request(url), config, now)?.with_url(url.as_str()))
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
    /// Streamed receiving (see [`Streaming`]): whether data messages arrive streamed
    /// from the start (default: whole; the idiomatic APIs' `recv_stream` and `recv`
    /// choose per message anyway), and the largest streamed message (default:
    /// unlimited). The browser `WebSocket` always receives whole messages.
    pub streaming: Streaming,
    /// permessage-deflate (RFC 7692): accepted by default; `enabled: false` declines it.
    #[cfg(feature = "deflate")]
    pub deflate: crate::deflate::DeflateConfig,
}

impl ServerSettings {
    /// The defaults (same as [`Default::default`]).
    pub fn new() -> Self {
        Self::default()
    }

    engine_options!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::borrow::ToOwned;
    use alloc::vec;

    #[test]
    fn client_derivations() {
        let mut s: ClientSettings = ClientSettings::new();
        assert_eq!(s.parse_browser_url("ws://h:25/"), Err(ApiError::Security));
        assert!(
            s.parse_url("ws://h:25/").is_ok(),
            "connect does not check by default"
        );
        s.check_bad_ports = Some(true);
        assert_eq!(s.parse_url("ws://h:25/"), Err(ApiError::Security));
        s.check_bad_ports = Some(false);
        assert!(s.parse_browser_url("ws://h:25/").is_ok());
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
    fn builders_and_tls() {
        let s = ClientSettings::<Option<u8>>::new()
            .protocol("a")
            .protocols(["b", "c"])
            .header("Origin", "o")
            .check_bad_ports(false);
        assert_eq!((s.protocols.len(), s.headers.len(), s.tls), (2, 1, None));
        assert_eq!(s.check_bad_ports, Some(false));
        assert_eq!(s.clone().tls_config(7).tls, Some(7));
        assert_eq!(s.tls(Some(8)).tls, Some(8));
    }

    #[test]
    fn configs_carry_limits_and_timeouts() {
        let mut s = ClientSettings::<()>::new();
        s.limits.max_message_size = 7;
        assert_eq!(s.config().limits.max_message_size, 7);
        let server = ServerSettings::new().limits(s.limits);
        assert_eq!(server.config().limits.max_message_size, 7);
    }
}
