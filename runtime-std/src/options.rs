//! Client and server options.

#[cfg(feature = "tls")]
use std::sync::Arc;

use websock_core::deflate::DeflateConfig;
use websock_core::{Config, Limits, Timeouts};

/// Options for [`connect_with`](crate::connect_with), [`client_handshake`](crate::client_handshake)
/// and [`WebSocket::with_options`](crate::WebSocket::with_options).
///
/// `Default` gives: no subprotocols, no extra headers, core's default [`Limits`] and
/// [`Timeouts`] (10 s opening handshake, which also bounds the TCP connect and the TLS
/// handshake; 10 s close handshake; no keepalive), permessage-deflate offered, the
/// bad-port check on (the browser's rule), and TLS with the webpki root certificates.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Subprotocols to offer, in order of preference (`Sec-WebSocket-Protocol`). Each
    /// must be a token and none may repeat (ignoring ASCII case), else
    /// [`Error::Url`](crate::Error::Url) with `SyntaxError`. If any is offered, the
    /// server must select one.
    pub protocols: Vec<String>,
    /// Extra request headers, e.g. `Origin`, `Authorization`, `Cookie`, `User-Agent`.
    /// Headers the handshake manages itself (`Host`, `Upgrade`, `Sec-WebSocket-*`...)
    /// are refused with `SyntaxError`.
    pub headers: Vec<(String, String)>,
    /// Size limits (frames, messages, handshake, send queue).
    pub limits: Limits,
    /// Timers (opening and closing handshakes, keepalive).
    pub timeouts: Timeouts,
    /// permessage-deflate (RFC 7692): offered by default; `enabled: false` turns it off.
    pub deflate: DeflateConfig,
    /// Refuse URLs whose explicit port is on the Fetch standard's bad-port list with
    /// `SecurityError`, as the browser does. `true` by default; set it to `false` to
    /// connect to any port.
    pub check_bad_ports: bool,
    /// The rustls configuration for `wss://`. `None` uses a shared default that trusts
    /// the webpki root certificates.
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
    /// The defaults (see the type's docs).
    pub fn new() -> Self {
        Self::default()
    }

    /// Offer one more subprotocol.
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Replace the offered subprotocols.
    pub fn protocols<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Add one request header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Replace the limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Replace the timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Replace the permessage-deflate settings.
    pub fn deflate(mut self, deflate: DeflateConfig) -> Self {
        self.deflate = deflate;
        self
    }

    /// Turn the bad-port check on or off.
    pub fn check_bad_ports(mut self, check: bool) -> Self {
        self.check_bad_ports = check;
        self
    }

    /// Use this rustls configuration for `wss://` (e.g. one trusting a private CA).
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

/// Options for [`accept_with`](crate::accept_with).
///
/// `Default` gives core's default [`Limits`] and [`Timeouts`] (which protect a server:
/// 16 MiB frames, 64 MiB messages, a 10 s opening handshake), and accepts
/// permessage-deflate when a client offers it.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Size limits.
    pub limits: Limits,
    /// Timers.
    pub timeouts: Timeouts,
    /// permessage-deflate (RFC 7692): accepted by default; `enabled: false` declines it.
    pub deflate: DeflateConfig,
}

impl ServerOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replace the limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Replace the timeouts.
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
