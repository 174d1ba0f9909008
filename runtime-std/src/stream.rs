//! [`MaybeTlsStream`], the transport `connect` produces; the [`Transport`] trait is
//! websock-core's ([`websock_core::blocking::Transport`]).

use std::io::{self, IoSlice, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub use websock_core::blocking::Transport;
#[cfg(feature = "tls")]
use websock_core::tls::TlsInfo;

/// A TCP stream, plain or wrapped in rustls (client or server side): the transport
/// [`connect`](crate::connect) produces, and one a server can hand to
/// [`accept`](crate::accept) for both `ws://` and `wss://` listeners.
#[derive(Debug)]
#[non_exhaustive]
pub enum MaybeTlsStream {
    /// Plain TCP (`ws://`).
    Plain(TcpStream),
    /// TLS, client side (`wss://`).
    #[cfg(feature = "tls")]
    ClientTls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    /// TLS, server side.
    #[cfg(feature = "tls")]
    ServerTls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl MaybeTlsStream {
    /// The TCP stream underneath.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            MaybeTlsStream::Plain(s) => s,
            #[cfg(feature = "tls")]
            MaybeTlsStream::ClientTls(s) => &s.sock,
            #[cfg(feature = "tls")]
            MaybeTlsStream::ServerTls(s) => &s.sock,
        }
    }

    /// Whether TLS is in use.
    pub fn is_tls(&self) -> bool {
        !matches!(self, MaybeTlsStream::Plain(_))
    }
}

macro_rules! each {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            MaybeTlsStream::Plain($s) => $e,
            #[cfg(feature = "tls")]
            MaybeTlsStream::ClientTls($s) => $e,
            #[cfg(feature = "tls")]
            MaybeTlsStream::ServerTls($s) => $e,
        }
    };
}

impl Read for MaybeTlsStream {
    /// Over TLS, one read makes at most one socket read: a record that arrives a byte
    /// at a time gives `WouldBlock` in between (the driver then checks its timers), so
    /// a trickling peer cannot hold a read past the close or keepalive deadline.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            MaybeTlsStream::Plain(s) => s.read(buf),
            #[cfg(feature = "tls")]
            MaybeTlsStream::ClientTls(s) => read_record(&mut s.conn, &mut s.sock, buf),
            #[cfg(feature = "tls")]
            MaybeTlsStream::ServerTls(s) => read_record(&mut s.conn, &mut s.sock, buf),
        }
    }
}

/// Plaintext rustls already holds, else one socket read (and what it completes);
/// `WouldBlock` if that did not complete a record.
#[cfg(feature = "tls")]
fn read_record<D: rustls::SideData>(
    conn: &mut rustls::ConnectionCommon<D>,
    sock: &mut TcpStream,
    buf: &mut [u8],
) -> io::Result<usize> {
    match conn.reader().read(buf) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
        done => return done,
    }
    while conn.wants_write() {
        conn.write_tls(sock)?;
    }
    conn.read_tls(sock)?;
    conn.process_new_packets()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    conn.reader().read(buf)
}

/// Over TLS, a write never reads: rustls' own `Stream` completes pending I/O in both
/// directions, so a write to a peer that stopped reading could block in a socket read
/// for as long as the read timeout allows. Here a write only encrypts and writes.
impl Write for MaybeTlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            MaybeTlsStream::Plain(s) => s.write_vectored(bufs),
            #[cfg(feature = "tls")]
            MaybeTlsStream::ClientTls(s) => write_records(&mut s.conn, &mut s.sock, bufs),
            #[cfg(feature = "tls")]
            MaybeTlsStream::ServerTls(s) => write_records(&mut s.conn, &mut s.sock, bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            MaybeTlsStream::Plain(s) => s.flush(),
            #[cfg(feature = "tls")]
            MaybeTlsStream::ClientTls(s) => flush_records(&mut s.conn, &mut s.sock),
            #[cfg(feature = "tls")]
            MaybeTlsStream::ServerTls(s) => flush_records(&mut s.conn, &mut s.sock),
        }
    }
}

/// Hands `bufs` to rustls (as much as its outgoing buffer takes), then writes records
/// to the socket until rustls has none left or the socket stops taking them. Plaintext
/// rustls took counts as written even if the socket write then fails (the error shows
/// on the next call); nothing taken and a socket that takes nothing is that error
/// (`WouldBlock` / `TimedOut` under the driver's write timeout).
#[cfg(feature = "tls")]
fn write_records<D: rustls::SideData>(
    conn: &mut rustls::ConnectionCommon<D>,
    sock: &mut TcpStream,
    bufs: &[IoSlice<'_>],
) -> io::Result<usize> {
    let wanted = bufs.iter().any(|b| !b.is_empty());
    let mut taken = conn.writer().write_vectored(bufs)?;
    loop {
        while conn.wants_write() {
            match conn.write_tls(sock) {
                Ok(_) => {}
                Err(_) if taken > 0 => return Ok(taken),
                Err(e) => return Err(e),
            }
        }
        if taken > 0 || !wanted {
            return Ok(taken);
        }
        // rustls' outgoing buffer was full and is empty now.
        taken = conn.writer().write_vectored(bufs)?;
        if taken == 0 {
            return Ok(0);
        }
    }
}

/// Writes every record rustls holds to the socket; never reads.
#[cfg(feature = "tls")]
fn flush_records<D: rustls::SideData>(
    conn: &mut rustls::ConnectionCommon<D>,
    sock: &mut TcpStream,
) -> io::Result<()> {
    conn.writer().flush()?;
    while conn.wants_write() {
        conn.write_tls(sock)?;
    }
    sock.flush()
}

impl Transport for MaybeTlsStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        each!(self, s => Transport::set_read_timeout(s, timeout))
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        each!(self, s => Transport::set_write_timeout(s, timeout))
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        each!(self, s => Transport::shutdown_write(s))
    }

    /// Plain TCP waits with a one-byte peek; TLS returns at once (rustls may hold
    /// decrypted input the socket no longer shows).
    fn wait_readable(&mut self) -> io::Result<()> {
        match self {
            MaybeTlsStream::Plain(s) => Transport::wait_readable(s),
            #[cfg(feature = "tls")]
            _ => Ok(()),
        }
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.tcp().peer_addr().ok()
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        self.tcp().local_addr().ok()
    }

    /// Client side without the server name: the stream fills it in from the URL.
    #[cfg(feature = "tls")]
    fn tls_info(&self) -> Option<TlsInfo> {
        match self {
            MaybeTlsStream::Plain(_) => None,
            MaybeTlsStream::ClientTls(s) => Some(TlsInfo::from_client(&s.conn, None)),
            MaybeTlsStream::ServerTls(s) => Some(TlsInfo::from_server(&s.conn)),
        }
    }

    fn try_clone_handle(&self) -> Option<Self> {
        match self {
            MaybeTlsStream::Plain(s) => s.try_clone().ok().map(MaybeTlsStream::Plain),
            #[cfg(feature = "tls")]
            _ => None,
        }
    }
}
