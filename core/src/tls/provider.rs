//! Which rustls crypto provider the configurations are built on.

use alloc::sync::Arc;

use rustls::crypto::CryptoProvider;

#[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
compile_error!(
    "websock-core's `rustls` feature needs a crypto provider: enable `ring` (the runtimes' \
     default) or `aws-lc-rs`"
);

/// The crypto provider the configurations of this module are built on when none is
/// given: the process-wide default if the application installed one
/// ([`CryptoProvider::install_default`]), else the one compiled in: ring when the `ring`
/// feature is on (also when `aws-lc-rs` is on too), else aws-lc-rs.
///
/// The application's explicit, process-wide choice wins over this crate's features, and
/// with both features on the default feature (`ring`) wins, so that turning on
/// `aws-lc-rs` only adds a choice (`aws_lc_rs_provider()`, or installing it as the
/// process default) and changes nothing by itself. Never panics, whatever the features.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(compiled_provider)
}

/// The provider compiled in (ring first), ignoring the process-wide default.
pub(super) fn compiled_provider() -> Arc<CryptoProvider> {
    #[cfg(feature = "ring")]
    let provider = ring_provider();
    #[cfg(not(feature = "ring"))]
    let provider = aws_lc_rs_provider();
    provider
}

/// rustls' ring provider (feature `ring`), to name it explicitly in
/// [`client_config_with_provider`](super::client_config_with_provider) or
/// [`server_config_with_provider`](super::server_config_with_provider).
#[cfg(feature = "ring")]
pub fn ring_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// rustls' aws-lc-rs provider (feature `aws-lc-rs`), to name it explicitly in
/// [`client_config_with_provider`](super::client_config_with_provider) or
/// [`server_config_with_provider`](super::server_config_with_provider).
#[cfg(feature = "aws-lc-rs")]
pub fn aws_lc_rs_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}
