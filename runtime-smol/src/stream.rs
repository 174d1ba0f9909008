//! [`MaybeTlsStream`]: a TCP connection, plain or wrapped in rustls, as one futures-io type.

use std::any::Any;
use std::io::{self, IoSlice, IoSliceMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use async_net::TcpStream;
use futures_io::{AsyncRead, AsyncWrite};

#[cfg(feature = "tls")]
use websock_core::tls::TlsInfo;

/// A TCP stream, plain (`ws://`) or TLS (`wss://`, either side), implementing
/// [`AsyncRead`] and [`AsyncWrite`].
///
/// Closing it ([`AsyncWrite::poll_close`]) shuts the write side down: a TCP FIN, or a TLS
/// `close_notify` followed by the FIN.
#[derive(Debug)]
#[non_exhaustive]
pub enum MaybeTlsStream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS, client side.
    #[cfg(feature = "tls")]
    ClientTls(Box<futures_rustls::client::TlsStream<TcpStream>>),
    /// TLS, server side.
    #[cfg(feature = "tls")]
    ServerTls(Box<futures_rustls::server::TlsStream<TcpStream>>),
}

impl MaybeTlsStream {
    /// The underlying TCP stream.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            MaybeTlsStream::Plain(s) => s,
            #[cfg(feature = "tls")]
            MaybeTlsStream::ClientTls(s) => s.get_ref().0,
            #[cfg(feature = "tls")]
            MaybeTlsStream::ServerTls(s) => s.get_ref().0,
        }
    }
}

impl MaybeTlsStream {
    /// Whether the stream is TLS.
    pub fn is_tls(&self) -> bool {
        !matches!(self, MaybeTlsStream::Plain(_))
    }
}

/// The TCP stream of `stream` if it is plain TCP (a `TcpStream`, or
/// [`MaybeTlsStream::Plain`]).
pub(crate) fn plain_tcp_of(stream: &dyn Any) -> Option<&TcpStream> {
    if let Some(tcp) = stream.downcast_ref::<TcpStream>() {
        return Some(tcp);
    }
    match stream.downcast_ref::<MaybeTlsStream>()? {
        MaybeTlsStream::Plain(tcp) => Some(tcp),
        #[cfg(feature = "tls")]
        _ => None,
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
    if let Some(s) = stream.downcast_ref::<futures_rustls::client::TlsStream<TcpStream>>() {
        return Some(s.get_ref().0);
    }
    #[cfg(feature = "tls")]
    if let Some(s) = stream.downcast_ref::<futures_rustls::server::TlsStream<TcpStream>>() {
        return Some(s.get_ref().0);
    }
    None
}

/// The TLS facts of `stream` (websock-core's [`TlsInfo`]), when it is a TLS
/// [`MaybeTlsStream`] or a rustls stream over a `TcpStream`; the client's server name is
/// filled in by the handles, from the URL.
#[cfg(feature = "tls")]
pub(crate) fn tls_info_of(stream: &dyn Any) -> Option<TlsInfo> {
    use futures_rustls::{client, server};
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

/// Forwards a call to whichever stream is inside.
macro_rules! each {
    ($self:ident, $s:ident => $e:expr) => {
        match $self.get_mut() {
            MaybeTlsStream::Plain($s) => $e,
            #[cfg(feature = "tls")]
            MaybeTlsStream::ClientTls($s) => $e,
            #[cfg(feature = "tls")]
            MaybeTlsStream::ServerTls($s) => $e,
        }
    };
}

impl AsyncRead for MaybeTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        each!(self, s => Pin::new(s).poll_read(cx, buf))
    }

    fn poll_read_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &mut [IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>> {
        each!(self, s => Pin::new(s).poll_read_vectored(cx, bufs))
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each!(self, s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each!(self, s => Pin::new(s).poll_write_vectored(cx, bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => Pin::new(s).poll_flush(cx))
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self, s => Pin::new(s).poll_close(cx))
    }
}
