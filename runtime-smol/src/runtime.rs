//! smol as websock-core's [`Runtime`]: `smol::spawn`, async-io's timer, and DNS/TCP/TLS
//! with async-net; [`Io`], any futures-io `AsyncRead + AsyncWrite` as the driver's
//! [`Transport`].

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use async_net::TcpStream;
use bytes::BytesMut;
use futures_io::{AsyncRead, AsyncWrite};
use websock_core::dom::WsUrl;
use websock_core::handle::{Runtime, Timer, Transport};

use crate::stream::MaybeTlsStream;

/// Most bytes one read asks for (`AsyncRead` reads into initialized memory, so the
/// window is zeroed first: keep it no larger than a read usually fills).
const READ_WINDOW: usize = 64 << 10;

/// The smol runtime, for websock-core's handles: each connection's driver task runs on
/// smol's global executor (`smol::spawn`).
#[derive(Debug, Clone, Copy)]
pub struct Smol;

impl Runtime for Smol {
    type Timer = SmolTimer;
    #[cfg(feature = "tls")]
    type Tls = Option<std::sync::Arc<rustls::ClientConfig>>;
    #[cfg(not(feature = "tls"))]
    type Tls = ();
    type Stream = MaybeTlsStream;
    type Transport = Io<MaybeTlsStream>;

    fn spawn<F: Future<Output = ()> + Send + 'static>(future: F) {
        smol::spawn(future).detach();
    }

    fn now() -> Instant {
        Instant::now()
    }

    fn timer() -> SmolTimer {
        SmolTimer(None)
    }

    async fn establish(url: WsUrl, tls: Self::Tls) -> io::Result<Io<MaybeTlsStream>> {
        let host = url.host().trim_start_matches('[').trim_end_matches(']');
        let tcp = TcpStream::connect((host, url.port())).await?;
        tcp.set_nodelay(true)?;
        if !url.is_secure() {
            return Ok(Io(MaybeTlsStream::Plain(tcp)));
        }
        secure(tcp, &url, tls).await.map(Io)
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

/// async-io's timer, set to each new deadline.
#[derive(Debug)]
pub struct SmolTimer(Option<(Instant, async_io::Timer)>);

impl Timer for SmolTimer {
    fn poll_until(&mut self, cx: &mut Context<'_>, at: Instant) -> Poll<()> {
        let timer = match &mut self.0 {
            Some((armed, timer)) if *armed == at => timer,
            slot => &mut slot.insert((at, async_io::Timer::at(at))).1,
        };
        Pin::new(timer).poll(cx).map(|_| ())
    }
}

/// A futures-io `AsyncRead + AsyncWrite` stream as the driver's [`Transport`].
#[derive(Debug)]
pub struct Io<S>(pub S);

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Transport for Io<S> {
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        let start = buf.len();
        let window = (buf.capacity() - start).clamp(1, READ_WINDOW);
        buf.resize(start + window, 0);
        let poll = Pin::new(&mut self.0).poll_read(cx, &mut buf[start..]);
        let n = match &poll {
            Poll::Ready(Ok(n)) => (*n).min(window),
            _ => 0,
        };
        buf.truncate(start + n);
        poll
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
        Pin::new(&mut self.0).poll_close(cx)
    }
}
