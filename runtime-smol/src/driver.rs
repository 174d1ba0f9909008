//! The driver: the only code that touches I/O and the clock.
//!
//! [`Driver::poll_drive`] carries out one round of [`websock_core::Connection`]'s
//! driver loop over a futures-io stream: it writes what `poll_transmit` offers with one
//! vectored write per batch (then flushes, for TLS), shuts the write side down once when
//! `should_shutdown` says so, fires the deadline from `poll_timeout`, and reads into a
//! reusable 64 KiB buffer that is released whenever the stream has nothing to read, so an
//! idle connection holds no receive buffer here. Time is the `Duration` since the
//! `Instant` taken when the driver was created. The engine says when to read and write
//! (`wants_read`: not while events wait for the application or, when OPEN, while the
//! send queue is over its limit; `wants_write`). An I/O error fails the transport in the
//! engine (`handle_transport_error`: 1006) and is kept for the application
//! ([`Driver::take_io_error`], for [`Error::from_failure`](crate::Error::from_failure)).

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_io::Timer;
use futures_io::{AsyncRead, AsyncWrite};
use websock_core::Connection;

/// Size of the read buffer.
const READ_BUF: usize = 64 << 10;
/// Most slices handed to one vectored write.
const MAX_SLICES: usize = 32;

/// Where the transport's write side is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteSide {
    /// Writing.
    Open,
    /// `poll_close` was called and has not finished.
    ShuttingDown,
    /// Shut down, or failed: nothing more is written.
    Done,
}

/// Moves bytes and time between a transport `S` and a [`Connection`].
#[derive(Debug)]
pub(crate) struct Driver<S> {
    io: S,
    epoch: Instant,
    buf: Vec<u8>,
    timer: Timer,
    armed: Option<Duration>,
    needs_flush: bool,
    write: WriteSide,
    io_error: Option<io::Error>,
}

impl<S> Driver<S> {
    /// A driver for `io`, whose connection was created at `epoch`.
    pub(crate) fn new(io: S, epoch: Instant) -> Self {
        Driver {
            io,
            epoch,
            buf: Vec::new(),
            timer: Timer::never(),
            armed: None,
            needs_flush: false,
            write: WriteSide::Open,
            io_error: None,
        }
    }

    /// The connection's time: how long since the epoch.
    pub(crate) fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    /// The first I/O error the transport returned, if any (once).
    pub(crate) fn take_io_error(&mut self) -> Option<io::Error> {
        self.io_error.take()
    }

    /// Whether everything the connection queued has been written and flushed.
    pub(crate) fn is_flushed(&self, conn: &Connection) -> bool {
        conn.transmit_len() == 0 && !self.needs_flush || self.write == WriteSide::Done
    }

    /// Whether the write side has been shut down (or has failed).
    pub(crate) fn is_shut_down(&self) -> bool {
        self.write == WriteSide::Done
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Driver<S> {
    /// One round of the driver loop.
    ///
    /// Writes, flushes and shuts down as far as the transport allows, then handles at
    /// most one input (bytes, end of stream or the deadline). `Ready(())` when anything
    /// happened (bytes written, an input handled, the connection finished): look at
    /// `poll_event` and the connection's state, then call again. `Pending` only when
    /// nothing could be done, with `cx`'s waker registered for the transport and the
    /// deadline. Reads only while the engine [`wants_read`](Connection::wants_read)
    /// (events the application has not taken keep the data in the transport); timers
    /// still run.
    pub(crate) fn poll_drive(&mut self, cx: &mut Context<'_>, conn: &mut Connection) -> Poll<()> {
        let wrote = self.poll_write(cx, conn);
        if conn.is_finished() {
            return Poll::Ready(());
        }
        if let Some(deadline) = conn.poll_timeout() {
            if self.armed != Some(deadline) {
                self.timer.set_at(self.epoch + deadline);
                self.armed = Some(deadline);
            }
            if Pin::new(&mut self.timer).poll(cx).is_ready() {
                self.armed = None;
                conn.handle_timeout(self.now().max(deadline));
                self.poll_write(cx, conn);
                return Poll::Ready(());
            }
        }
        if conn.wants_read() && self.poll_read(cx, conn) {
            self.poll_write(cx, conn);
            return Poll::Ready(());
        }
        if wrote {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Reads once into the buffer and hands the bytes (or the end of the stream) to the
    /// connection. False if the transport had nothing (the buffer is then released).
    fn poll_read(&mut self, cx: &mut Context<'_>, conn: &mut Connection) -> bool {
        if self.buf.is_empty() {
            self.buf = vec![0; READ_BUF];
        }
        loop {
            match Pin::new(&mut self.io).poll_read(cx, &mut self.buf) {
                Poll::Ready(Ok(0)) => {
                    self.buf = Vec::new();
                    conn.handle_eof(self.now());
                }
                Poll::Ready(Ok(n)) => {
                    let now = self.now();
                    let n = n.min(self.buf.len());
                    conn.handle_input(now, &self.buf[..n]);
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Poll::Ready(Err(e)) => self.fail(conn, e),
                Poll::Pending => {
                    // Idle: do not hold the buffer while waiting.
                    self.buf = Vec::new();
                    return false;
                }
            }
            return true;
        }
    }

    /// Writes queued bytes (one vectored write per batch), flushes, and shuts the write
    /// side down once the connection asks for it. True if any of that made progress.
    fn poll_write(&mut self, cx: &mut Context<'_>, conn: &mut Connection) -> bool {
        let mut progress = false;
        while self.write == WriteSide::Open && conn.wants_write() {
            let result = {
                let mut slices: [&[u8]; MAX_SLICES] = [&[]; MAX_SLICES];
                let n = conn.poll_transmit(&mut slices);
                if n == 0 {
                    break;
                }
                let iov: [IoSlice<'_>; MAX_SLICES] =
                    std::array::from_fn(|i| IoSlice::new(slices[i]));
                match Pin::new(&mut self.io).poll_write_vectored(cx, &iov[..n]) {
                    Poll::Pending => break,
                    Poll::Ready(Ok(0)) => Err(io::Error::from(io::ErrorKind::WriteZero)),
                    Poll::Ready(r) => r,
                }
            };
            match result {
                Ok(written) => {
                    conn.advance_transmit(written);
                    self.needs_flush = true;
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.fail(conn, e);
                    return true;
                }
            }
        }
        if self.needs_flush && self.write == WriteSide::Open {
            match Pin::new(&mut self.io).poll_flush(cx) {
                Poll::Ready(Ok(())) => {
                    self.needs_flush = false;
                    progress = true;
                }
                Poll::Ready(Err(e)) => {
                    self.fail(conn, e);
                    return true;
                }
                Poll::Pending => return progress,
            }
        }
        if conn.should_shutdown() && self.write != WriteSide::Done && !self.needs_flush {
            match Pin::new(&mut self.io).poll_close(cx) {
                Poll::Ready(_) => {
                    self.write = WriteSide::Done;
                    progress = true;
                }
                Poll::Pending => self.write = WriteSide::ShuttingDown,
            }
        }
        progress
    }

    /// The transport failed: keep the error, stop using it, and tell the connection.
    fn fail(&mut self, conn: &mut Connection, e: io::Error) {
        if self.io_error.is_none() {
            self.io_error = Some(e);
        }
        self.write = WriteSide::Done;
        self.buf = Vec::new();
        conn.handle_transport_error(self.now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::{Wake, Waker};
    use websock_core::{Config, Message, Role};

    /// A transport that accepts every write and has nothing to read.
    #[derive(Default)]
    struct Recorder {
        vectored_writes: Vec<usize>,
        written: Vec<u8>,
        flushes: usize,
        closed: bool,
    }

    impl AsyncRead for Recorder {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Pending
        }
    }

    impl AsyncWrite for Recorder {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.get_mut().written.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }

        fn poll_write_vectored(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            let this = self.get_mut();
            this.vectored_writes.push(bufs.len());
            let mut n = 0;
            for b in bufs {
                this.written.extend_from_slice(b);
                n += b.len();
            }
            Poll::Ready(Ok(n))
        }

        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.get_mut().flushes += 1;
            Poll::Ready(Ok(()))
        }

        fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            self.get_mut().closed = true;
            Poll::Ready(Ok(()))
        }
    }

    struct Noop;

    impl Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }

    fn noop_waker() -> Waker {
        Waker::from(Arc::new(Noop))
    }

    fn open_server() -> Connection {
        let mut conn = Connection::upgraded(Role::Server, None, Config::default(), Duration::ZERO);
        assert!(conn.poll_event().is_some());
        conn
    }

    #[test]
    fn a_batch_goes_out_in_one_vectored_write_then_a_flush() {
        let mut conn = open_server();
        for text in ["one", "two", "three"] {
            conn.send(Message::text(text)).unwrap();
        }
        let mut driver = Driver::new(Recorder::default(), Instant::now());
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        assert!(driver.poll_drive(&mut cx, &mut conn).is_ready());
        assert_eq!(driver.io.vectored_writes.len(), 1);
        assert_eq!(driver.io.flushes, 1);
        assert_eq!(driver.io.written.len(), 3 * 2 + 3 + 3 + 5);
        assert!(driver.is_flushed(&conn));
        // Nothing more to do: pending, and the read buffer is not kept while idle.
        assert!(driver.poll_drive(&mut cx, &mut conn).is_pending());
        assert_eq!(driver.buf.capacity(), 0);
    }

    #[test]
    fn the_write_side_is_shut_down_once_after_the_close() {
        let mut conn = open_server();
        let mut driver = Driver::new(Recorder::default(), Instant::now());
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        conn.close(Duration::ZERO, Some(1000), "").unwrap();
        // The peer answers; then the engine asks for the shutdown.
        conn.handle_input(
            Duration::ZERO,
            &[0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2],
        );
        while driver.poll_drive(&mut cx, &mut conn).is_ready() && !driver.is_shut_down() {}
        assert!(conn.should_shutdown());
        assert!(driver.io.closed);
        assert!(driver.is_shut_down());
    }

    #[test]
    fn an_io_error_is_kept_and_ends_the_connection() {
        let mut conn = open_server();
        let mut driver = Driver::new(Recorder::default(), Instant::now());
        driver.fail(&mut conn, io::Error::from(io::ErrorKind::ConnectionReset));
        assert!(conn.is_finished());
        assert_eq!(
            driver.take_io_error().map(|e| e.kind()),
            Some(io::ErrorKind::ConnectionReset)
        );
        assert!(driver.take_io_error().is_none());
    }
}
