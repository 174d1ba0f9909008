//! tokio as websock-core's [`Runtime`]: `tokio::spawn`, tokio's clock and timer, and
//! DNS, TCP and TLS with tokio's sockets (websock-core puts them together, with a
//! proxy's tunnel when the options name one); [`Io`], any tokio `AsyncRead + AsyncWrite` as the
//! driver's [`Transport`].

use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use websock_core::dom::WsUrl;
use websock_core::handle::{Runtime, Timer, Transport};

use crate::stream::MaybeTlsStream;

/// The tokio runtime, for websock-core's handles. Functions that start a connection
/// must run inside a tokio runtime (its driver task, once the stream is split or
/// dropped unfinished, runs there).
#[derive(Debug, Clone, Copy)]
pub struct Tokio;

impl Runtime for Tokio {
    type Timer = TokioTimer;
    #[cfg(feature = "tls")]
    type Tls = Option<std::sync::Arc<rustls::ClientConfig>>;
    #[cfg(not(feature = "tls"))]
    type Tls = ();
    type Stream = MaybeTlsStream;
    type Transport = Io<MaybeTlsStream>;
    type Tcp = Io<TcpStream>;

    fn spawn<F: Future<Output = ()> + Send + 'static>(future: F) {
        tokio::spawn(future);
    }

    /// The runtime whose context the connection opened in (`None` outside one).
    type Spawner = Option<tokio::runtime::Handle>;

    fn spawner() -> Self::Spawner {
        tokio::runtime::Handle::try_current().ok()
    }

    fn spawn_with<F: Future<Output = ()> + Send + 'static>(spawner: &Self::Spawner, future: F) {
        let runtime = spawner
            .clone()
            .or_else(|| tokio::runtime::Handle::try_current().ok());
        // A runtime that has shut down drops the task (and the future) at once.
        if let Some(runtime) = runtime {
            runtime.spawn(future);
        }
    }

    fn now() -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn timer() -> TokioTimer {
        TokioTimer(None)
    }

    async fn connect_tcp(host: &str, port: u16) -> io::Result<Io<TcpStream>> {
        let mut last_error = None;
        for addr in tokio::net::lookup_host((host, port)).await? {
            match TcpStream::connect(addr).await {
                Ok(tcp) => {
                    tcp.set_nodelay(true)?;
                    return Ok(Io(tcp));
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::NotFound, format!("no address for {host}"))
        }))
    }

    async fn secure(
        tcp: Io<TcpStream>,
        url: &WsUrl,
        tls: Self::Tls,
    ) -> io::Result<Io<MaybeTlsStream>> {
        if !url.is_secure() {
            return Ok(Io(MaybeTlsStream::Plain(tcp.0)));
        }
        secure(tcp.0, url, tls).await.map(Io)
    }

    fn supports_tls() -> bool {
        cfg!(feature = "tls")
    }
}

#[cfg(feature = "tls")]
async fn secure(
    tcp: TcpStream,
    url: &WsUrl,
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
) -> io::Result<MaybeTlsStream> {
    let config = tls.unwrap_or_else(crate::tls::default_client_config);
    crate::tls::handshake_client(tcp, url.host(), config).await
}

#[cfg(not(feature = "tls"))]
async fn secure(_: TcpStream, _: &WsUrl, _: ()) -> io::Result<MaybeTlsStream> {
    Err(io::ErrorKind::Unsupported.into())
}

/// tokio's timer (a `Sleep`, made when first armed and reset to each new deadline; one
/// word in the driver until then).
#[derive(Debug)]
pub struct TokioTimer(Option<Pin<Box<Sleep>>>);

impl Timer for TokioTimer {
    fn poll_until(&mut self, cx: &mut Context<'_>, at: Instant) -> Poll<()> {
        let at = tokio::time::Instant::from_std(at);
        let sleep = match &mut self.0 {
            Some(sleep) => {
                if sleep.deadline() != at {
                    sleep.as_mut().reset(at);
                }
                sleep
            }
            slot => slot.insert(Box::pin(tokio::time::sleep_until(at))),
        };
        sleep.as_mut().poll(cx)
    }
}

/// A tokio `AsyncRead + AsyncWrite` stream as the driver's [`Transport`]. Its addresses
/// and TLS facts are reported for the stream types this crate knows (`TcpStream`,
/// [`MaybeTlsStream`], a tokio-rustls stream over a `TcpStream`); `None` for others.
#[derive(Debug)]
pub struct Io<S>(pub S);

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Transport for Io<S> {
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        // `read_buf` reads into the spare capacity without zero-filling it; the future
        // holds no state of its own, so polling a fresh one each time is sound.
        let read = self.0.read_buf(buf);
        tokio::pin!(read);
        read.poll(cx)
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
    fn peer_addr(&self) -> Option<SocketAddr> {
        crate::stream::tcp_of(&self.0)?.peer_addr().ok()
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        crate::stream::tcp_of(&self.0)?.local_addr().ok()
    }

    #[cfg(feature = "tls")]
    fn tls_info(&self) -> Option<websock_core::tls::TlsInfo> {
        crate::stream::tls_info_of(&self.0)
    }
}
