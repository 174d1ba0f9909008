//! The test certificate: self-signed for `localhost` and `127.0.0.1`, generated once per
//! test binary with rcgen, and each runtime's rustls configurations for it (made with
//! that runtime's own `tls` helpers).

use std::sync::{Arc, OnceLock};

use websock_tokio::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use websock_tokio::rustls::{ClientConfig, ServerConfig};

use crate::Runtime;

/// A self-signed certificate and its private key.
#[derive(Debug)]
pub struct TestCert {
    /// The certificate (DER).
    pub cert: CertificateDer<'static>,
    /// Its PKCS#8 private key (DER).
    pub key: Vec<u8>,
}

impl TestCert {
    /// The binary's test certificate, generated on first use.
    pub fn get() -> &'static TestCert {
        static CERT: OnceLock<TestCert> = OnceLock::new();
        CERT.get_or_init(|| {
            let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
            let generated =
                rcgen::generate_simple_self_signed(names).expect("generate a test certificate");
            TestCert {
                cert: generated.cert.der().clone(),
                key: generated.key_pair.serialize_der(),
            }
        })
    }

    fn key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()))
    }

    /// A server configuration presenting this certificate, from `runtime`'s
    /// `tls::server_config`.
    pub fn server_config(&self, runtime: Runtime) -> Arc<ServerConfig> {
        let chain = vec![self.cert.clone()];
        match runtime {
            Runtime::Tokio => websock_tokio::tls::server_config(chain, self.key_der())
                .expect("tokio server_config"),
            Runtime::Smol => {
                websock_smol::tls::server_config(chain, self.key_der()).expect("smol server_config")
            }
            Runtime::Std => {
                websock_std::tls::server_config(chain, self.key_der()).expect("std server_config")
            }
        }
    }

    /// A client configuration trusting exactly this certificate, from `runtime`'s
    /// `tls::client_config_trusting`.
    pub fn client_config(&self, runtime: Runtime) -> Arc<ClientConfig> {
        let roots = [self.cert.clone()];
        match runtime {
            Runtime::Tokio => {
                websock_tokio::tls::client_config_trusting(roots).expect("tokio client config")
            }
            Runtime::Smol => {
                websock_smol::tls::client_config_trusting(roots).expect("smol client config")
            }
            Runtime::Std => {
                websock_std::tls::client_config_trusting(roots).expect("std client config")
            }
        }
    }
}
