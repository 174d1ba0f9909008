//! Shared helpers for websock's cross-crate tests.
//!
//! * [`Runtime`] names the three adapters (`websock-tokio`, `websock-smol`,
//!   `websock-std`); [`server::start`] runs the conversation server of
//!   `tests/peers/scripts/README.md` with one of them, and [`client::run`] runs a
//!   [`script::Script`] as one of their clients, each over `ws://` or `wss://`
//!   ([`Scheme`], with the test certificate of [`tls`]).
//! * [`peers`] installs and runs the third-party peers (Python `websockets`, Node `ws`,
//!   headless Chromium) with guards that kill them on failure; [`interop`] has the
//!   conversations with them, both directions.
//! * [`browser_face`] puts each runtime's browser `WebSocket` behind one trait, logs its
//!   events as a page would, and scripts a misbehaving server, for the conformance suite
//!   and the Chromium comparison.
//! * [`converse`] and [`for_each_combination`] make the matrix tests short loops over
//!   the 9 (client, server) pairs x {`ws`, `wss`}.
//!
//! Every wait is bounded: a client script by [`CLIENT_TIMEOUT`], server-side waits by
//! explicit timeouts, peer processes by theirs.

#![deny(missing_docs)]

use std::fmt;
use std::time::Duration;

pub mod browser_face;
pub mod client;
pub mod examples;
pub mod facade;
pub mod interop;
pub mod peers;
pub mod script;
pub mod server;
pub mod tls;
pub mod tls_accept;
pub mod tls_peer;

/// The longest a client script may take (connecting, the whole conversation, closing).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(90);

/// How long to wait for a server to record a connection's end after its client is done.
pub const SERVER_RECORD_TIMEOUT: Duration = Duration::from_secs(20);

/// One of the three runtime adapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// `websock-tokio`: a driver task per connection on a tokio runtime.
    Tokio,
    /// `websock-smol`: a driver task per connection, on smol's global executor.
    Smol,
    /// `websock-std`: blocking I/O on std threads.
    Std,
}

impl Runtime {
    /// The three runtimes.
    pub const ALL: [Runtime; 3] = [Runtime::Tokio, Runtime::Smol, Runtime::Std];

    /// Starts this runtime's conversation server over `scheme` (see [`server::start`]).
    pub fn start_server(self, scheme: Scheme) -> server::Server {
        server::start(self, scheme)
    }

    /// Runs `script` as this runtime's client against `url` (see [`client::run`]).
    pub fn run_client(self, url: &str, script: &script::Script) -> Result<script::Report, String> {
        client::run(self, url, script)
    }

    /// Every (client, server) pair: 3 x 3.
    pub fn pairs() -> impl Iterator<Item = (Runtime, Runtime)> {
        Runtime::ALL
            .into_iter()
            .flat_map(|c| Runtime::ALL.into_iter().map(move |s| (c, s)))
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Runtime::Tokio => "tokio",
            Runtime::Smol => "smol",
            Runtime::Std => "std",
        })
    }
}

/// Plain TCP or TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `ws://` over plain TCP.
    Ws,
    /// `wss://` over TLS with the test certificate ([`tls::TestCert`]).
    Wss,
}

impl Scheme {
    /// Both schemes.
    pub const ALL: [Scheme; 2] = [Scheme::Ws, Scheme::Wss];

    /// Whether this is `wss://`.
    pub fn is_tls(self) -> bool {
        self == Scheme::Wss
    }

    /// The URL of `path` on a local server at `port`: `ws://127.0.0.1:PORT/path`, or
    /// `wss://localhost:PORT/path` (the name the test certificate is for).
    pub fn url(self, port: u16, path: &str) -> String {
        match self {
            Scheme::Ws => format!("ws://127.0.0.1:{port}{path}"),
            Scheme::Wss => format!("wss://localhost:{port}{path}"),
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Ws => "ws",
            Scheme::Wss => "wss",
        })
    }
}

/// Runs `f` on a new thread and returns its result, or panics (naming `what`) if it
/// takes longer than `timeout` or panics itself. A thread that overruns is left behind;
/// the test fails either way.
pub fn run_with_timeout<T, F>(what: &str, timeout: Duration, f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::Builder::new()
        .name(what.chars().take(60).collect())
        .spawn(move || {
            let _ = tx.send(f());
        })
        .expect("spawn a thread");
    match rx.recv_timeout(timeout) {
        Ok(value) => {
            let _ = thread.join();
            value
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: timed out after {timeout:?}")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match thread.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => panic!("{what}: ended without a result"),
        },
    }
}

/// One conversation: starts `server`'s conversation server over `scheme`, runs
/// `script` as `client`'s client against it (at path `/matrix`), and returns what the
/// client saw and the server's record of the connection.
pub fn converse(
    client: Runtime,
    server: Runtime,
    scheme: Scheme,
    script: &script::Script,
) -> Result<(script::Report, server::ConnRecord), String> {
    let running = server::start(server, scheme);
    let report = client::run(client, &running.url("/matrix"), script)?;
    let mut records = running.wait_records(1, SERVER_RECORD_TIMEOUT);
    Ok((report, records.remove(0)))
}

/// Runs `check` for every (client, server) pair over both schemes, and panics with
/// every failure (each labelled `client -> server over scheme`) if any failed.
pub fn for_each_combination(check: impl Fn(Runtime, Runtime, Scheme) -> Result<(), String>) {
    let mut failures = Vec::new();
    let mut count = 0;
    for (client, server) in Runtime::pairs() {
        for scheme in Scheme::ALL {
            count += 1;
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                check(client, server, scheme)
            }));
            let failure = match outcome {
                Ok(Ok(())) => continue,
                Ok(Err(e)) => e,
                Err(panic) => panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "panicked".to_owned()),
            };
            failures.push(format!(
                "{client} client -> {server} server over {scheme}: {failure}"
            ));
        }
    }
    assert_eq!(count, 18, "9 pairs x {{ws, wss}}");
    assert!(
        failures.is_empty(),
        "{} of {count} combinations failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Returns `Err(message)` unless `condition` holds (for checks inside
/// [`for_each_combination`]).
pub fn ensure(condition: bool, message: impl FnOnce() -> String) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(message())
    }
}
