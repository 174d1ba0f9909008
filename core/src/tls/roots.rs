//! Where a client's trust in server certificates comes from.

use rustls::RootCertStore;

#[cfg(feature = "native-roots")]
use crate::session::{Error, Result};

/// The source of the roots a client configuration trusts, chosen at run time (see
/// [`client_config`](super::client_config)). The sources a build offers are the root
/// features it has on; [`Roots::Custom`] is always there.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Roots {
    /// Mozilla's root certificates, compiled in ([`webpki_roots()`]; feature
    /// `webpki-roots`). The same everywhere, blind to the OS's own additions.
    #[cfg(feature = "webpki-roots")]
    WebPki,
    /// The operating system's certificate store, read when the configuration is built
    /// ([`native_roots`]; feature `native-roots`, rustls-native-certs). On Linux and
    /// the BSDs: the distribution's bundle, or the files named by `SSL_CERT_FILE` /
    /// `SSL_CERT_DIR` when either is set.
    #[cfg(feature = "native-roots")]
    Native,
    /// The operating system's own verifier (feature `platform-verifier`,
    /// rustls-platform-verifier): Security.framework on Apple systems, the Windows
    /// certificate chain engine, Android's trust manager; elsewhere WebPKI over the OS
    /// store as `Roots::Native` reads it (so `SSL_CERT_FILE` / `SSL_CERT_DIR` apply).
    #[cfg(feature = "platform-verifier")]
    Platform,
    /// Exactly these roots, and nothing else (a private CA, a test certificate).
    Custom(RootCertStore),
}

/// Mozilla's root certificates, as compiled into `webpki-roots` (feature
/// `webpki-roots`).
#[cfg(feature = "webpki-roots")]
pub fn webpki_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// The operating system's root certificates (feature `native-roots`), read now: see
/// [`Roots::Native`]. Certificates that cannot be read or parsed are skipped as long
/// as at least one root is found.
///
/// # Errors
///
/// [`Error::Tls`] if no root at all could be loaded (no store, or nothing usable in
/// it), with the loader's errors.
#[cfg(feature = "native-roots")]
pub fn native_roots() -> Result<RootCertStore> {
    let loaded = rustls_native_certs::load_native_certs();
    let mut store = RootCertStore::empty();
    store.add_parsable_certificates(loaded.certs);
    if store.is_empty() {
        let why = loaded
            .errors
            .iter()
            .map(alloc::string::ToString::to_string)
            .collect::<alloc::vec::Vec<_>>()
            .join("; ");
        return Err(Error::tls(alloc::format!(
            "no root certificate in the OS store{}{why}",
            if why.is_empty() { "" } else { ": " }
        )));
    }
    Ok(store)
}
