//! The only code that touches I/O: the driver loop of [`websock_core::Connection`].
//!
//! The engine lives in [`State`] behind a `Mutex`, shared by whoever reads (the
//! receiver, or the browser face's background thread) and whoever writes (the sender,
//! or the browser face's writer thread). The rules that keep two threads from
//! stopping each other:
//!
//! * **Reading never holds the engine's lock.** The reader computes its read timeout
//!   from `poll_timeout`, releases the lock, blocks in `read`, then takes the lock to
//!   hand the bytes over (`handle_input`, `handle_eof`, `handle_timeout`).
//! * **Writing holds the lock** (the slices from `poll_transmit` borrow the engine),
//!   but only for one write slice: the transport's write timeout is set to
//!   [`WRITE_SLICE`], and a writer that must wait for the peer releases the lock
//!   between slices so the reader can keep draining the socket.
//! * **One vectored write per batch**: `poll_transmit` fills up to 32 slices, written
//!   with one `write_vectored`, then `advance_transmit(n)` and `flush` (for TLS).
//! * When the engine asks (`should_shutdown`), the write side is shut down once (TCP
//!   FIN, TLS close_notify); reading goes on until end of stream or `is_finished`.
//! * An I/O error is handed to the engine as end of stream (it reports 1006) and kept,
//!   so the idiomatic API can return the `io::Error` itself.
//!
//! Two transport handles (a `TcpStream` and its `try_clone`) let the reader block in
//! `read` while the writer writes. A transport that cannot be cloned (TLS) is shared
//! through one `Mutex`; the reader then reads with a short timeout
//! ([`SHARED_READ_CAP`]) so the writer gets its turn within that time.

use std::io::{self, IoSlice};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use websock_core::{CloseEvent, Connection, Event};

use crate::stream::Transport;

/// The longest a write may block while the engine's lock is held.
pub(crate) const WRITE_SLICE: Duration = Duration::from_millis(50);
/// Read timeout cap when the reader and the writer take turns on one handle (TLS).
pub(crate) const SHARED_READ_CAP: Duration = Duration::from_millis(20);
/// Read timeout cap when a sender on another thread may have armed an earlier timer
/// (the close timeout after `close()`), which the blocked reader cannot see.
pub(crate) const SPLIT_READ_CAP: Duration = Duration::from_millis(250);
/// How many slices one vectored write takes.
const BATCH: usize = 32;
/// The read buffer while idle, and when busy.
const READ_SMALL: usize = 4 << 10;
const READ_LARGE: usize = 64 << 10;

/// Lock a mutex, ignoring poisoning (a panicking user callback must not wedge the
/// connection; the engine's state is always consistent between calls).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The engine and what the driver knows besides it.
pub(crate) struct State {
    /// The engine.
    pub(crate) conn: Connection,
    epoch: Instant,
    /// The first transport error, until the receiver reports it.
    io_error: Option<io::Error>,
    /// The transport failed (kind and message), for every later call.
    io_failure: Option<(io::ErrorKind, String)>,
    /// The write side was shut down.
    write_shut: bool,
    /// Bytes were written since the last successful `flush` (TLS buffers them).
    unflushed: bool,
    /// End of stream was read.
    eof: bool,
    /// Writers inside a waiting `flush`: they will write everything queued, so the
    /// reader need not (and must not block on a write that waits for the peer).
    waiting_writers: u32,
    /// How many times the reader blocked in `read` (to check it does not spin).
    pub(crate) reads: u64,
    /// The close event, once the reader has taken it from the engine.
    pub(crate) close_event: Option<CloseEvent>,
    /// How long a closing handshake may take (the engine's close timeout), for
    /// senders that wait for it.
    pub(crate) close_timeout: Option<Duration>,
}

impl State {
    /// Time since the connection was created: the engine's clock.
    pub(crate) fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    /// The transport's failure, as a fresh `io::Error`, if it failed.
    pub(crate) fn io_failure(&self) -> Option<io::Error> {
        self.io_failure
            .as_ref()
            .map(|(kind, msg)| io::Error::new(*kind, msg.clone()))
    }

    /// The transport's error, once (the receiver reports it with the engine's
    /// `Event::Error`).
    pub(crate) fn take_io_error(&mut self) -> Option<io::Error> {
        self.io_error.take()
    }

    /// Whether the driver has something to write, flush or shut down.
    pub(crate) fn wants_write(&self) -> bool {
        self.conn.transmit_len() > 0
            || self.unflushed
            || (self.conn.should_shutdown() && !self.write_shut)
    }

    /// The transport failed: keep the error and tell the engine the stream ended.
    fn fail_io(&mut self, e: io::Error) {
        if self.io_failure.is_none() {
            self.io_failure = Some((e.kind(), e.to_string()));
            self.io_error = Some(e);
        }
        let now = self.now();
        self.conn.handle_eof(now);
        if !self.conn.is_finished() {
            // Closed already, with bytes left that can never be written.
            self.conn.abort();
        }
    }
}

/// A connection shared by a reader and writers: the engine, and the transport once
/// there is one (the browser face creates the engine before it connects).
pub(crate) struct Shared<S> {
    state: Mutex<State>,
    /// Signalled whenever the engine's state may have changed.
    pub(crate) changed: Condvar,
    /// The transport; the reader's handle, and the writer's unless `writer` is set.
    stream: OnceLock<Mutex<S>>,
    /// A second handle for writing (`Transport::try_clone_handle`).
    writer: OnceLock<Mutex<S>>,
}

impl<S: Transport> Shared<S> {
    /// An engine with no transport yet; `epoch` is the instant of its time zero.
    pub(crate) fn new(conn: Connection, epoch: Instant) -> Self {
        Shared {
            state: Mutex::new(State {
                conn,
                epoch,
                io_error: None,
                io_failure: None,
                write_shut: false,
                unflushed: false,
                eof: false,
                waiting_writers: 0,
                reads: 0,
                close_event: None,
                close_timeout: None,
            }),
            changed: Condvar::new(),
            stream: OnceLock::new(),
            writer: OnceLock::new(),
        }
    }

    /// An engine with its transport.
    pub(crate) fn with_stream(conn: Connection, epoch: Instant, stream: S) -> Self {
        let shared = Self::new(conn, epoch);
        shared.attach(stream);
        shared
    }

    /// Give the engine its transport (once; later calls drop `stream`).
    pub(crate) fn attach(&self, mut stream: S) {
        // Best effort: without write timeouts a blocked writer holds the lock longer.
        let _ = stream.set_write_timeout(Some(WRITE_SLICE));
        let _ = self.stream.set(Mutex::new(stream));
        self.changed.notify_all();
    }

    /// Give the writer its own handle if the transport can be cloned; returns whether
    /// it could (else reader and writer take turns on one handle).
    pub(crate) fn separate_writer(&self) -> bool {
        if self.writer.get().is_some() {
            return true;
        }
        let Some(stream) = self.stream.get() else {
            return false;
        };
        let clone = lock(stream).try_clone_handle();
        match clone {
            Some(mut w) => {
                let _ = w.set_write_timeout(Some(WRITE_SLICE));
                let _ = self.writer.set(Mutex::new(w));
                true
            }
            None => false,
        }
    }

    /// Lock the engine.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Write what the engine has queued, flush, and shut the write side down when the
    /// engine asks. With `wait`, returns only when everything is written (or the
    /// connection is over); without, gives up after one write slice that makes no
    /// progress. Errors are recorded in the state (see [`State::io_failure`]).
    pub(crate) fn flush<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        wait: bool,
    ) -> MutexGuard<'a, State> {
        if !wait {
            return self.write_pending(st, false);
        }
        st.waiting_writers += 1;
        st = self.write_pending(st, true);
        st.waiting_writers -= 1;
        st
    }

    fn write_pending<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        wait: bool,
    ) -> MutexGuard<'a, State> {
        let Some(handle) = self.writer.get().or(self.stream.get()) else {
            return st;
        };
        loop {
            if st.conn.is_finished() || st.io_failure.is_some() {
                return st;
            }
            let pending = st.conn.transmit_len() > 0;
            let shutdown = !pending && st.conn.should_shutdown() && !st.write_shut;
            if !pending && !shutdown && !st.unflushed {
                return st;
            }
            let mut io = lock(handle);
            let result = if pending {
                write_batch(&mut st.conn, &mut *io).map(|_| st.unflushed = true)
            } else if st.unflushed {
                io.flush().map(|()| st.unflushed = false)
            } else {
                // A transport that is already gone has nothing left to shut down.
                let _ = io.shutdown_write();
                st.write_shut = true;
                Ok(())
            };
            match result {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => {
                    if !wait {
                        return st;
                    }
                    // Let the reader in (it may be draining the peer's data, which is
                    // what the peer waits for before it reads ours).
                    drop(io);
                    st = self
                        .changed
                        .wait_timeout(st, Duration::from_millis(1))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                Err(e) => {
                    drop(io);
                    st.fail_io(e);
                    self.changed.notify_all();
                    return st;
                }
            }
        }
    }

    /// Drive the connection until the engine has an event, and return it; `None` once
    /// the connection is finished and every event was returned.
    ///
    /// Only one thread may call this at a time (the reader).
    pub(crate) fn next_event(&self, rd: &mut Reader) -> Option<Event> {
        let mut st = self.lock();
        loop {
            // The driver loop's order: write first (pongs, close echoes), then events.
            // A waiting writer on another thread writes it all anyway.
            if st.wants_write() && st.waiting_writers == 0 {
                st = self.flush(st, false);
            }
            if let Some(ev) = st.conn.poll_event() {
                if let Event::Close(c) = &ev {
                    st.close_event = Some(c.clone());
                }
                self.changed.notify_all();
                return Some(ev);
            }
            if st.conn.is_finished() {
                return None;
            }
            let now = st.now();
            let deadline = st.conn.poll_timeout();
            if deadline.is_some_and(|d| d <= now) {
                st.conn.handle_timeout(now);
                continue;
            }
            if st.conn.is_finished() {
                continue;
            }
            let mut timeout = deadline.map(|d| d.saturating_sub(now));
            if let Some(cap) = rd.cap(self.writer.get().is_some()) {
                timeout = Some(timeout.map_or(cap, |t| t.min(cap)));
            }
            let timeout = timeout.map(|t| t.max(Duration::from_millis(1)));
            let stream = match self.stream.get() {
                Some(s) if !st.eof => s,
                // No transport yet, or nothing more to read: wait for time or a change.
                _ => {
                    let wait = timeout.unwrap_or(SPLIT_READ_CAP);
                    st = self
                        .changed
                        .wait_timeout(st, wait)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    continue;
                }
            };
            st.reads += 1;
            drop(st);
            let result = rd.read(&mut *lock(stream), timeout);
            st = self.lock();
            let now = st.now();
            match result {
                Ok(0) => {
                    st.eof = true;
                    st.conn.handle_eof(now);
                }
                Ok(n) => st.conn.handle_input(now, &rd.buf[..n]),
                Err(e) if is_timeout(&e) => rd.idle(),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    st.eof = true;
                    st.fail_io(e);
                }
            }
            self.changed.notify_all();
        }
    }

    /// A writer thread's loop: sleep until the engine has bytes to write (a command
    /// signals [`Shared::changed`]), write them, until the connection is finished.
    pub(crate) fn write_until_finished(&self) {
        let mut st = self.lock();
        loop {
            if st.conn.is_finished() || st.io_failure.is_some() {
                return;
            }
            st = if st.wants_write() {
                self.flush(st, true)
            } else {
                self.changed
                    .wait(st)
                    .unwrap_or_else(PoisonError::into_inner)
            };
        }
    }

    /// Write what is queued (waiting), shut the write side down, and stop: used when
    /// a handshake failed and its answer (e.g. a 403) must still reach the peer.
    pub(crate) fn finish_write(&self) {
        let mut st = self.flush(self.lock(), true);
        if !st.write_shut {
            if let Some(handle) = self.writer.get().or(self.stream.get()) {
                let _ = lock(handle).shutdown_write();
            }
            st.write_shut = true;
        }
    }
}

/// Whether an I/O error is a timeout (the platforms disagree on the kind).
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// One vectored write of what `poll_transmit` offers; returns the bytes written.
fn write_batch<S: io::Write + ?Sized>(conn: &mut Connection, io: &mut S) -> io::Result<usize> {
    let written = {
        let mut slices: [&[u8]; BATCH] = [&[]; BATCH];
        let n = conn.poll_transmit(&mut slices);
        let mut iov = [IoSlice::new(&[]); BATCH];
        for (v, s) in iov.iter_mut().zip(&slices[..n]) {
            *v = IoSlice::new(s);
        }
        if n == 0 {
            return Ok(0);
        }
        io.write_vectored(&iov[..n])?
    };
    if written == 0 {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "the transport accepted no bytes",
        ));
    }
    conn.advance_transmit(written);
    Ok(written)
}

/// The reader's side: its buffer, and how long it may block.
pub(crate) struct Reader {
    buf: Vec<u8>,
    /// Cap on read timeouts (see [`SPLIT_READ_CAP`], [`SHARED_READ_CAP`]); `None`
    /// while nobody else can change the engine's timers.
    split: bool,
    /// The read timeout last set on the transport (to skip redundant syscalls).
    last_timeout: Option<Option<Duration>>,
    /// The last read filled the small buffer: use the large one next.
    grow: bool,
}

impl Reader {
    /// A reader for a connection used from one thread.
    pub(crate) fn new() -> Self {
        Reader {
            buf: Vec::new(),
            split: false,
            last_timeout: None,
            grow: false,
        }
    }

    /// Other threads may now write and issue commands.
    pub(crate) fn set_split(&mut self) {
        self.split = true;
    }

    fn cap(&self, separate_writer: bool) -> Option<Duration> {
        match (self.split, separate_writer) {
            (false, _) => None,
            (true, true) => Some(SPLIT_READ_CAP),
            (true, false) => Some(SHARED_READ_CAP),
        }
    }

    fn read<S: Transport + ?Sized>(
        &mut self,
        io: &mut S,
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        if self.last_timeout != Some(timeout) {
            io.set_read_timeout(timeout)?;
            self.last_timeout = Some(timeout);
        }
        if self.grow {
            self.buf = vec![0; READ_LARGE];
            self.grow = false;
        } else if self.buf.is_empty() {
            self.buf = vec![0; READ_SMALL];
        }
        let n = io.read(&mut self.buf)?;
        // A full small buffer: busy, read bigger chunks from the next read on.
        self.grow = n == self.buf.len() && n < READ_LARGE;
        Ok(n)
    }

    /// A read timed out: the connection is idle, release a large buffer.
    fn idle(&mut self) {
        if self.buf.len() > READ_SMALL {
            self.buf = Vec::new();
        }
    }
}
