//! TLS: the rustls configurations (websock-core's `tls`, shared by every runtime: the
//! crypto provider by feature, `ring` or `aws-lc-rs`, named explicitly; the trusted roots
//! by feature or at run time with [`Roots`]) and the TLS handshakes over async-net's TCP.

use std::sync::Arc;

use async_net::TcpStream;
#[cfg(feature = "aws-lc-rs")]
pub use websock_core::tls::aws_lc_rs_provider;
#[cfg(feature = "native-roots")]
pub use websock_core::tls::native_roots;
#[cfg(feature = "ring")]
pub use websock_core::tls::ring_provider;
use websock_core::tls::server_name;
#[cfg(feature = "webpki-roots")]
pub use websock_core::tls::webpki_roots;
pub use websock_core::tls::{
    client_config, client_config_trusting, client_config_with_provider, client_config_with_roots,
    crypto_provider, default_client_config, server_config, server_config_from_pem,
    server_config_with_provider, try_default_client_config, Roots,
};

use crate::stream::MaybeTlsStream;
use crate::Result;

/// Runs the client side of a TLS handshake over `tcp` for the server name `host` (a DNS
/// name or an IP address; brackets around IPv6 are removed).
///
/// # Errors
///
/// [`Error::Io`](crate::Error::Io) (`InvalidInput`) for a host that is not a valid server name,
/// [`Error::Tls`](crate::Error::Tls) or [`Error::Io`](crate::Error::Io) if the handshake fails.
pub async fn connect_tls(
    tcp: TcpStream,
    host: &str,
    config: Arc<rustls::ClientConfig>,
) -> Result<MaybeTlsStream> {
    handshake_client(tcp, host, config)
        .await
        .map_err(crate::Error::from_io)
}

/// [`connect_tls`], with the transport's own error (a rustls error inside it).
pub(crate) async fn handshake_client(
    tcp: TcpStream,
    host: &str,
    config: Arc<rustls::ClientConfig>,
) -> std::io::Result<MaybeTlsStream> {
    let name = server_name(host)?;
    let stream = futures_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await?;
    Ok(MaybeTlsStream::ClientTls(Box::new(stream)))
}

/// Runs the server side of a TLS handshake over an accepted `tcp` connection. Then hand
/// the stream to [`crate::accept`] or [`crate::accept_with`].
///
/// # Errors
///
/// [`Error::Tls`](crate::Error::Tls) or [`Error::Io`](crate::Error::Io) if the handshake fails.
///
/// The TLS handshake must finish within
/// [`ACCEPT_TIMEOUT`](websock_core::tls::ACCEPT_TIMEOUT) (10 s), else
/// `Error::Protocol(HandshakeTimeout)`; [`accept_tls_within`] takes another bound.
pub async fn accept_tls(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
) -> Result<MaybeTlsStream> {
    accept_tls_within(tcp, config, websock_core::tls::ACCEPT_TIMEOUT).await
}

/// [`accept_tls`] with the TLS handshake bounded by `timeout` instead.
pub async fn accept_tls_within(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
    timeout: std::time::Duration,
) -> Result<MaybeTlsStream> {
    let accept = futures_rustls::TlsAcceptor::from(config).accept(tcp);
    websock_core::handle::handshake_within::<crate::runtime::Smol, _>(timeout, accept)
        .await
        .map(|stream| MaybeTlsStream::ServerTls(Box::new(stream)))
}
