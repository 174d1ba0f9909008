//! rustls configurations for the runtimes' `wss://`, TLS 1.2 and 1.3. No I/O here: each
//! runtime runs the TLS handshake over its own sockets.
//!
//! * The crypto provider ([`crypto_provider`]): the process-wide default if the
//!   application installed one, else `ring` (feature `ring`, the default), else
//!   `aws-lc-rs` (feature `aws-lc-rs`). With both features on, ring; one of them must
//!   be on. Every builder names its provider, so no combination panics (as rustls'
//!   `ClientConfig::builder()` does when two providers are compiled in and none is
//!   installed). [`client_config_with_provider`] and [`server_config_with_provider`]
//!   take one explicitly.
//! * The client's trust ([`Roots`]): Mozilla's roots compiled in (feature
//!   `webpki-roots`, the default), the OS store (feature `native-roots`: honours
//!   `SSL_CERT_FILE` / `SSL_CERT_DIR`), the OS verifier (feature `platform-verifier`),
//!   or certificates of your own. [`default_client_config`] follows the features;
//!   [`client_config`] picks a source at run time.

use alloc::string::ToString;
use alloc::sync::Arc;
use alloc::vec::Vec;
use std::io;
use std::sync::OnceLock;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::session::{Error, Result};

mod info;
mod provider;
mod roots;

pub use info::TlsInfo;
#[cfg(feature = "aws-lc-rs")]
pub use provider::aws_lc_rs_provider;
pub use provider::crypto_provider;
#[cfg(feature = "ring")]
pub use provider::ring_provider;
#[cfg(feature = "native-roots")]
pub use roots::native_roots;
#[cfg(feature = "webpki-roots")]
pub use roots::webpki_roots;
pub use roots::Roots;

/// How long a server's TLS accept may take (the runtimes' `accept_tls`): a client that
/// connects and then sends nothing, or trickles its ClientHello, is cut off after this
/// (`Error::Protocol(HandshakeTimeout)`), as the WebSocket handshake's own deadline
/// ([`Timeouts::handshake`](crate::Timeouts::handshake), 10 s by default) cuts off a
/// slow upgrade request. `accept_tls_within` takes another bound.
pub const ACCEPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A client configuration trusting the roots in `roots`.
///
/// # Errors
///
/// [`Error::Tls`] if the provider refuses the protocol versions (ring and aws-lc-rs do
/// not).
pub fn client_config_with_roots(roots: RootCertStore) -> Result<Arc<ClientConfig>> {
    client_config(Roots::Custom(roots))
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

/// A client configuration trusting `roots`, on [`crypto_provider`], TLS 1.2 and 1.3,
/// without client authentication. Give it to a runtime's client options
/// (`ClientOptions::tls_config`).
///
/// # Errors
///
/// [`Error::Tls`] if the source yields no usable root (the OS store found none, the
/// platform verifier could not start), or the provider refuses the protocol versions.
pub fn client_config(roots: Roots) -> Result<Arc<ClientConfig>> {
    client_config_with_provider(crypto_provider(), roots)
}

/// [`client_config`] on the crypto provider given (e.g. `ring_provider()` or
/// `aws_lc_rs_provider()`, by feature) instead of [`crypto_provider`].
///
/// # Errors
///
/// As [`client_config`].
pub fn client_config_with_provider(
    provider: Arc<CryptoProvider>,
    roots: Roots,
) -> Result<Arc<ClientConfig>> {
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(Error::tls)?;
    // With no root feature on, `Custom` is the only variant.
    #[allow(clippy::infallible_destructuring_match)]
    let store = match roots {
        #[cfg(feature = "platform-verifier")]
        Roots::Platform => {
            use rustls_platform_verifier::BuilderVerifierExt;
            let config = builder
                .with_platform_verifier()
                .map_err(Error::tls)?
                .with_no_client_auth();
            return Ok(Arc::new(config));
        }
        #[cfg(feature = "webpki-roots")]
        Roots::WebPki => webpki_roots(),
        #[cfg(feature = "native-roots")]
        Roots::Native => native_roots()?,
        Roots::Custom(store) => store,
    };
    Ok(Arc::new(
        builder.with_root_certificates(store).with_no_client_auth(),
    ))
}

/// The trust of the default configuration, from the root features on: the platform
/// verifier if `platform-verifier` is on; else every root of `webpki-roots` and of
/// `native-roots` that are on (an OS store that yields nothing is skipped when the
/// compiled-in roots are there); else none.
fn default_roots() -> Result<Roots> {
    #[cfg(feature = "platform-verifier")]
    return Ok(Roots::Platform);
    #[cfg(not(feature = "platform-verifier"))]
    {
        #[allow(unused_mut)]
        let mut store = RootCertStore::empty();
        #[cfg(feature = "webpki-roots")]
        store.extend(webpki_roots().roots);
        #[cfg(feature = "native-roots")]
        match native_roots() {
            Ok(native) => store.extend(native.roots),
            Err(e) if store.is_empty() => return Err(e),
            Err(_) => {}
        }
        if store.is_empty() {
            return Err(Error::tls(
                "no root certificate source: enable `webpki-roots`, `native-roots` or \
                 `platform-verifier`, or give the client a configuration",
            ));
        }
        Ok(Roots::Custom(store))
    }
}

/// The default client configuration, as the runtimes use it for `wss://` when the
/// client options name none: [`crypto_provider`], and the trust of the root features
/// on. With `platform-verifier`, the OS verifier (`Roots::Platform`); otherwise the
/// union of the enabled stores: Mozilla's roots (`webpki-roots`, the default) and the
/// OS store (`native-roots`). Built at the first success and then shared: the provider
/// and the OS store are read once.
///
/// # Errors
///
/// [`Error::Tls`] if no root source is on, or the ones on yield nothing (an OS store
/// without certificates): then nothing is cached, the next call tries again.
pub fn try_default_client_config() -> Result<Arc<ClientConfig>> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    if let Some(config) = CONFIG.get() {
        return Ok(config.clone());
    }
    let config = client_config(default_roots()?)?;
    Ok(CONFIG.get_or_init(|| config).clone())
}

/// [`try_default_client_config`], infallible: when that fails, a configuration that
/// trusts no root, so that every `wss://` handshake fails (with rustls'
/// `UnknownIssuer`) rather than anything being trusted by accident.
pub fn default_client_config() -> Arc<ClientConfig> {
    try_default_client_config().unwrap_or_else(|_| trust_nothing())
}

/// A client configuration that trusts no root, on the compiled-in provider.
fn trust_nothing() -> Arc<ClientConfig> {
    let config = ClientConfig::builder_with_provider(provider::compiled_provider())
        .with_safe_default_protocol_versions()
        // ring and aws-lc-rs support both safe default versions: never fails.
        .expect("the compiled-in provider supports TLS 1.2 and 1.3")
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth();
    Arc::new(config)
}

/// A server configuration presenting `cert_chain` (leaf first) with its private `key`,
/// without client authentication, on [`crypto_provider`], TLS 1.2 and 1.3.
///
/// # Errors
///
/// [`Error::Tls`] if the key does not match the certificate or is unsupported.
pub fn server_config(
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>> {
    server_config_with_provider(crypto_provider(), cert_chain, key)
}

/// [`server_config`] on the crypto provider given instead of [`crypto_provider`].
///
/// # Errors
///
/// As [`server_config`].
pub fn server_config_with_provider(
    provider: Arc<CryptoProvider>,
    cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>> {
    let config = ServerConfig::builder_with_provider(provider)
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
