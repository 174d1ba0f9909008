//! Connection options: what a client asks for, and the limits and timers of each side.

#[cfg(feature = "tls")]
use std::sync::Arc;

use websock_core::deflate::DeflateConfig;
use websock_core::{Config, Limits, Timeouts};

/// Options for [`connect_with`](crate::connect_with),
/// [`client_handshake`](crate::client_handshake) and
/// [`WebSocket::with_options`](crate::WebSocket::with_options).
///
/// Built with chained setters from [`ClientOptions::default`]: no subprotocols, no extra
/// headers, core's default [`Limits`] and [`Timeouts`], permessage-deflate offered, the
/// browser's bad-port check on, and TLS with the webpki root certificates.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Subprotocols to offer, in order of preference.
    pub protocols: Vec<String>,
    /// Extra request headers (`Origin`, `Authorization`, ...).
    pub headers: Vec<(String, String)>,
    /// Size limits.
    pub limits: Limits,
    /// Timers (the handshake deadline also bounds DNS, TCP and TLS setup).
    pub timeouts: Timeouts,
    /// permessage-deflate (RFC 7692): offered by default; `enabled: false` turns it off.
    pub deflate: DeflateConfig,
    /// Refuse the browser's blocked ports with `SecurityError` (default `true`).
    pub check_bad_ports: bool,
    /// The rustls configuration for `wss://` (`None`: the webpki roots).
    #[cfg(feature = "tls")]
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            protocols: Vec::new(),
            headers: Vec::new(),
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            deflate: DeflateConfig::default(),
            check_bad_ports: true,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ClientOptions {
    /// The defaults (same as [`Default::default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one subprotocol to offer.
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Subprotocols to offer (`Sec-WebSocket-Protocol`), in order of preference. If any
    /// are offered, the server must select one of them or the handshake fails.
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an extra request header (`Origin`, `Authorization`, `Cookie`, ...). Headers
    /// the handshake manages itself (`Host`, `Upgrade`, `Sec-WebSocket-*`, ...) are
    /// refused when connecting, as is a value with control characters.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Size limits (message and frame size, handshake size, send queue).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Timers: the handshake deadline (which also bounds DNS, TCP and TLS setup), the
    /// close timeout, and keepalive pings.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Replace the permessage-deflate settings.
    pub fn deflate(mut self, deflate: DeflateConfig) -> Self {
        self.deflate = deflate;
        self
    }

    /// Whether to refuse the browser's blocked ports (25, 6000, ...) with
    /// `SecurityError` (default `true`, as in the browser).
    pub fn check_bad_ports(mut self, check: bool) -> Self {
        self.check_bad_ports = check;
        self
    }

    /// The rustls configuration for `wss://` URLs (for example to trust a private CA or
    /// a self-signed certificate). Default: [`crate::tls::default_client_config`].
    #[cfg(feature = "tls")]
    pub fn tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// The engine configuration these options describe.
    pub fn config(&self) -> Config {
        Config {
            limits: self.limits,
            timeouts: self.timeouts,
            deflate: self.deflate,
            ..Config::default()
        }
    }
}

/// Options for [`accept_with`](crate::accept_with): the server side's limits and timers,
/// and permessage-deflate (accepted when a client offers it, by default).
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Size limits.
    pub limits: Limits,
    /// Timers (the handshake deadline, close timeout, keepalive).
    pub timeouts: Timeouts,
    /// permessage-deflate (RFC 7692): accepted by default; `enabled: false` declines it.
    pub deflate: DeflateConfig,
}

impl ServerOptions {
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
    pub fn deflate(mut self, deflate: DeflateConfig) -> Self {
        self.deflate = deflate;
        self
    }

    /// The engine configuration these options describe.
    pub fn config(&self) -> Config {
        Config {
            limits: self.limits,
            timeouts: self.timeouts,
            deflate: self.deflate,
            ..Config::default()
        }
    }
}
