//! std as websock-core's blocking [`Runtime`](websock_core::blocking::Runtime):
//! `Instant::now`, OS threads, and the client's transport: DNS and TCP with std's
//! sockets, the proxy's tunnel when the options name one, TLS with rustls.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::thread;
use std::time::{Duration, Instant};

use websock_core::blocking;
use websock_core::dom::WsUrl;
use websock_core::proxy::{ProxyHandshake, Step};
#[cfg(not(feature = "tls"))]
use websock_core::ApiError;

use crate::options::ClientOptions;
use crate::stream::MaybeTlsStream;
use crate::{Error, Result};

/// std's side of websock-core's blocking handles: `Instant::now`, OS threads, and the
/// client's transport ([`open_transport`]). Public in a private module: nameable by
/// the crate's type aliases, not by users.
#[derive(Debug)]
pub struct Std;

impl blocking::Runtime for Std {
    type Tls = crate::options::TlsConfig;
    type Stream = MaybeTlsStream;

    fn now() -> Instant {
        Instant::now()
    }

    fn spawn(writer: bool, task: Box<dyn FnOnce() + Send>) -> std::io::Result<()> {
        let name = if writer {
            "websock-std-writer"
        } else {
            "websock-std"
        };
        thread::Builder::new()
            .name(name.into())
            .spawn(task)
            .map(drop)
    }

    fn open_transport(
        url: &WsUrl,
        options: &ClientOptions,
        deadline: Option<Instant>,
    ) -> Result<MaybeTlsStream> {
        open_transport(url, options, deadline)
    }

    fn supports_tls() -> bool {
        cfg!(feature = "tls")
    }
}

/// How long until `deadline`; [`Error::Protocol`] with `HandshakeTimeout` once past.
pub(crate) fn time_left(deadline: Option<Instant>) -> Result<Option<Duration>> {
    match deadline {
        None => Ok(None),
        Some(d) => match d.checked_duration_since(Instant::now()) {
            Some(left) if !left.is_zero() => Ok(Some(left)),
            _ => Err(Error::Protocol(websock_core::Error::HandshakeTimeout)),
        },
    }
}

/// Resolve, connect (each address in turn), set `TCP_NODELAY`, open the tunnel through
/// [`ClientOptions::proxy`] if set (TCP then goes to the proxy), and add TLS for
/// `wss://`, all before `deadline`.
pub(crate) fn open_transport(
    url: &WsUrl,
    options: &ClientOptions,
    deadline: Option<Instant>,
) -> Result<MaybeTlsStream> {
    let (host, port) = match &options.proxy {
        Some(proxy) => (proxy.host(), proxy.port()),
        None => (
            url.host().trim_start_matches('[').trim_end_matches(']'),
            url.port(),
        ),
    };
    let addrs = (host, port).to_socket_addrs()?;
    let mut last = None;
    let mut tcp = None;
    for addr in addrs {
        let attempt = match time_left(deadline)? {
            Some(left) => TcpStream::connect_timeout(&addr, left),
            None => TcpStream::connect(addr),
        };
        match attempt {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = match (tcp, last) {
        (Some(s), _) => s,
        (None, Some(e)) => return Err(Error::Io(e)),
        (None, None) => {
            return Err(Error::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the host has no address",
            )))
        }
    };
    tcp.set_nodelay(true)?;
    if let Some(proxy) = &options.proxy {
        let handshake = proxy.handshake_for(url).map_err(std::io::Error::from)?;
        tunnel(&tcp, handshake, deadline)?;
    }
    if url.is_secure() {
        tls_client(tcp, url.host(), options, deadline)
    } else {
        Ok(MaybeTlsStream::Plain(tcp))
    }
}

/// Runs the proxy's `handshake` over `tcp`, one read or write at a time, each bounded
/// by the time left before `deadline`.
fn tunnel(
    mut tcp: &TcpStream,
    mut handshake: ProxyHandshake,
    deadline: Option<Instant>,
) -> Result<()> {
    let mut buf = [0; 512];
    loop {
        let left = time_left(deadline)?;
        tcp.set_read_timeout(left)?;
        tcp.set_write_timeout(left)?;
        let step = match handshake.step() {
            Step::Write(bytes) => {
                let n = bytes.len();
                tcp.write_all(bytes).map(|()| handshake.advance(n))
            }
            Step::Read(max) => tcp
                .read(&mut buf[..max.min(512)])
                .and_then(|n| handshake.received(&buf[..n]).map_err(std::io::Error::from)),
            Step::Done => break,
        };
        step.map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                Error::Protocol(websock_core::Error::HandshakeTimeout)
            }
            _ => Error::Io(e),
        })?;
    }
    tcp.set_read_timeout(None)?;
    tcp.set_write_timeout(None)?;
    Ok(())
}

#[cfg(feature = "tls")]
fn tls_client(
    tcp: TcpStream,
    host: &str,
    options: &ClientOptions,
    deadline: Option<Instant>,
) -> Result<MaybeTlsStream> {
    let config = options
        .tls
        .clone()
        .unwrap_or_else(crate::tls::default_client_config);
    let stream = crate::tls::client_stream(tcp, host, config, deadline)?;
    Ok(MaybeTlsStream::ClientTls(Box::new(stream)))
}

#[cfg(not(feature = "tls"))]
fn tls_client(
    _tcp: TcpStream,
    _host: &str,
    _options: &ClientOptions,
    _deadline: Option<Instant>,
) -> Result<MaybeTlsStream> {
    Err(Error::Url(ApiError::Syntax))
}
