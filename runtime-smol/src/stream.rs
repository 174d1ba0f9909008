//! [`MaybeTlsStream`]: a TCP connection, plain or wrapped in rustls, as one futures-io type.

use std::io::{self, IoSlice, IoSliceMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use async_net::TcpStream;
use futures_io::{AsyncRead, AsyncWrite};

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
