//! TLS: the rustls configurations (websock-core's `tls`, shared by every runtime: the
//! crypto provider by feature, `ring` or `aws-lc-rs`, named explicitly; the trusted roots
//! by feature or at run time with [`Roots`]) and the TLS handshakes over tokio's TCP.

use std::io;
use std::sync::Arc;

use rustls::{ClientConfig, ServerConfig};
use tokio::net::TcpStream;
#[cfg(feature = "aws-lc-rs")]
pub use websock_core::tls::aws_lc_rs_provider;
#[cfg(feature = "native-roots")]
pub use websock_core::tls::native_roots;
#[cfg(feature = "ring")]
pub use websock_core::tls::ring_provider;
#[cfg(feature = "webpki-roots")]
pub use websock_core::tls::webpki_roots;
pub use websock_core::tls::{
    client_config, client_config_trusting, client_config_with_provider, client_config_with_roots,
    crypto_provider, default_client_config, server_config, server_config_from_pem,
    server_config_with_provider, try_default_client_config, Roots,
};

use crate::stream::MaybeTlsStream;
use crate::Error;

/// Runs the client side of a TLS handshake over `tcp` for the server name `host` (a DNS
/// name or an IP address; brackets around IPv6 are removed).
///
/// # Errors
///
/// [`Error::Io`] (`InvalidInput`) for a host that is not a valid server name,
/// [`Error::Tls`] or [`Error::Io`] if the handshake fails.
pub async fn connect_tls(
    tcp: TcpStream,
    host: &str,
    config: Arc<ClientConfig>,
) -> Result<MaybeTlsStream, Error> {
    handshake_client(tcp, host, config)
        .await
        .map_err(Error::from_io)
}

/// [`connect_tls`], with the transport's own error (a rustls error inside it).
pub(crate) async fn handshake_client(
    tcp: TcpStream,
    host: &str,
    config: Arc<ClientConfig>,
) -> io::Result<MaybeTlsStream> {
    let name = websock_core::tls::server_name(host)?;
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await?;
    Ok(MaybeTlsStream::ClientTls(Box::new(tls)))
}

/// The TLS server handshake over an accepted `tcp` connection; then hand the stream to
/// [`accept`](crate::accept) or [`accept_with`](crate::accept_with).
///
/// The TLS handshake must finish within
/// [`ACCEPT_TIMEOUT`](websock_core::tls::ACCEPT_TIMEOUT) (10 s), else
/// `Error::Protocol(HandshakeTimeout)`; [`accept_tls_within`] takes another bound.
pub async fn accept_tls(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
) -> Result<MaybeTlsStream, Error> {
    accept_tls_within(tcp, config, websock_core::tls::ACCEPT_TIMEOUT).await
}

/// [`accept_tls`] with the TLS handshake bounded by `timeout` instead.
pub async fn accept_tls_within(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    timeout: std::time::Duration,
) -> Result<MaybeTlsStream, Error> {
    let accept = tokio_rustls::TlsAcceptor::from(config).accept(tcp);
    websock_core::handle::handshake_within::<crate::runtime::Tokio, _>(timeout, accept)
        .await
        .map(|stream| MaybeTlsStream::ServerTls(Box::new(stream)))
}
