//! rustls helpers: client and server configurations, and the TLS handshakes.
//!
//! The ring crypto provider is used explicitly, so nothing depends on a process-wide
//! default provider being installed.

use std::io;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::net::TcpStream;

use crate::error::Error;
use crate::stream::MaybeTlsStream;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration trusting `roots` (TLS 1.2 and 1.3, ring).
pub fn client_config_with_roots(roots: RootCertStore) -> Result<Arc<ClientConfig>, Error> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(Error::tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A client configuration trusting exactly the given certificates (for example a
/// self-signed test certificate), in addition to nothing else.
pub fn client_config_trusting(
    certs: impl IntoIterator<Item = CertificateDer<'static>>,
) -> Result<Arc<ClientConfig>, Error> {
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(Error::tls)?;
    }
    client_config_with_roots(roots)
}

/// The default client configuration: the Mozilla root certificates from `webpki-roots`.
/// Built once and shared.
pub fn default_client_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            // The ring provider supports the safe default versions; this cannot fail.
            client_config_with_roots(roots).unwrap_or_else(|_| {
                Arc::new(
                    ClientConfig::builder()
                        .with_root_certificates(RootCertStore::empty())
                        .with_no_client_auth(),
                )
            })
        })
        .clone()
}

/// A server configuration presenting `cert_chain` (leaf first) with its private `key`,
/// without client authentication.
///
/// Errors with [`Error::Tls`] if the key does not match or is unsupported.
pub fn server_config(
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, Error> {
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(Error::tls)?
        .with_no_client_auth()
        .with_single_cert(cert_chain, key)
        .map_err(Error::tls)?;
    Ok(Arc::new(config))
}

/// The TLS client handshake over `tcp` for `host` (a domain, or an IP address, IPv6 in
/// brackets or not). A bad server name or a failed handshake is an I/O error (the
/// transport could not be set up), reported as [`Error::Io`] by the connection.
pub(crate) async fn connect_tls(
    tcp: TcpStream,
    host: &str,
    config: Arc<ClientConfig>,
) -> io::Result<MaybeTlsStream> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(bare.to_owned()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid TLS server name {bare:?}: {e}"),
        )
    })?;
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await?;
    Ok(MaybeTlsStream::ClientTls(Box::new(tls)))
}

/// The TLS server handshake over an accepted `tcp` connection. Bound it in time
/// (`tokio::time::timeout`): a client that never speaks would hold it forever. Then
/// hand the stream to [`accept`](crate::accept) or [`accept_with`](crate::accept_with).
pub async fn accept_tls(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
) -> Result<MaybeTlsStream, Error> {
    let tls = tokio_rustls::TlsAcceptor::from(config).accept(tcp).await?;
    Ok(MaybeTlsStream::ServerTls(Box::new(tls)))
}
