//! rustls helpers: client and server configurations, and the client's TLS handshake.

use std::net::TcpStream;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, StreamOwned};

use crate::error::{Error, Result};
use crate::stream::MaybeTlsStream;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration trusting `roots` (TLS 1.2 and 1.3, the ring provider).
///
/// # Errors
///
/// [`Error::Tls`] if the provider cannot be set up (it always can with ring).
pub fn client_config_with_roots(roots: RootCertStore) -> Result<Arc<ClientConfig>> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(Error::tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The default client configuration: the webpki (Mozilla) root certificates, TLS 1.2
/// and 1.3, the ring provider. Built once and shared.
pub fn default_client_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            // The ring provider supports the safe default versions: this cannot fail.
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

/// A client configuration that trusts exactly the given certificates (for example a
/// private CA, or a self-signed certificate in tests), and nothing else.
///
/// # Errors
///
/// [`Error::Tls`] if a certificate cannot be parsed.
pub fn client_config_trusting(
    certs: impl IntoIterator<Item = CertificateDer<'static>>,
) -> Result<Arc<ClientConfig>> {
    let mut store = RootCertStore::empty();
    for cert in certs {
        store.add(cert).map_err(Error::tls)?;
    }
    client_config_with_roots(store)
}

/// A server configuration presenting `cert_chain` (leaf first) with `key`, without
/// client authentication.
///
/// # Errors
///
/// [`Error::Tls`] if the key does not match or cannot be used.
pub fn server_config(
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>> {
    let config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(Error::tls)?
        .with_no_client_auth()
        .with_single_cert(cert_chain, key)
        .map_err(Error::tls)?;
    Ok(Arc::new(config))
}

/// Client side: wrap `tcp` in TLS for `host` and complete the TLS handshake before
/// `deadline`.
pub(crate) fn client_stream(
    mut tcp: TcpStream,
    host: &str,
    config: Arc<ClientConfig>,
    deadline: Option<Instant>,
) -> Result<StreamOwned<ClientConnection, TcpStream>> {
    // An IPv6 literal comes bracketed from the URL.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(bare.to_owned()).map_err(Error::tls)?;
    let mut conn = ClientConnection::new(config, name).map_err(Error::tls)?;
    while conn.is_handshaking() {
        let left = crate::connect::time_left(deadline)?;
        tcp.set_read_timeout(left)?;
        tcp.set_write_timeout(left)?;
        conn.complete_io(&mut tcp).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                Error::Protocol(websock_core::Error::HandshakeTimeout)
            }
            _ => crate::stream::io_error(e),
        })?;
    }
    tcp.set_read_timeout(None)?;
    tcp.set_write_timeout(None)?;
    Ok(StreamOwned::new(conn, tcp))
}

/// Server side: wrap an accepted TCP connection in TLS with `config`, then hand the
/// stream to [`accept`](crate::accept) or [`accept_with`](crate::accept_with). The TLS
/// handshake runs on first use, inside the WebSocket handshake and under its deadline
/// ([`Timeouts::handshake`](websock_core::Timeouts::handshake)), so a client that
/// never speaks cannot hold the thread forever.
///
/// # Errors
///
/// [`Error::Tls`] if `config` cannot be used.
pub fn accept_tls(tcp: TcpStream, config: Arc<ServerConfig>) -> Result<MaybeTlsStream> {
    let conn = rustls::ServerConnection::new(config).map_err(Error::tls)?;
    Ok(MaybeTlsStream::ServerTls(Box::new(StreamOwned::new(
        conn, tcp,
    ))))
}
