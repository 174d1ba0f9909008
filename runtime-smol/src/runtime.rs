//! smol as websock-core's [`Runtime`]: `smol::spawn`, async-io's timer, and DNS, TCP
//! and TLS with async-net (websock-core puts them together, with a proxy's tunnel when
//! the options name one); [`Io`], any futures-io `AsyncRead + AsyncWrite` as the driver's
//! [`Transport`].

use std::cell::Cell;
use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use async_net::TcpStream;
use bytes::BytesMut;
use futures_io::{AsyncRead, AsyncWrite};
use websock_core::dom::WsUrl;
use websock_core::handle::{Runtime, Timer, Transport};

use crate::stream::MaybeTlsStream;

/// Most bytes one read asks for: the largest a thread's read window grows.
const READ_WINDOW: usize = 64 << 10;
/// A thread's first read window: grown (to a power of two, up to [`READ_WINDOW`]) when
/// a read asks for more, so a thread that only reads small messages keeps a small one.
const READ_WINDOW_MIN: usize = 8 << 10;

thread_local! {
    /// The thread's read window (see [`Io::poll_read_buf`]), made by its first read.
    static READ_WINDOW_BUF: Cell<Option<Box<[u8]>>> = const { Cell::new(None) };
}

/// The smol runtime, for websock-core's handles: a connection's driver task (split
/// halves, the browser face, an unfinished stream dropped) runs on smol's global
/// executor (`smol::spawn`).
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
    type Tcp = Io<TcpStream>;

    fn spawn<F: Future<Output = ()> + Send + 'static>(future: F) {
        smol::spawn(future).detach();
    }

    /// smol's global executor: nothing to remember.
    type Spawner = ();

    fn spawner() {}

    fn spawn_with<F: Future<Output = ()> + Send + 'static>(_: &(), future: F) {
        smol::spawn(future).detach();
    }

    fn now() -> Instant {
        Instant::now()
    }

    fn timer() -> SmolTimer {
        SmolTimer(None)
    }

    async fn connect_tcp(host: &str, port: u16) -> io::Result<Io<TcpStream>> {
        let tcp = TcpStream::connect((host, port)).await?;
        tcp.set_nodelay(true)?;
        Ok(Io(tcp))
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

/// async-io's timer, set to each new deadline.
#[derive(Debug)]
pub struct SmolTimer(Option<Box<(Instant, async_io::Timer)>>);

impl Timer for SmolTimer {
    fn poll_until(&mut self, cx: &mut Context<'_>, at: Instant) -> Poll<()> {
        let armed = match &mut self.0 {
            Some(armed) => {
                if armed.0 != at {
                    **armed = (at, async_io::Timer::at(at));
                }
                armed
            }
            slot => slot.insert(Box::new((at, async_io::Timer::at(at)))),
        };
        Pin::new(&mut armed.1).poll(cx).map(|_| ())
    }
}

/// Plain TCP's read: `recv` straight into `buf`'s spare capacity (no window, no copy,
/// no zero-fill), waiting for async-io's readiness event when the socket is drained.
/// Asks for all of the spare capacity (as tokio's `read_buf` does), and for at least one
/// byte (`buf` grows if full).
fn poll_recv(tcp: &TcpStream, cx: &mut Context<'_>, buf: &mut BytesMut) -> Poll<io::Result<usize>> {
    if buf.capacity() == buf.len() {
        buf.reserve(READ_WINDOW_MIN);
    }
    loop {
        let spare = buf.spare_capacity_mut();
        let room = spare.len();
        match socket2::SockRef::from(tcp).recv(spare) {
            Ok(n) => {
                let len = buf.len() + n.min(room);
                // SAFETY: `recv` wrote `n` bytes (at most `room`) at the start of the
                // spare capacity, so the first `len` bytes of `buf` are initialized.
                #[allow(unsafe_code)]
                unsafe {
                    buf.set_len(len)
                };
                return Poll::Ready(Ok(n));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if let Err(e) = std::task::ready!(poll_readable(tcp, cx)) {
                    return Poll::Ready(Err(e));
                }
            }
            Err(e) => return Poll::Ready(Err(e)),
        }
    }
}

/// async-io's readiness for `tcp`: `Ready` once it may have input, otherwise `Pending`
/// with `cx` registered.
fn poll_readable(tcp: &TcpStream, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
    Arc::<async_io::Async<std::net::TcpStream>>::from(tcp.clone()).poll_readable(cx)
}

/// A futures-io `AsyncRead + AsyncWrite` stream as the driver's [`Transport`]. Its
/// addresses and TLS facts are reported for the stream types this crate knows
/// (`TcpStream`, [`MaybeTlsStream`], a futures-rustls stream over a `TcpStream`); `None`
/// for others.
#[derive(Debug)]
pub struct Io<S>(pub S);

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Transport for Io<S> {
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        if let Some(tcp) = crate::stream::plain_tcp_of(&self.0) {
            return poll_recv(tcp, cx, buf);
        }
        // `AsyncRead` reads into initialized memory, and safe code gets at a
        // `BytesMut`'s spare capacity only by writing it: reading straight into `buf`
        // would zero-fill the whole window before every read, however little arrives.
        // Instead each thread keeps one window, zeroed when made (a thread's, not a
        // connection's: idle connections cost nothing), reads into it and appends what
        // arrived: a copy of the bytes read instead of a memset of the whole window.
        //
        // Ask for no more than `buf` has room for, as tokio's `read_buf` does.
        let window = (buf.capacity() - buf.len()).clamp(1, READ_WINDOW);
        // Taken out while in use: a read nested in this one makes a window of its own.
        let mut scratch = match READ_WINDOW_BUF.try_with(Cell::take).ok().flatten() {
            Some(scratch) if scratch.len() >= window => scratch,
            _ => {
                let size = window
                    .next_power_of_two()
                    .clamp(READ_WINDOW_MIN, READ_WINDOW);
                vec![0; size].into_boxed_slice()
            }
        };
        let poll = Pin::new(&mut self.0).poll_read(cx, &mut scratch[..window]);
        if let Poll::Ready(Ok(n)) = &poll {
            buf.extend_from_slice(&scratch[..(*n).min(window)]);
        }
        let _ = READ_WINDOW_BUF.try_with(|slot| slot.set(Some(scratch)));
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

    /// Plain TCP waits for async-io's readiness event (a futures-io read would first
    /// make a read that fails with `WouldBlock`); other streams read at once (a TLS
    /// layer may hold input the socket does not show).
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match crate::stream::plain_tcp_of(&self.0) {
            Some(tcp) => poll_readable(tcp, cx),
            None => Poll::Ready(Ok(())),
        }
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
