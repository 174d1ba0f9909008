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

/// A certificate authority made for the test, and a server certificate it signed for
/// `localhost` and `127.0.0.1`: for the tests of the root sources, where the client's
/// trust must come from the CA (a file named by `SSL_CERT_FILE`, a custom store), not
/// from the server's own certificate.
#[derive(Debug)]
pub struct TestCa {
    /// The CA's certificate (DER): the root to trust.
    pub ca_cert: CertificateDer<'static>,
    /// The CA's certificate as PEM text, as an `SSL_CERT_FILE` holds it.
    pub ca_pem: String,
    /// The server's certificate (DER), signed by the CA.
    pub server_cert: CertificateDer<'static>,
    /// The server certificate's PKCS#8 private key (DER).
    pub server_key: Vec<u8>,
}

impl TestCa {
    /// A new CA and server certificate (a fresh key pair each).
    pub fn generate() -> TestCa {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
            KeyUsagePurpose,
        };
        let ca_key = KeyPair::generate().expect("generate the CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "websock test CA");
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = ca_params.self_signed(&ca_key).expect("self-sign the CA");

        let server_key = KeyPair::generate().expect("generate the server key");
        let mut params = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("server params");
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server = params
            .signed_by(&server_key, &ca, &ca_key)
            .expect("sign the server certificate");
        TestCa {
            ca_cert: ca.der().clone(),
            ca_pem: ca.pem(),
            server_cert: server.der().clone(),
            server_key: server_key.serialize_der(),
        }
    }

    /// The server's private key.
    pub fn server_key_der(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone()))
    }

    /// The certificate chain the server presents: its certificate, then the CA's.
    pub fn server_chain(&self) -> Vec<CertificateDer<'static>> {
        vec![self.server_cert.clone(), self.ca_cert.clone()]
    }
}
