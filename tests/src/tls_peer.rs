//! Hostile peers over TLS, for the time accounting tests: a TCP peer that trickles the
//! start of a TLS record and never finishes it, a hand-written TLS server
//! ([`TlsPeer`], rustls over a blocking `std::net::TcpStream`) that can stop reading or
//! trickle a record after the handshake, and [`accept_tls`] to run one runtime's server
//! TLS accept from blocking code.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use websock_std::rustls::{self, ServerConfig, ServerConnection};

use crate::facade::{tokio_handle, Error, RawListener, RAW_IO_TIMEOUT};
use crate::tls::TestCert;
use crate::Runtime;

/// The header of a 16 KiB TLS handshake record: the start of a ClientHello (or a
/// ServerHello) that a trickling peer then never finishes.
pub const RECORD_HEAD: [u8; 5] = [0x16, 0x03, 0x01, 0x40, 0x00];

/// The longest any trickle goes on (a peer thread never outlives its test for long).
pub const TRICKLE_LIMIT: Duration = Duration::from_secs(20);

/// Writes `bytes` one at a time, one every `every`, until they run out, a write fails
/// (the other side gave up), or [`TRICKLE_LIMIT`] passed. Returns how many were written.
pub fn trickle(tcp: &mut TcpStream, bytes: impl IntoIterator<Item = u8>, every: Duration) -> usize {
    let _ = tcp.set_nodelay(true);
    let _ = tcp.set_write_timeout(Some(RAW_IO_TIMEOUT));
    let started = Instant::now();
    let mut written = 0;
    for byte in bytes {
        if started.elapsed() > TRICKLE_LIMIT || tcp.write_all(&[byte]).is_err() {
            break;
        }
        written += 1;
        std::thread::sleep(every);
    }
    written
}

/// [`RECORD_HEAD`] then a byte every `every`, never a whole record (see [`trickle`]).
pub fn trickle_a_record_head(tcp: &mut TcpStream, every: Duration) -> usize {
    trickle(tcp, RECORD_HEAD.into_iter().chain([1u8; 1 << 14]), every)
}

/// Runs `rt`'s server TLS accept over `tcp` (an accepted connection) with the test
/// certificate, from blocking code: `accept_tls` if `within` is `None` (the default
/// deadline, [`websock_core::tls::ACCEPT_TIMEOUT`]), else `accept_tls_within`. The
/// stream is dropped; only the outcome is returned.
pub fn accept_tls(rt: Runtime, tcp: TcpStream, within: Option<Duration>) -> Result<(), Error> {
    let config = TestCert::get().server_config(rt);
    match rt {
        Runtime::Tokio => tokio_handle().block_on(async move {
            tcp.set_nonblocking(true)?;
            let tcp = tokio::net::TcpStream::from_std(tcp)?;
            match within {
                None => websock_tokio::tls::accept_tls(tcp, config).await.map(drop),
                Some(t) => websock_tokio::tls::accept_tls_within(tcp, config, t)
                    .await
                    .map(drop),
            }
        }),
        Runtime::Smol => smol::block_on(async move {
            let tcp = async_net::TcpStream::try_from(tcp)?;
            match within {
                None => websock_smol::tls::accept_tls(tcp, config).await.map(drop),
                Some(t) => websock_smol::tls::accept_tls_within(tcp, config, t)
                    .await
                    .map(drop),
            }
        }),
        Runtime::Std => match within {
            None => websock_std::tls::accept_tls(tcp, config).map(drop),
            Some(t) => websock_std::tls::accept_tls_within(tcp, config, t).map(drop),
        },
    }
}

/// The server side of a `wss://` connection, written by hand: rustls over a blocking
/// TCP stream (read and write timeouts of [`RAW_IO_TIMEOUT`]), so that it can stop
/// reading, or hand the client a TLS record one byte at a time.
#[derive(Debug)]
pub struct TlsPeer {
    /// The TCP stream underneath.
    pub tcp: TcpStream,
    /// The TLS server connection.
    pub tls: ServerConnection,
}

impl TlsPeer {
    /// Accepts one TCP connection on `listener` and completes the TLS handshake with
    /// the test certificate ([`TestCert`]).
    pub fn accept_tls(listener: &RawListener) -> io::Result<TlsPeer> {
        let config: Arc<ServerConfig> = TestCert::get().server_config(Runtime::Std);
        let mut tcp = listener.accept_tcp()?;
        let mut tls = ServerConnection::new(config).map_err(io::Error::other)?;
        while tls.is_handshaking() {
            tls.complete_io(&mut tcp)?;
        }
        while tls.wants_write() {
            tls.write_tls(&mut tcp)?;
        }
        Ok(TlsPeer { tcp, tls })
    }

    /// [`TlsPeer::accept_tls`], then reads the upgrade request and answers `101` (no
    /// subprotocol, no extension).
    pub fn accept(listener: &RawListener) -> io::Result<TlsPeer> {
        let mut peer = TlsPeer::accept_tls(listener)?;
        let response = peer.upgrade_response()?;
        peer.write(response.as_bytes())?;
        Ok(peer)
    }

    /// Reads the client's upgrade request; returns the `101` response for it.
    pub fn upgrade_response(&mut self) -> io::Result<String> {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            let mut stream = rustls::Stream::new(&mut self.tls, &mut self.tcp);
            if stream.read(&mut byte)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let key = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("sec-websocket-key")
                    .then(|| value.trim().to_owned())
            })
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no key"))?;
        let accept = websock_core::handshake::accept_key(key.as_bytes());
        Ok(format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        ))
    }

    /// Writes `plaintext` (as one or more TLS records) and flushes it to the socket.
    pub fn write(&mut self, plaintext: &[u8]) -> io::Result<()> {
        self.tls.writer().write_all(plaintext)?;
        while self.tls.wants_write() {
            self.tls.write_tls(&mut self.tcp)?;
        }
        Ok(())
    }

    /// The TLS record(s) carrying `plaintext`, sealed but not sent (to be trickled).
    pub fn seal(&mut self, plaintext: &[u8]) -> io::Result<Vec<u8>> {
        self.tls.writer().write_all(plaintext)?;
        let mut wire = Vec::new();
        while self.tls.wants_write() {
            self.tls.write_tls(&mut wire)?;
        }
        Ok(wire)
    }
}

/// Runs `body` for the three runtimes at the same time, each on its own thread bounded
/// by `timeout`, and panics with every failure (labelled with its runtime) if any failed:
/// for deadline tests whose deadline is long (the default 10 s ones).
pub fn each_runtime_at_once<F>(test: &str, timeout: Duration, body: F)
where
    F: Fn(Runtime) + Send + Sync + 'static,
{
    let body = Arc::new(body);
    let runs: Vec<_> = Runtime::ALL
        .into_iter()
        .map(|rt| {
            let body = body.clone();
            let what = format!("{test} [{rt}]");
            let run = std::thread::spawn(move || {
                crate::run_with_timeout(&what, timeout, move || body(rt))
            });
            (rt, run)
        })
        .collect();
    let mut failures = Vec::new();
    for (rt, run) in runs {
        if let Err(panic) = run.join() {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panicked".to_owned());
            failures.push(format!("{rt}: {message}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{test}: {} of 3 runtimes failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
