//! `wss://` with each source of trust and each crypto provider (`websock_core::tls`):
//! a CA generated for the test signs the server's certificate, and a client trusts it
//! through a custom store, the OS store (`native-roots`) or the OS verifier
//! (`platform-verifier`), both of which read `SSL_CERT_FILE`; then one echo over the
//! connection. The tests that need `SSL_CERT_FILE` (or a process-wide default provider)
//! run this test binary again as a child process with the variable set, so that nothing
//! leaks into the other tests of the binary.
//!
//! The servers and clients are websock-std's (blocking, no runtime to set up); the
//! configurations are core's, the same for every runtime.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::Command;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use websock_std::rustls::{ClientConfig, ServerConfig};
use websock_std::tls::{self, Roots};
use websock_std::{accept, connect_with, ClientOptions, Incoming, Message};
use websock_tests::tls::TestCa;

/// Set in a child process: the `wss://` URL of the parent's server to connect to.
const CHILD_URL: &str = "WEBSOCK_TLS_ROOTS_URL";
/// Set in a child process: which roots its client uses (`native`, `platform`, or
/// `process-default` for the check of the installed provider).
const CHILD_MODE: &str = "WEBSOCK_TLS_ROOTS_MODE";

/// How long the server waits for its one connection's outcome.
const SERVER_WAIT: Duration = Duration::from_secs(30);

/// Serves one `wss://` connection on 127.0.0.1 with `config`: accepts the TLS and
/// WebSocket handshakes, echoes one message, then waits for the close. The receiver
/// gets the outcome (the echoed text, or the error).
fn serve_once(config: Arc<ServerConfig>) -> (SocketAddr, mpsc::Receiver<Result<String, String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = (|| {
            let (tcp, _) = listener.accept().map_err(|e| format!("accept: {e}"))?;
            let stream = tls::accept_tls(tcp, config).map_err(|e| format!("TLS accept: {e}"))?;
            let mut ws = accept(stream).map_err(|e| format!("accept: {e}"))?;
            let text = match ws.recv_incoming() {
                Some(Ok(Incoming::Message(Message::Text(text)))) => text.as_str().to_owned(),
                other => return Err(format!("expected a text message, got {other:?}")),
            };
            ws.send(Message::text(text.as_str()))
                .map_err(|e| format!("send: {e}"))?;
            while let Some(incoming) = ws.recv_incoming() {
                incoming.map_err(|e| format!("recv: {e}"))?;
            }
            Ok(text)
        })();
        let _ = tx.send(outcome);
    });
    (addr, rx)
}

/// Connects to `url` with `config`, sends "hello", expects it back, closes.
fn echo_client(url: &str, config: Arc<ClientConfig>) -> Result<(), String> {
    let options = ClientOptions::new()
        .check_bad_ports(false)
        .tls_config(config);
    let mut ws = connect_with(url, options).map_err(|e| format!("connect: {e}"))?;
    ws.send(Message::text("hello"))
        .map_err(|e| format!("send: {e}"))?;
    match ws.recv_incoming() {
        Some(Ok(Incoming::Message(Message::Text(text)))) if text.as_str() == "hello" => {}
        other => return Err(format!("expected the echo, got {other:?}")),
    }
    let closed = ws
        .close(Some(1000), "")
        .map_err(|e| format!("close: {e}"))?;
    if closed.was_clean {
        Ok(())
    } else {
        Err(format!("an unclean close: {closed:?}"))
    }
}

fn url(addr: SocketAddr) -> String {
    format!("wss://127.0.0.1:{}/", addr.port())
}

/// A server with `server`, a client with `client`: the echo works both ways.
fn handshake(server: Arc<ServerConfig>, client: Arc<ClientConfig>) {
    let (addr, outcome) = serve_once(server);
    echo_client(&url(addr), client).expect("the client's echo");
    let served = outcome
        .recv_timeout(SERVER_WAIT)
        .expect("the server's outcome");
    assert_eq!(served.as_deref(), Ok("hello"));
}

fn server_config(ca: &TestCa) -> Arc<ServerConfig> {
    tls::server_config(ca.server_chain(), ca.server_key_der()).expect("server config")
}

#[test]
fn custom_roots_trust_the_test_ca() {
    let ca = TestCa::generate();
    let mut store = websock_std::rustls::RootCertStore::empty();
    store.add(ca.ca_cert.clone()).expect("add the CA");
    let client = tls::client_config(Roots::Custom(store)).expect("client config");
    handshake(server_config(&ca), client);
}

#[test]
fn webpki_roots_reject_the_test_ca() {
    let ca = TestCa::generate();
    let (addr, _outcome) = serve_once(server_config(&ca));
    let client = tls::client_config(Roots::WebPki).expect("client config");
    let err = echo_client(&url(addr), client).expect_err("an unknown CA is refused");
    assert!(
        err.contains("issuer") || err.contains("Issuer"),
        "not a certificate error: {err}"
    );
}

#[test]
fn default_config_refuses_an_unknown_ca() {
    // The default configuration (whatever the OS store holds) does not know the test CA.
    let ca = TestCa::generate();
    let (addr, _outcome) = serve_once(server_config(&ca));
    let err = echo_client(&url(addr), tls::default_client_config())
        .expect_err("an unknown CA is refused");
    assert!(
        err.contains("issuer") || err.contains("Issuer"),
        "not a certificate error: {err}"
    );
}

/// Runs this test binary again as a child running only `test`, with `SSL_CERT_FILE`
/// naming a file holding `ca`'s certificate, and the child's mode and the URL set.
fn run_child(test: &str, mode: &str, ca: &TestCa, url: &str) {
    let dir = temp_dir(test);
    let file = dir.join("ca.pem");
    std::fs::write(&file, &ca.ca_pem).expect("write the CA file");
    let output = Command::new(std::env::current_exe().expect("the test binary"))
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env("SSL_CERT_FILE", &file)
        .env_remove("SSL_CERT_DIR")
        .env(CHILD_URL, url)
        .env(CHILD_MODE, mode)
        .output()
        .expect("run the child");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "child {test} ({mode}) failed: {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    // The child really ran the test (a filter that matches nothing also succeeds).
    assert!(
        stdout.contains("1 passed"),
        "child {test} ran no test:\n{stdout}"
    );
}

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "websock-tls-roots-{}-{test}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

/// The test `test` with the client configuration `client` (see [`CHILD_MODE`] for
/// `mode`): in the parent, the server and a child; in the child, the client.
fn parent_or_child(test: &str, mode: &str, client: impl FnOnce() -> Arc<ClientConfig>) {
    if let Ok(url) = std::env::var(CHILD_URL) {
        assert_eq!(std::env::var(CHILD_MODE).as_deref(), Ok(mode));
        echo_client(&url, client()).expect("the child's echo");
        return;
    }
    let ca = TestCa::generate();
    let (addr, outcome) = serve_once(server_config(&ca));
    run_child(test, mode, &ca, &url(addr));
    let served = outcome
        .recv_timeout(SERVER_WAIT)
        .expect("the server's outcome");
    assert_eq!(served.as_deref(), Ok("hello"));
}

#[test]
fn native_roots_read_ssl_cert_file() {
    parent_or_child("native_roots_read_ssl_cert_file", "native", || {
        tls::client_config(Roots::Native).expect("client config from the OS store")
    });
}

#[test]
fn native_roots_fail_without_a_usable_store() {
    if std::env::var(CHILD_URL).is_ok() {
        // The child: SSL_CERT_FILE names a file that does not exist.
        assert!(tls::native_roots().is_err());
        assert!(tls::client_config(Roots::Native).is_err());
        return;
    }
    let dir = temp_dir("missing");
    let output = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "native_roots_fail_without_a_usable_store",
            "--exact",
            "--nocapture",
        ])
        .env("SSL_CERT_FILE", dir.join("no-such-file.pem"))
        .env_remove("SSL_CERT_DIR")
        .env(CHILD_URL, "unused")
        .output()
        .expect("run the child");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// rustls-platform-verifier reads the OS store through rustls-native-certs (and so
// honours SSL_CERT_FILE) everywhere but Apple systems, Windows and Android, whose own
// verifiers cannot be pointed at a file.
#[cfg(all(unix, not(target_vendor = "apple"), not(target_os = "android")))]
#[test]
fn platform_verifier_reads_ssl_cert_file() {
    parent_or_child("platform_verifier_reads_ssl_cert_file", "platform", || {
        tls::client_config(Roots::Platform).expect("client config from the OS verifier")
    });
}

// The default configuration follows the root features: with `platform-verifier` on (as
// in this build), the OS verifier, so the test CA in SSL_CERT_FILE is trusted.
#[cfg(all(unix, not(target_vendor = "apple"), not(target_os = "android")))]
#[test]
fn default_config_uses_the_platform_verifier_when_on() {
    parent_or_child(
        "default_config_uses_the_platform_verifier_when_on",
        "default",
        || tls::try_default_client_config().expect("the default client config"),
    );
}

/// Whether `provider` is aws-lc-rs's default: it offers the post-quantum hybrid key
/// exchange X25519MLKEM768, which ring's does not.
fn is_aws_lc_rs(provider: &websock_std::rustls::crypto::CryptoProvider) -> bool {
    provider
        .kx_groups
        .iter()
        .any(|group| group.name() == websock_std::rustls::NamedGroup::X25519MLKEM768)
}

#[test]
fn ring_is_the_provider_when_both_are_on() {
    assert!(!is_aws_lc_rs(&tls::crypto_provider()));
    assert!(!is_aws_lc_rs(&tls::ring_provider()));
    assert!(is_aws_lc_rs(&tls::aws_lc_rs_provider()));
}

#[test]
fn an_installed_process_default_provider_wins() {
    if std::env::var(CHILD_MODE).as_deref() == Ok("process-default") {
        // The child: install aws-lc-rs process-wide, then every configuration uses it.
        tls::aws_lc_rs_provider()
            .as_ref()
            .clone()
            .install_default()
            .expect("install the default provider");
        assert!(is_aws_lc_rs(&tls::crypto_provider()));
        let ca = TestCa::generate();
        let mut store = websock_std::rustls::RootCertStore::empty();
        store.add(ca.ca_cert.clone()).expect("add the CA");
        let client = tls::client_config(Roots::Custom(store)).expect("client config");
        handshake(server_config(&ca), client);
        return;
    }
    let output = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "an_installed_process_default_provider_wins",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD_MODE, "process-default")
        .output()
        .expect("run the child");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Both ends on aws-lc-rs, and each provider against the other.
#[test]
fn aws_lc_rs_handshakes() {
    let ca = TestCa::generate();
    let roots = || {
        let mut store = websock_std::rustls::RootCertStore::empty();
        store.add(ca.ca_cert.clone()).expect("add the CA");
        Roots::Custom(store)
    };
    let aws_server = || {
        tls::server_config_with_provider(
            tls::aws_lc_rs_provider(),
            ca.server_chain(),
            ca.server_key_der(),
        )
        .expect("aws-lc-rs server config")
    };
    let aws_client = || {
        tls::client_config_with_provider(tls::aws_lc_rs_provider(), roots())
            .expect("aws-lc-rs client config")
    };
    let ring_client =
        tls::client_config_with_provider(tls::ring_provider(), roots()).expect("ring client");
    handshake(aws_server(), aws_client());
    handshake(aws_server(), ring_client);
    handshake(server_config(&ca), aws_client());
}
