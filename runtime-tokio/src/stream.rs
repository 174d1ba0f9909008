//! [`MaybeTlsStream`]: one transport type for `ws://` and `wss://`, client and server.

use std::any::Any;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

#[cfg(feature = "tls")]
use websock_core::tls::TlsInfo;

/// A TCP stream, plain or wrapped in rustls (client or server side).
///
/// It implements [`AsyncRead`] and [`AsyncWrite`] by delegating to the variant;
/// `poll_shutdown` on a TLS variant sends `close_notify` before the TCP FIN.
#[derive(Debug)]
#[non_exhaustive]
pub enum MaybeTlsStream {
    /// Plain TCP (`ws://`).
    Plain(TcpStream),
    /// TLS client side (`wss://`).
    #[cfg(feature = "tls")]
    ClientTls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
    /// TLS server side.
    #[cfg(feature = "tls")]
    ServerTls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl MaybeTlsStream {
    /// The underlying TCP stream (for addresses and socket options).
    pub fn tcp(&self) -> &TcpStream {
        match self {
            MaybeTlsStream::Plain(s) => s,
            #[cfg(feature = "tls")]
            MaybeTlsStream::ClientTls(s) => s.get_ref().0,
            #[cfg(feature = "tls")]
            MaybeTlsStream::ServerTls(s) => s.get_ref().0,
        }
    }

    /// Whether the stream is encrypted.
    pub fn is_tls(&self) -> bool {
        !matches!(self, MaybeTlsStream::Plain(_))
    }
}

/// The TCP stream under `stream`, when it is one of the types a connection usually runs
/// over: a `TcpStream`, a [`MaybeTlsStream`], or a rustls stream (client or server) over
/// a `TcpStream`. For the driver's `Transport::peer_addr` / `local_addr`, asked once when
/// a connection opens.
pub(crate) fn tcp_of(stream: &dyn Any) -> Option<&TcpStream> {
    if let Some(tcp) = stream.downcast_ref::<TcpStream>() {
        return Some(tcp);
    }
    if let Some(s) = stream.downcast_ref::<MaybeTlsStream>() {
        return Some(s.tcp());
    }
    #[cfg(feature = "tls")]
    if let Some(s) = stream.downcast_ref::<tokio_rustls::client::TlsStream<TcpStream>>() {
        return Some(s.get_ref().0);
    }
    #[cfg(feature = "tls")]
    if let Some(s) = stream.downcast_ref::<tokio_rustls::server::TlsStream<TcpStream>>() {
        return Some(s.get_ref().0);
    }
    None
}

/// The TLS facts of `stream` (websock-core's [`TlsInfo`]), when it is a TLS
/// [`MaybeTlsStream`] or a rustls stream over a `TcpStream`; the client's server name is
/// filled in by the handles, from the URL.
#[cfg(feature = "tls")]
pub(crate) fn tls_info_of(stream: &dyn Any) -> Option<TlsInfo> {
    use tokio_rustls::{client, server};
    let client = |s: &client::TlsStream<TcpStream>| TlsInfo::from_client(s.get_ref().1, None);
    let server = |s: &server::TlsStream<TcpStream>| TlsInfo::from_server(s.get_ref().1);
    match stream.downcast_ref::<MaybeTlsStream>() {
        Some(MaybeTlsStream::ClientTls(s)) => return Some(client(s)),
        Some(MaybeTlsStream::ServerTls(s)) => return Some(server(s)),
        Some(_) => return None,
        None => {}
    }
    if let Some(s) = stream.downcast_ref::<client::TlsStream<TcpStream>>() {
        return Some(client(s));
    }
    stream
        .downcast_ref::<server::TlsStream<TcpStream>>()
        .map(server)
}

impl From<TcpStream> for MaybeTlsStream {
    fn from(s: TcpStream) -> Self {
        MaybeTlsStream::Plain(s)
    }
}

/// Calls `$method` on whichever stream the variant holds.
macro_rules! delegate {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            MaybeTlsStream::Plain($s) => {
                let $s = Pin::new($s);
                $e
            }
            #[cfg(feature = "tls")]
            MaybeTlsStream::ClientTls($s) => {
                let $s = Pin::new(&mut **$s);
                $e
            }
            #[cfg(feature = "tls")]
            MaybeTlsStream::ServerTls($s) => {
                let $s = Pin::new(&mut **$s);
                $e
            }
        }
    };
}

impl AsyncRead for MaybeTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_read(cx, buf))
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => s.poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        delegate!(self, s => s.poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            MaybeTlsStream::Plain(s) => s.is_write_vectored(),
            #[cfg(feature = "tls")]
            MaybeTlsStream::ClientTls(s) => s.is_write_vectored(),
            #[cfg(feature = "tls")]
            MaybeTlsStream::ServerTls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        delegate!(self, s => s.poll_shutdown(cx))
    }
}
