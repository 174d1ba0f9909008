//! A peer that floods a connection cannot hold the executor's thread. The async driver
//! counts its rounds (read, write, timers) until a read blocks; past its budget a
//! drive yields (wakes its task and returns `Pending`), also when it runs inline inside
//! a `recv` that skips the flood's pings. So another task on the same single-threaded
//! executor keeps running while one `recv` waits through a flood.
//!
//! The transport is in memory and never makes the driver wait: every read returns
//! bytes at once (the opening request, then tens of thousands of pings, then one text
//! message and a Close), every write is taken whole. Without the budget, the `recv`
//! that waits for the text would run through the whole flood in one poll and the other
//! task would not run until it returned. Pinned on smol's single-threaded
//! `LocalExecutor`, which has no cooperative budget of its own, and on tokio's
//! current-thread runtime (whose budget does not cover a custom transport).

use std::cell::Cell;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use websock_core::Message;
use websock_tests::tls_accept::masked_frame;

/// Pings in the flood (125-byte payloads: about 6 MiB, hundreds of reads).
const PINGS: usize = 48_000;

/// How many times the other task must have run during the `recv` that waited through
/// the flood.
const MIN_TICKS: u64 = 10;

/// A peer that is always ready: what it sends is generated as it is read, what it is
/// sent is counted and dropped.
struct Flood {
    /// The bytes left of the current piece (request, one ping, the end).
    pending: Vec<u8>,
    /// Read position in `pending`.
    at: usize,
    /// Pings still to generate.
    pings_left: usize,
    /// The text and the Close have been generated.
    ended: bool,
    /// Bytes the server wrote.
    written: Arc<AtomicUsize>,
}

impl Flood {
    fn new() -> Self {
        Flood {
            pending: b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
                       Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                       Sec-WebSocket-Version: 13\r\n\r\n"
                .to_vec(),
            at: 0,
            pings_left: PINGS,
            ended: false,
            written: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Fills `buf` with the next bytes of the flood; 0 once everything was read.
    fn fill(&mut self, buf: &mut [u8]) -> usize {
        let mut n = 0;
        while n < buf.len() {
            if self.at == self.pending.len() {
                self.at = 0;
                if self.pings_left > 0 {
                    self.pings_left -= 1;
                    self.pending = masked_frame(0x9, &[7u8; 125]);
                } else if !self.ended {
                    self.ended = true;
                    self.pending = masked_frame(0x1, b"end");
                    self.pending
                        .extend(masked_frame(0x8, &1000u16.to_be_bytes()));
                } else {
                    self.pending.clear();
                    break;
                }
            }
            let take = (self.pending.len() - self.at).min(buf.len() - n);
            buf[n..n + take].copy_from_slice(&self.pending[self.at..self.at + take]);
            self.at += take;
            n += take;
        }
        n
    }
}

impl tokio::io::AsyncRead for Flood {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = self.get_mut().fill(buf.initialize_unfilled());
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl tokio::io::AsyncWrite for Flood {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.written.fetch_add(buf.len(), Ordering::Relaxed);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl futures_io::AsyncRead for Flood {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(self.get_mut().fill(buf)))
    }
}

impl futures_io::AsyncWrite for Flood {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.written.fetch_add(buf.len(), Ordering::Relaxed);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Checks what the server saw: the text after the flood, every ping answered, and the
/// other task's turns while the `recv` waited.
fn check(runtime: &str, received: Option<Message>, ticks: u64, written: usize) {
    assert_eq!(
        received.as_ref().map(|m| m.as_bytes()),
        Some(&b"end"[..]),
        "{runtime}: {received:?}"
    );
    eprintln!(
        "{runtime}: the other task ran {ticks} times while one recv waited through \
         {PINGS} pings; the server wrote {written} B"
    );
    assert!(
        written >= PINGS * 127,
        "{runtime}: only {written} B of pongs written for {PINGS} pings"
    );
    assert!(
        ticks >= MIN_TICKS,
        "{runtime}: the other task ran only {ticks} times while one recv waited through \
         {PINGS} pings: the flood held the executor's thread"
    );
}

/// A task that counts its turns on the executor.
async fn ticker(turns: Rc<Cell<u64>>) {
    loop {
        turns.set(turns.get() + 1);
        futures_lite::future::yield_now().await;
    }
}

#[test]
fn smol_a_flood_does_not_hold_the_executor() {
    let ex = smol::LocalExecutor::new();
    let turns = Rc::new(Cell::new(0u64));
    let flood = Flood::new();
    let written = flood.written.clone();
    let (received, ticks) = smol::block_on(ex.run(async {
        let mut ws = websock_smol::accept(flood).await.expect("handshake");
        let _ticker = ex.spawn(ticker(turns.clone()));
        let before = turns.get();
        let received = ws.recv().await.map(|m| m.expect("message"));
        (received, turns.get() - before)
    }));
    check("smol", received, ticks, written.load(Ordering::Relaxed));
}

#[test]
fn tokio_a_flood_does_not_hold_the_executor() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let turns = Rc::new(Cell::new(0u64));
    let flood = Flood::new();
    let written = flood.written.clone();
    let (received, ticks) = local.block_on(&rt, async {
        let mut ws = websock_tokio::accept(flood).await.expect("handshake");
        let ticker = tokio::task::spawn_local(ticker(turns.clone()));
        let before = turns.get();
        let received = ws.recv().await.map(|m| m.expect("message"));
        ticker.abort();
        (received, turns.get() - before)
    });
    check("tokio", received, ticks, written.load(Ordering::Relaxed));
}
