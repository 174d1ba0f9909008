//! The async handles every async runtime shares: the idiomatic [`WebSocketStream`] (with
//! its [`split`](WebSocketStream::split) halves, `futures` `Stream` and `Sink`), the
//! browser's [`WebSocket`], and the driver task that keeps a connection going, written
//! once over a [`Runtime`] (spawn, a clock, a timer, TCP and TLS) and a [`Transport`]
//! (poll read, vectored write, flush, shutdown; the peer and local addresses and the
//! TLS facts, asked once when the connection opens).
//!
//! A runtime adapter (websock-tokio, websock-smol) implements these two traits in
//! about a hundred lines and names the types: everything else (what `recv` yields,
//! which error wins, backpressure both ways, the close handshake, the browser's event
//! order and readyState) is decided here and in the layers below, so the async runtimes
//! behave as one.
//!
//! Model: one driver per connection owns the transport and carries out what the engine
//! asks for (reads, writes, shutdown, timers). It runs where it costs least:
//!
//! * **inline** in an unsplit [`WebSocketStream`]: each of the stream's waiting calls
//!   (`recv`, `send`, `flush`, `close`, the streamed reader and writer) drives it with
//!   the caller's waker before it checks for what it waits on, so a message goes from
//!   the socket to the application and back without a hop between tasks (no task, no
//!   wake-up between them); `try_send` and `ping` write what the transport takes at
//!   once, `feed` leaves its message queued for `flush` (up to 64 KiB queued), and
//!   `try_recv` takes what is already received without driving. While no call is in
//!   progress nothing is read: pings, a peer's Close and timers wait for the next call
//!   (keep a `recv` pending, as an echo loop does, or split);
//! * in a **task** of its own (spawned with [`Runtime::spawn_with`] on the runtime the
//!   connection opened in) once the stream is [split](WebSocketStream::split), or dropped
//!   before its connection is finished (the task closes it with 1001 and finishes the
//!   closing handshake), and always for the browser [`WebSocket`]: it keeps the
//!   connection driven whether or not anyone receives (pongs, close echoes, timers,
//!   keepalive).
//!
//! Handles share the engine behind one mutex, never held across an `.await` or a
//! callback; tasks wake each other through wakers registered under that lock, so no
//! wake-up is lost. The driver batches: it writes everything queued with one vectored
//! write, and reads as long as the engine wants.
//!
//! This module uses no clock and spawns nothing itself: time and tasks come from the
//! [`Runtime`].

mod browser;
mod driver;
mod establish;
mod open;
mod shared;
mod stream;
mod streamed;

use core::future::Future;
use core::task::{Context, Poll};
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::time::Instant;

use bytes::BytesMut;

pub use browser::{Events, WebSocket};
pub use establish::establish;
pub use open::{
    accept, accept_with, client_handshake, connect, connect_with, from_upgraded, from_upgraded_with,
};
pub use stream::{Messages, WebSocketReceiver, WebSocketSender, WebSocketStream};
pub use streamed::{MessageReader, MessageWriter};

use crate::dom::WsUrl;

/// What an async runtime gives the handles: tasks, a clock and a timer, and the pieces
/// of a client's transport (DNS and TCP, TLS). How they are put together for a URL,
/// through a proxy or not, is [`establish`]'s (the same for every runtime).
pub trait Runtime: Send + Sync + 'static {
    /// The runtime's timer.
    type Timer: Timer;
    /// The client options' TLS configuration (`ClientSettings<Self::Tls>`).
    type Tls: Clone + Default + Send + Sync + 'static;
    /// The stream a client connection runs over, as the application sees it (the `S`
    /// of `WebSocketStream<S>`): what [`secure`](Self::secure) makes of a TCP stream.
    type Stream;
    /// That stream as the driver's transport.
    type Transport: Transport;
    /// A TCP connection as [`connect_tcp`](Self::connect_tcp) opens it, before TLS
    /// (the proxy exchange, if any, runs over it).
    type Tcp: Transport;
    /// Runs `future` to completion in the background.
    fn spawn<F: Future<Output = ()> + Send + 'static>(future: F);
    /// Where [`spawn_with`](Self::spawn_with) starts tasks: taken with
    /// [`spawner`](Self::spawner) while a connection opens (inside the runtime), used
    /// later from anywhere (a `Drop`, a thread outside the runtime).
    type Spawner: Clone + Send + Sync + Unpin + 'static;
    /// The current runtime, as a [`Spawner`](Self::Spawner).
    fn spawner() -> Self::Spawner;
    /// Runs `future` to completion in the background on `spawner`'s runtime; drops it
    /// if that runtime is gone. Must not panic (it is called from `Drop`).
    fn spawn_with<F: Future<Output = ()> + Send + 'static>(spawner: &Self::Spawner, future: F);
    /// The runtime's clock (the one its timers follow).
    fn now() -> Instant;
    /// A timer that is not armed.
    fn timer() -> Self::Timer;
    /// DNS and TCP (with `TCP_NODELAY`) to `host` (a name or an IP address, IPv6
    /// without brackets) and `port`, trying each address the name resolves to.
    fn connect_tcp(host: &str, port: u16) -> impl Future<Output = io::Result<Self::Tcp>> + Send;
    /// The transport over `tcp` (which reaches `url`'s server, directly or through a
    /// proxy's tunnel): TLS for `wss://` (server name `url.host()`, configuration
    /// `tls`), the TCP stream itself for `ws://`.
    fn secure(
        tcp: Self::Tcp,
        url: &WsUrl,
        tls: Self::Tls,
    ) -> impl Future<Output = io::Result<Self::Transport>> + Send;
    /// Whether `wss://` is supported (the TLS feature is on).
    fn supports_tls() -> bool;
}

/// Runs a setup step of the handshake that the engine's own timers do not cover (a
/// server's TLS accept) for at most `timeout` on `R`'s clock: its I/O error as
/// [`session::Error::from_io`](crate::session::Error::from_io) (a rustls error is `Tls`),
/// running past `timeout` as `Error::Protocol(HandshakeTimeout)`, as the WebSocket
/// handshake's own deadline reports it.
///
/// `future` and the wait's timer are moved into one allocation (made by this call) that
/// is freed when the step ends, so a task that awaits this and then serves the
/// connection does not carry the step's state (a TLS handshake's is over a kilobyte)
/// for the connection's life: the returned future is one pointer. The bound starts at
/// the first poll.
pub fn handshake_within<R: Runtime, T>(
    timeout: std::time::Duration,
    future: impl Future<Output = io::Result<T>>,
) -> impl Future<Output = Result<T, crate::session::Error>> {
    alloc::boxed::Box::pin(bounded::<R, T>(timeout, future))
}

/// [`handshake_within`]'s wait.
async fn bounded<R: Runtime, T>(
    timeout: std::time::Duration,
    future: impl Future<Output = io::Result<T>>,
) -> Result<T, crate::session::Error> {
    let mut future = core::pin::pin!(future);
    match within::<R, _>(timeout, |cx| future.as_mut().poll(cx)).await {
        Some(out) => out.map_err(crate::session::Error::from_io),
        None => Err(crate::session::Error::Protocol(
            crate::Error::HandshakeTimeout,
        )),
    }
}

/// Polls `poll` until it is ready (`Some`) or `timeout` has passed on `R`'s clock
/// (`None`); a bound too far to represent is no bound. The bound starts at the first
/// poll.
pub(crate) async fn within<R: Runtime, T>(
    timeout: std::time::Duration,
    mut poll: impl FnMut(&mut Context<'_>) -> Poll<T>,
) -> Option<T> {
    let at = R::now().checked_add(timeout);
    let mut timer = R::timer();
    core::future::poll_fn(|cx| {
        if let Poll::Ready(out) = poll(cx) {
            return Poll::Ready(Some(out));
        }
        match at {
            Some(at) => timer.poll_until(cx, at).map(|()| None),
            None => Poll::Pending,
        }
    })
    .await
}

/// A runtime's timer.
pub trait Timer: Send + Unpin + 'static {
    /// Ready once `at` has passed; otherwise registers `cx` to be woken then.
    fn poll_until(&mut self, cx: &mut Context<'_>, at: Instant) -> Poll<()>;
}

/// A byte stream the driver polls: the runtime's socket or TLS stream, wrapped.
pub trait Transport: Send + Unpin + 'static {
    /// Reads into the spare capacity of `buf` (appending); `Ok(0)` is the end of stream.
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>>;
    /// Writes from `bufs`, in order, as one vectored write.
    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;
    /// Flushes buffered bytes (TLS records).
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Shuts the write side down (TCP FIN, TLS `close_notify`).
    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Called before a read when the last read returned a small part of what it asked
    /// for (the socket is probably drained): `Pending` (the waker registered) until the
    /// transport may have input, so the driver waits for readiness instead of making a
    /// read that fails with `WouldBlock`. The default is `Ready`: read at once (right for
    /// a runtime whose read already skips the system call when the socket is known to
    /// be drained, as tokio's does).
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let _ = cx;
        Poll::Ready(Ok(()))
    }
    /// The peer's socket address; `None` (the default) for a transport without one (a
    /// Unix socket, an upgraded HTTP stream). Asked once, when the connection opens.
    fn peer_addr(&self) -> Option<SocketAddr> {
        None
    }
    /// The local socket address; `None` (the default) for a transport without one.
    /// Asked once, when the connection opens.
    fn local_addr(&self) -> Option<SocketAddr> {
        None
    }
    /// The TLS session's facts ([`TlsInfo::from_client`](crate::tls::TlsInfo::from_client)
    /// / [`from_server`](crate::tls::TlsInfo::from_server)); `None` (the default) for a
    /// plain transport. Asked once, when the connection opens.
    #[cfg(feature = "rustls")]
    fn tls_info(&self) -> Option<crate::tls::TlsInfo> {
        None
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        (**self).poll_read_buf(cx, buf)
    }
    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        (**self).poll_write_vectored(cx, bufs)
    }
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        (**self).poll_flush(cx)
    }
    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        (**self).poll_shutdown(cx)
    }
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        (**self).poll_read_ready(cx)
    }
    fn peer_addr(&self) -> Option<SocketAddr> {
        (**self).peer_addr()
    }
    fn local_addr(&self) -> Option<SocketAddr> {
        (**self).local_addr()
    }
    #[cfg(feature = "rustls")]
    fn tls_info(&self) -> Option<crate::tls::TlsInfo> {
        (**self).tls_info()
    }
}
