//! Options for clients ([`ClientOptions`]) and servers ([`ServerOptions`]).

#[cfg(feature = "tls")]
use std::sync::Arc;

use websock_core::deflate::DeflateConfig;
use websock_core::{Config, Limits, Timeouts};

/// How a client connects: offered subprotocols, extra request headers, limits, timeouts,
/// permessage-deflate (offered by default), TLS configuration and the URL rules.
///
/// ```
/// use websock_smol::ClientOptions;
/// let mut options = ClientOptions::default()
///     .protocols(["chat.v2", "chat.v1"])
///     .header("Origin", "https://example.com");
/// options.limits.max_message_size = 1 << 20;
/// assert_eq!(options.protocols, ["chat.v2", "chat.v1"]);
/// ```
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Subprotocols offered in `Sec-WebSocket-Protocol`, in order of preference. If some
    /// are offered, the server must select one of them or the handshake fails.
    pub protocols: Vec<String>,
    /// Extra request headers (`Origin`, `Authorization`, `Cookie`, `User-Agent`, ...).
    /// Headers the handshake manages itself (`Host`, `Upgrade`, `Sec-WebSocket-*`, ...)
    /// are refused with [`crate::Error::Api`]`(SyntaxError)`.
    pub headers: Vec<(String, String)>,
    /// Size limits (frames, messages, handshake, send queue).
    pub limits: Limits,
    /// Timers: the handshake deadline (which also bounds DNS, TCP and TLS when
    /// connecting from a URL), the close timeout, keepalive pings.
    pub timeouts: Timeouts,
    /// permessage-deflate (RFC 7692): offered by default; `enabled: false` turns it off.
    pub deflate: DeflateConfig,
    /// Reject a URL whose explicit port is on the Fetch standard's "bad port" list with
    /// `SecurityError`, as the browser does. `true` by default.
    pub check_bad_ports: bool,
    /// The rustls configuration for `wss://`. `None` uses [`crate::tls::default_client_config`]
    /// (the webpki root certificates).
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
    /// The defaults (same as [`Default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an offered subprotocol.
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Sets the offered subprotocols.
    pub fn protocols<I, P>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an extra request header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the timeouts.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Replace the permessage-deflate settings.
    pub fn deflate(mut self, deflate: DeflateConfig) -> Self {
        self.deflate = deflate;
        self
    }

    /// Sets whether blocked ports are refused (see [`ClientOptions::check_bad_ports`]).
    pub fn check_bad_ports(mut self, check: bool) -> Self {
        self.check_bad_ports = check;
        self
    }

    /// Sets the rustls client configuration (for example one trusting a private CA).
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

/// How a server runs its connections: limits, timeouts and permessage-deflate (accepted
/// when a client offers it, by default).
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Size limits (frames, messages, handshake, send queue).
    pub limits: Limits,
    /// Timers: the handshake deadline (from the moment [`crate::accept_with`] is called),
    /// the close timeout, keepalive pings.
    pub timeouts: Timeouts,
    /// permessage-deflate (RFC 7692): accepted by default; `enabled: false` declines it.
    pub deflate: DeflateConfig,
}

impl ServerOptions {
    /// The defaults (same as [`Default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Sets the timeouts.
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
