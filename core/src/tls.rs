//! rustls configurations for the runtimes' `wss://`: the ring crypto provider is named
//! explicitly (nothing depends on a process-wide default provider), TLS 1.2 and 1.3.
//! No I/O here: each runtime runs the TLS handshake over its own sockets.

use alloc::string::ToString;
use alloc::sync::Arc;
use alloc::vec::Vec;
use std::io;
use std::sync::OnceLock;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::session::{Error, Result};

/// How long a server's TLS accept may take (the runtimes' `accept_tls`): a client that
/// connects and then sends nothing, or trickles its ClientHello, is cut off after this
/// (`Error::Protocol(HandshakeTimeout)`), as the WebSocket handshake's own deadline
/// ([`Timeouts::handshake`](crate::Timeouts::handshake), 10 s by default) cuts off a
/// slow upgrade request. `accept_tls_within` takes another bound.
pub const ACCEPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A client configuration trusting the roots in `roots`.
///
/// # Errors
///
/// [`Error::Tls`] if the provider refuses the protocol versions (ring does not).
pub fn client_config_with_roots(roots: RootCertStore) -> Result<Arc<ClientConfig>> {
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(Error::tls)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// A client configuration trusting exactly the given certificates (a private CA, or a
/// self-signed test certificate), and nothing else.
///
/// # Errors
///
/// [`Error::Tls`] for a certificate rustls cannot use as a root.
pub fn client_config_trusting(
    certs: impl IntoIterator<Item = CertificateDer<'static>>,
) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(Error::tls)?;
    }
    client_config_with_roots(roots)
}

/// The default client configuration: the Mozilla root certificates from
/// `webpki-roots`. Built once and shared.
pub fn default_client_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            // The ring provider supports the safe default versions: this cannot fail,
            // and if it ever did, a client trusting nothing fails safe.
            client_config_with_roots(roots).unwrap_or_else(|_| {
                Arc::new(
                    ClientConfig::builder_with_provider(provider())
                        .with_safe_default_protocol_versions()
                        .map(|b| b.with_root_certificates(RootCertStore::empty()))
                        .map(|b| b.with_no_client_auth())
                        .unwrap_or_else(|_| {
                            ClientConfig::builder()
                                .with_root_certificates(RootCertStore::empty())
                                .with_no_client_auth()
                        }),
                )
            })
        })
        .clone()
}

/// A server configuration presenting `cert_chain` (leaf first) with its private `key`,
/// without client authentication.
///
/// # Errors
///
/// [`Error::Tls`] if the key does not match the certificate or is unsupported.
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

/// [`server_config`] from PEM text: `cert_chain_pem` holds the certificates (leaf
/// first), `key_pem` the private key (PKCS#8, PKCS#1 or SEC1), as in the `CERT.pem` and
/// `KEY.pem` files a server is started with.
///
/// # Errors
///
/// [`Error::Tls`] if either is not valid PEM, holds no certificate or key, or the key
/// does not match.
pub fn server_config_from_pem(cert_chain_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_slice_iter(cert_chain_pem)
        .collect::<core::result::Result<Vec<_>, _>>()
        .map_err(Error::tls)?;
    if certs.is_empty() {
        return Err(Error::tls("no certificate in the PEM text"));
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(Error::tls)?;
    server_config(certs, key)
}

/// The TLS server name for a URL's host (a domain, or an IP address; IPv6 in brackets
/// or not).
///
/// # Errors
///
/// `InvalidInput` for a host that is not a valid server name (the transport cannot be
/// set up).
pub fn server_name(host: &str) -> io::Result<ServerName<'static>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(bare.to_string()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            alloc::format!("invalid TLS server name {bare:?}: {e}"),
        )
    })
}
