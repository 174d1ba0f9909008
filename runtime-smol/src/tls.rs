//! rustls helpers: the default client configuration, a server configuration from a
//! certificate chain and key, and the TLS handshakes over TCP.

use std::io;
use std::sync::{Arc, OnceLock};

use async_net::TcpStream;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use crate::error::{Error, Result};
use crate::stream::MaybeTlsStream;

pub use rustls;

/// A client configuration trusting the roots in `roots`, with the `ring` provider and
/// TLS 1.2 and 1.3.
///
/// # Errors
///
/// [`Error::Tls`] if the provider rejects the protocol versions (it does not).
pub fn client_config_with_roots(roots: rustls::RootCertStore) -> Result<Arc<rustls::ClientConfig>> {
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(Error::tls)?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The default client configuration: the webpki root certificates (Mozilla's list).
/// Built once and shared.
pub fn default_client_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots =
                rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            client_config_with_roots(roots)
                .expect("the ring provider supports the default protocol versions")
        })
        .clone()
}

/// A client configuration trusting exactly the given certificates (for example a
/// self-signed test certificate).
///
/// # Errors
///
/// [`Error::Tls`] if a certificate cannot be parsed.
pub fn client_config_trusting(
    certs: impl IntoIterator<Item = CertificateDer<'static>>,
) -> Result<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(Error::tls)?;
    }
    client_config_with_roots(roots)
}

/// A server configuration presenting `cert_chain` (leaf first) with `key`, no client
/// authentication, the `ring` provider.
///
/// # Errors
///
/// [`Error::Tls`] if the key does not match or is not supported.
pub fn server_config(
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>> {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(Error::tls)?
    .with_no_client_auth()
    .with_single_cert(cert_chain, key)
    .map_err(Error::tls)?;
    Ok(Arc::new(config))
}

/// Runs the client side of a TLS handshake over `tcp` for the server name `host` (a DNS
/// name or an IP address; brackets around IPv6 are removed).
///
/// # Errors
///
/// [`Error::Url`]`(SyntaxError)` for a host that is not a valid server name,
/// [`Error::Tls`] or [`Error::Io`] if the handshake fails.
pub async fn connect_tls(
    tcp: TcpStream,
    host: &str,
    config: Arc<rustls::ClientConfig>,
) -> Result<MaybeTlsStream> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| Error::Url(websock_core::ApiError::Syntax))?;
    let stream = futures_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(handshake_error)?;
    Ok(MaybeTlsStream::ClientTls(Box::new(stream)))
}

/// Runs the server side of a TLS handshake over an accepted `tcp` connection. Then hand
/// the stream to [`crate::accept`] or [`crate::accept_with`].
///
/// # Errors
///
/// [`Error::Tls`] or [`Error::Io`] if the handshake fails.
pub async fn accept_tls(
    tcp: TcpStream,
    config: Arc<rustls::ServerConfig>,
) -> Result<MaybeTlsStream> {
    let stream = futures_rustls::TlsAcceptor::from(config)
        .accept(tcp)
        .await
        .map_err(handshake_error)?;
    Ok(MaybeTlsStream::ServerTls(Box::new(stream)))
}

/// A failed TLS handshake: the rustls error the stream carries ([`Error::Tls`]), or the
/// transport's ([`Error::Io`]).
fn handshake_error(e: io::Error) -> Error {
    if !e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
        return Error::Io(e);
    }
    match e.into_inner() {
        Some(tls) => Error::Tls(tls),
        None => Error::Io(io::ErrorKind::InvalidData.into()),
    }
}
