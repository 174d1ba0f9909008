//! Transports: the [`Transport`] trait the driver needs, and [`MaybeTlsStream`].

use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};

use std::time::Duration;
#[cfg(feature = "tls")]
use websock_core::tls::TlsInfo;

/// A byte stream a WebSocket can run over: [`Read`] + [`Write`], plus the few controls a
/// blocking driver needs to honour the engine's timers and to share the stream between
/// a reading and a writing thread.
///
/// Every method has a default, so a custom transport (a pipe, an in-memory stream, an
/// upgraded HTTP connection) can opt in with `impl Transport for MyStream {}`. With the
/// defaults, reads cannot time out, so timers (close timeout, keepalive, handshake
/// deadline) fire only when bytes arrive; implement
/// [`set_read_timeout`](Transport::set_read_timeout) to make them exact.
pub trait Transport: Read + Write {
    /// Make the next reads fail with [`io::ErrorKind::WouldBlock`] or
    /// [`io::ErrorKind::TimedOut`] after `timeout` (never zero); `None` blocks forever.
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let _ = timeout;
        Ok(())
    }

    /// Make the next writes give up after `timeout` (never zero), returning what was
    /// written so far or [`io::ErrorKind::WouldBlock`] / [`io::ErrorKind::TimedOut`].
    /// The driver uses it so that a writer blocked on a peer that does not read never
    /// stops the reader for long.
    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let _ = timeout;
        Ok(())
    }

    /// Flush and shut the write side down (TCP FIN; TLS close_notify then FIN). Reading
    /// must still work afterwards.
    fn shutdown_write(&mut self) -> io::Result<()> {
        self.flush()
    }

    /// A second handle to the same transport, so one thread can write while another
    /// blocks in `read` (`TcpStream::try_clone`). `None` (the default) if the transport
    /// cannot be shared that way; the two halves then take turns on one handle.
    fn try_clone_handle(&self) -> Option<Self>
    where
        Self: Sized,
    {
        None
    }

    /// The peer's socket address; `None` (the default) for a transport without one (a
    /// Unix socket, a pipe). Asked once, when the WebSocket stream is made.
    fn peer_addr(&self) -> Option<SocketAddr> {
        None
    }

    /// The local socket address; `None` (the default) for a transport without one.
    /// Asked once, when the WebSocket stream is made.
    fn local_addr(&self) -> Option<SocketAddr> {
        None
    }

    /// The TLS session's facts (websock-core's [`TlsInfo`]); `None` (the default) for a
    /// plain transport. Asked once, when the WebSocket stream is made.
    #[cfg(feature = "tls")]
    fn tls_info(&self) -> Option<TlsInfo> {
        None
    }
}

impl Transport for TcpStream {
    fn peer_addr(&self) -> Option<SocketAddr> {
        TcpStream::peer_addr(self).ok()
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        TcpStream::local_addr(self).ok()
    }

    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_write_timeout(self, timeout)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        match self.shutdown(Shutdown::Write) {
            // Already gone: nothing left to shut down.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        }
    }

    fn try_clone_handle(&self) -> Option<Self> {
        self.try_clone().ok()
    }
}

impl<T: Transport> Transport for Box<T> {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_read_timeout(timeout)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_write_timeout(timeout)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        (**self).shutdown_write()
    }

    fn try_clone_handle(&self) -> Option<Self> {
        (**self).try_clone_handle().map(Box::new)
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        (**self).peer_addr()
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        (**self).local_addr()
    }

    #[cfg(feature = "tls")]
    fn tls_info(&self) -> Option<TlsInfo> {
        (**self).tls_info()
    }
}

#[cfg(unix)]
impl Transport for std::os::unix::net::UnixStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_read_timeout(self, timeout)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        std::os::unix::net::UnixStream::set_write_timeout(self, timeout)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        match self.shutdown(Shutdown::Write) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        }
    }

    fn try_clone_handle(&self) -> Option<Self> {
        self.try_clone().ok()
    }
}

#[cfg(feature = "tls")]
impl<C, D, T> Transport for rustls::StreamOwned<C, T>
where
    C: std::ops::DerefMut + std::ops::Deref<Target = rustls::ConnectionCommon<D>>,
    D: rustls::SideData,
    T: Transport,
{
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(timeout)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_write_timeout(timeout)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        self.flush()?;
        self.sock.shutdown_write()
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.sock.peer_addr()
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        self.sock.local_addr()
    }

    /// The session's facts; the server name is left to the caller here (rustls keeps
    /// it only on a concrete `ServerConnection`: [`MaybeTlsStream`] reports it).
    fn tls_info(&self) -> Option<TlsInfo> {
        Some(TlsInfo::from_state(&self.conn, None))
    }
}

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
