//! Connection options: websock-core's [`ClientSettings`] and [`ServerSettings`], shared
//! by every websock runtime and documented there; this crate supplies the TLS
//! configuration type.
//!
//! [`ClientSettings`]: websock_core::ClientSettings
//! [`ServerSettings`]: websock_core::ServerSettings

/// Options for [`connect_with`](crate::connect_with),
/// [`client_handshake`](crate::client_handshake) and
/// [`WebSocket::with_options`](crate::WebSocket::with_options): websock-core's
/// [`ClientSettings`] (whose docs describe each field, builder and default) with the
/// rustls configuration for `wss://` as `tls` (`None`:
/// [`crate::tls::default_client_config`], the webpki roots; set it with `tls_config`).
///
/// [`ClientSettings`]: websock_core::ClientSettings
#[cfg(feature = "tls")]
pub type ClientOptions = websock_core::ClientSettings<Option<std::sync::Arc<rustls::ClientConfig>>>;

/// Options for [`connect_with`](crate::connect_with),
/// [`client_handshake`](crate::client_handshake) and
/// [`WebSocket::with_options`](crate::WebSocket::with_options): websock-core's
/// [`ClientSettings`] (whose docs describe each field, builder and default); without
/// the `tls` feature there is no TLS configuration.
///
/// [`ClientSettings`]: websock_core::ClientSettings
#[cfg(not(feature = "tls"))]
pub type ClientOptions = websock_core::ClientSettings;

/// Options for [`accept_with`](crate::accept_with): websock-core's [`ServerSettings`]
/// (limits, timers, permessage-deflate), the same in every websock runtime.
///
/// [`ServerSettings`]: websock_core::ServerSettings
pub type ServerOptions = websock_core::ServerSettings;

/// The `tls` field of [`ClientOptions`].
#[cfg(feature = "tls")]
pub(crate) type TlsConfig = Option<std::sync::Arc<rustls::ClientConfig>>;
/// The `tls` field of [`ClientOptions`].
#[cfg(not(feature = "tls"))]
pub(crate) type TlsConfig = ();
