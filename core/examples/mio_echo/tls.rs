//! `--tls CERT.pem KEY.pem` for `mio_echo`: the transport is plain TCP or rustls over TCP.
//!
//! rustls' `StreamOwned` does the TLS work: over a non-blocking socket its reads and
//! writes run the TLS handshake first and end with `WouldBlock` when the socket has
//! nothing (or takes nothing), as a plain socket does, so the driver loop is the same
//! for both. Two things differ: TLS bytes may wait in rustls after a write (the driver
//! also waits for WRITABLE then, and flushes them first), and the write side ends with
//! a close_notify before the TCP shutdown. A client that never finishes its TLS
//! handshake is cut off by the engine's handshake timer, which runs from the accept.
use std::io::{self, IoSlice, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;

use mio::net::TcpStream;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// The server configuration for a certificate chain and its key, both PEM files.
pub fn config(cert_pem: &str, key_pem: &str) -> io::Result<Arc<ServerConfig>> {
    let certs = CertificateDer::pem_file_iter(cert_pem)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(io::Error::other)?;
    let key = PrivateKeyDer::from_pem_file(key_pem).map_err(io::Error::other)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(io::Error::other)?;
    Ok(Arc::new(config))
}

/// A client's transport.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Stream {
    /// `tcp` as is, or as the server side of a TLS connection with `config`.
    pub fn new(tcp: TcpStream, config: Option<&Arc<ServerConfig>>) -> io::Result<Stream> {
        Ok(match config {
            None => Stream::Plain(tcp),
            Some(config) => {
                let tls = ServerConnection::new(config.clone()).map_err(io::Error::other)?;
                Stream::Tls(Box::new(StreamOwned::new(tls, tcp)))
            }
        })
    }

    /// The socket, to register with the poll.
    pub fn tcp(&mut self) -> &mut TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => &mut tls.sock,
        }
    }

    /// Whether TLS bytes wait for the socket to take them.
    pub fn wants_write(&self) -> bool {
        matches!(self, Stream::Tls(tls) if tls.conn.wants_write())
    }

    /// Ends the write side: close_notify (TLS), then the TCP shutdown once every TLS
    /// byte is out. False if TLS bytes still wait (call again when writable).
    pub fn shutdown(&mut self) -> bool {
        if let Stream::Tls(tls) = self {
            tls.conn.send_close_notify(); // once, however often it is called
            if tls.flush().is_err() && tls.conn.wants_write() {
                return false;
            }
        }
        let _ = self.tcp().shutdown(Shutdown::Write);
        true
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.read(buf),
            Stream::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.write(buf),
            Stream::Tls(tls) => tls.write(buf),
        }
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.write_vectored(bufs),
            Stream::Tls(tls) => tls.write_vectored(bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(tcp) => tcp.flush(),
            Stream::Tls(tls) => tls.flush(),
        }
    }
}
