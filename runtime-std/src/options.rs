//! Connection options. Everything but the transport (TLS) is websock-core's
//! [`ClientSettings`] / [`ServerSettings`], shared by every websock runtime and
//! documented there; this crate adds the rustls configuration.

#[cfg(feature = "tls")]
use std::sync::Arc;

use websock_core::deflate::DeflateConfig;
use websock_core::{ClientSettings, Config, Limits, Timeouts};

/// Options for [`connect_with`](crate::connect_with),
/// [`client_handshake`](crate::client_handshake) and
/// [`WebSocket::with_options`](crate::WebSocket::with_options): websock-core's
/// [`ClientSettings`] (whose docs describe each field and the defaults) plus the TLS
/// configuration for `wss://`.
///
/// ```
/// use websock_std::ClientOptions;
/// let mut options = ClientOptions::default()
///     .protocols(["chat.v2", "chat.v1"])
///     .header("Origin", "https://example.com");
/// options.limits.max_message_size = 1 << 20;
/// assert_eq!(options.protocols, ["chat.v2", "chat.v1"]);
/// ```
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// See [`ClientSettings::protocols`].
    pub protocols: Vec<String>,
    /// See [`ClientSettings::headers`].
    pub headers: Vec<(String, String)>,
    /// See [`ClientSettings::limits`].
    pub limits: Limits,
    /// See [`ClientSettings::timeouts`] (the handshake deadline also bounds DNS, TCP
    /// and TLS setup).
    pub timeouts: Timeouts,
    /// See [`ClientSettings::deflate`].
    pub deflate: DeflateConfig,
    /// See [`ClientSettings::check_bad_ports`].
    pub check_bad_ports: bool,
    /// The rustls configuration for `wss://` (`None`:
    /// [`crate::tls::default_client_config`], the webpki roots).
    #[cfg(feature = "tls")]
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self::from_settings(ClientSettings::default())
    }
}

impl ClientOptions {
    /// The defaults (same as [`Default::default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Options with these settings and the default TLS configuration.
    pub fn from_settings(settings: ClientSettings) -> Self {
        let ClientSettings {
            protocols,
            headers,
            limits,
            timeouts,
            deflate,
            check_bad_ports,
        } = settings;
        ClientOptions {
            protocols,
            headers,
            limits,
            timeouts,
            deflate,
            check_bad_ports,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// The runtime-independent part of these options, from which the URL rules, the
    /// opening request and the engine [`Config`] are derived.
    pub fn settings(&self) -> ClientSettings {
        ClientSettings {
            protocols: self.protocols.clone(),
            headers: self.headers.clone(),
            limits: self.limits,
            timeouts: self.timeouts,
            deflate: self.deflate,
            check_bad_ports: self.check_bad_ports,
        }
    }

    /// Adds one subprotocol to offer.
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocols.push(protocol.into());
        self
    }

    /// Replaces the subprotocols to offer ([`ClientSettings::protocols`]).
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an extra request header ([`ClientSettings::headers`]).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Replaces the size limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Replaces the timers.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Replaces the permessage-deflate settings.
    pub fn deflate(mut self, deflate: DeflateConfig) -> Self {
        self.deflate = deflate;
        self
    }

    /// Turns the bad-port check on or off ([`ClientSettings::check_bad_ports`]).
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

    /// The engine configuration these options describe ([`ClientSettings::config`]).
    pub fn config(&self) -> Config {
        self.settings().config()
    }
}

/// Options for [`accept_with`](crate::accept_with): websock-core's [`ServerSettings`]
/// (limits, timers, permessage-deflate), the same in every websock runtime.
///
/// [`ServerSettings`]: websock_core::ServerSettings
pub type ServerOptions = websock_core::ServerSettings;
