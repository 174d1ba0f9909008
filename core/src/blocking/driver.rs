//! The blocking driver loop of [`Connection`]: the only code of [`blocking`](super)
//! that calls the transport.
//!
//! The engine lives in [`State`] behind a `Mutex`, shared by whoever reads (the
//! receiver or, while nobody receives, a sender's `close`; the browser face's
//! background thread) and whoever writes (the sender, or the browser face's writer
//! thread). The rules that keep two threads from stopping each other:
//!
//! * **Reading never holds the engine's lock.** The reader computes its read timeout
//!   from `poll_timeout`, takes the engine's receive buffer
//!   ([`Connection::take_receive_buffer`]: no copy, the engine sizes it), releases the
//!   lock, blocks in `read`, then takes the lock to hand the bytes back
//!   (`handle_received_owned`, `handle_eof`, `handle_timeout`).
//! * **Writing does not hold the engine's lock either.** The writer takes shared
//!   handles to the queued bytes ([`Connection::poll_transmit_owned`]: no copy), marks
//!   itself the writer (`State::writing`: one at a time), releases the lock, blocks in
//!   one `write_vectored` of at most one write slice (the transport's write timeout is
//!   [`WRITE_SLICE`]), then takes the lock to advance the queue by what was taken. So
//!   a reader keeps draining the socket while a write waits for the peer, and two
//!   peers that both write more than the socket buffers hold never wait on each other.
//!   Then `flush` (TLS).
//! * When the engine asks (`should_shutdown`), the write side is shut down once (TCP
//!   FIN, TLS close_notify); reading goes on until end of stream or `is_finished`.
//! * The engine says when to read and write ([`Connection::wants_read`],
//!   [`Connection::wants_write`]): while events wait for the application the reader
//!   does not read, which is how backpressure reaches TCP.
//! * An I/O error is handed to the engine as a transport failure
//!   ([`Connection::handle_transport_error`]: error, then 1006) and kept, so the
//!   idiomatic API can return the `io::Error` itself ([`State::failure`]).
//!
//! * **An idle reader holds no buffer.** A read with nothing else to bound it blocks at
//!   most [`IDLE_AFTER`] holding the receive buffer; once a read times out, the engine
//!   frees its empty buffers and the reader waits for input without one
//!   ([`Transport::wait_readable`]) before it takes a buffer again. So a connection
//!   nobody talks to holds no read buffer (a `TcpStream` waits with a one-byte peek;
//!   a transport without `wait_readable`, such as TLS, reads as before).
//!
//! Two transport handles (a `TcpStream` and its `try_clone`) let the reader block in
//! `read` while the writer writes. A transport that cannot be cloned (TLS) is shared
//! through one `Mutex`; the reader then reads with a short timeout
//! ([`SHARED_READ_CAP`]) so the writer gets its turn within that time.

use core::time::Duration;
use std::io;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;

use bytes::BytesMut;

use super::signal::Signal;
use super::Transport;
use crate::dom::ReadyState;
use crate::session::{Error, Session};
use crate::Connection;

/// The longest a write may block while the engine's lock is held.
pub(crate) const WRITE_SLICE: Duration = Duration::from_millis(50);
/// The most queued segments one vectored write is offered.
const MAX_WRITE_SLICES: usize = 32;
/// Read timeout cap when the reader and the writer take turns on one handle (TLS).
pub(crate) const SHARED_READ_CAP: Duration = Duration::from_millis(20);
/// Read timeout cap when a sender on another thread may have armed an earlier timer
/// (the close timeout after `close()`), which the blocked reader cannot see.
pub(crate) const SPLIT_READ_CAP: Duration = Duration::from_millis(250);
/// The longest a read blocks holding the receive buffer when nothing else bounds it:
/// after that the reader is idle and waits for input without a buffer.
pub(crate) const IDLE_AFTER: Duration = Duration::from_secs(1);
/// The most a send may leave queued for the next receive to write (see
/// [`State::burst`]).
pub(crate) const BATCH_MAX: usize = 64 << 10;
/// The most one read asks for (`Read` needs initialized memory: the window is zeroed
/// before each read, so it stays small even when the engine's buffer is large).
const READ_MAX: usize = 64 << 10;

/// Lock a mutex, ignoring poisoning (a panicking user callback must not wedge the
/// connection; the engine's state is always consistent between calls).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The engine and what the driver knows besides it.
pub(crate) struct State {
    /// The engine.
    pub(crate) conn: Connection,
    /// The idiomatic API's session beside the engine: what `recv` yields, the close
    /// event (unused by the browser face).
    pub(crate) session: Session,
    /// Time zero for the engine (the connection's creation).
    epoch: Instant,
    /// The runtime's clock (see [`Runtime::now`](super::Runtime::now)).
    clock: fn() -> Instant,
    /// The first transport error, until a failure report takes it.
    io_error: Option<io::Error>,
    /// The transport failed (kind and message), for every later call.
    io_failure: Option<(io::ErrorKind, String)>,
    /// The write side was shut down.
    write_shut: bool,
    /// A thread is writing the front of the engine's queue without the lock (see
    /// `Shared::write_unlocked`): nobody else writes until it is done.
    writing: bool,
    /// Bytes were written since the last successful `flush` (TLS buffers them).
    unflushed: bool,
    /// Writers inside a waiting `flush`: they will write everything queued, so the
    /// reader need not (and must not block on a write that waits for the peer).
    waiting_writers: u32,
    /// How many times the reader blocked in `read`, or waited for input while idle (to
    /// check it does not spin).
    pub(crate) reads: u64,
    /// How long a closing handshake may take (the engine's close timeout), for
    /// senders that wait for it.
    pub(crate) close_timeout: Option<Duration>,
    /// A receive on the one thread that drives the connection returned while more
    /// received input was already waiting: the application will be back for it, so the
    /// next send may leave its bytes queued for that receive to write with the rest of
    /// the batch (one write answers a burst). Taken by that send.
    pub(crate) burst: bool,
    /// A keeper thread drives the connection (see [`keeper`](super::keeper)): the
    /// receiver waits for what it delivers ([`Shared::wait_kept`]) instead of reading.
    pub(crate) kept: bool,
    /// Every application handle is gone: whoever drives now drops what arrives
    /// and finishes the closing handshake.
    pub(crate) orphaned: bool,
}

impl State {
    /// Time since the connection was created: the engine's clock.
    pub(crate) fn now(&self) -> Duration {
        (self.clock)().saturating_duration_since(self.epoch)
    }

    /// The instant of the engine's time zero.
    pub(crate) fn epoch(&self) -> Instant {
        self.epoch
    }

    /// The transport's failure, as a fresh `io::Error`, if it failed.
    pub(crate) fn io_failure(&self) -> Option<io::Error> {
        self.io_failure
            .as_ref()
            .map(|(kind, msg)| io::Error::new(*kind, msg.clone()))
    }

    /// `Err` with the transport's failure, if it failed.
    pub(crate) fn check_io(&self) -> Result<(), Error> {
        self.io_failure().map_or(Ok(()), |e| Err(Error::Io(e)))
    }

    /// The error for a failure the engine reported: core's rule
    /// ([`Error::from_failure`]) with the transport's error, if one was kept (taken:
    /// it is reported once).
    pub(crate) fn failure(&mut self, e: crate::Error) -> Error {
        Error::from_failure(e, self.io_error.take())
    }

    /// Whether the driver has something to write, flush or shut down.
    pub(crate) fn wants_write(&self) -> bool {
        self.conn.wants_write()
            || self.unflushed
            || (self.conn.should_shutdown() && !self.write_shut)
    }

    /// The poll of a drive after every application handle is gone ([`orphaned`](Self::orphaned)):
    /// drops what arrives (taking the close event) and never has anything, so the drive
    /// goes on until the connection is finished. Before that, it takes nothing.
    pub(crate) fn drop_unclaimed(&mut self) -> Option<()> {
        if self.orphaned {
            self.session.advance_to_close(&mut self.conn);
        }
        None
    }

    /// The transport failed: keep the error and tell the engine.
    fn fail_io(&mut self, e: io::Error) {
        self.conn.trace_transport_error(&e);
        if self.io_failure.is_none() {
            self.io_failure = Some((e.kind(), e.to_string()));
            self.io_error = Some(e);
        }
        let now = self.now();
        self.conn.handle_transport_error(now);
    }
}

/// A connection shared by a reader and writers: the engine, and the transport once
/// there is one (the browser face creates the engine before it connects).
pub(crate) struct Shared<S> {
    state: Mutex<State>,
    /// Signalled whenever the engine's state may have changed.
    pub(crate) changed: Signal,
    /// The transport; the reader's handle, and the writer's unless `writer` is set.
    stream: OnceLock<Mutex<S>>,
    /// A second handle for writing (`Transport::try_clone_handle`).
    writer: OnceLock<Mutex<S>>,
}

impl<S: Transport> Shared<S> {
    /// An engine with no transport yet, created now on `clock`.
    pub(crate) fn new(conn: Connection, clock: fn() -> Instant) -> Self {
        Shared {
            state: Mutex::new(State {
                conn,
                session: Session::new(),
                epoch: clock(),
                clock,
                io_error: None,
                io_failure: None,
                write_shut: false,
                writing: false,
                unflushed: false,
                waiting_writers: 0,
                reads: 0,
                close_timeout: None,
                burst: false,
                kept: false,
                orphaned: false,
            }),
            changed: Signal::new(),
            stream: OnceLock::new(),
            writer: OnceLock::new(),
        }
    }

    /// An engine with its transport.
    pub(crate) fn with_stream(conn: Connection, clock: fn() -> Instant, stream: S) -> Self {
        let shared = Self::new(conn, clock);
        shared.attach(stream);
        shared
    }

    /// Give the engine its transport (once; later calls drop `stream`).
    pub(crate) fn attach(&self, mut stream: S) {
        // Best effort: without write timeouts a blocked writer holds the lock longer.
        let _ = stream.set_write_timeout(Some(WRITE_SLICE));
        if let Some(addr) = stream.peer_addr() {
            // The `tracing` feature's span records it; a no-op without.
            self.lock().conn.set_peer_addr(addr);
        }
        let _ = self.stream.set(Mutex::new(stream));
        // Waiters check for the transport under the engine's lock: passing through it
        // orders their check before this notify (see `Signal`).
        drop(self.lock());
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

    /// The transport (the reader's handle), once attached.
    pub(crate) fn stream(&self) -> Option<&Mutex<S>> {
        self.stream.get()
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
        // A reader that left the writing to us may read again.
        self.changed.notify_all();
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
            let pending = st.conn.wants_write();
            let shutdown = !pending && st.conn.should_shutdown() && !st.write_shut;
            if !pending && !shutdown && !st.unflushed {
                return st;
            }
            if pending && st.writing {
                // Another thread is writing the queue (without the lock): it writes
                // what was queued meanwhile too.
                if !wait {
                    return st;
                }
                st = self
                    .changed
                    .wait_timeout(st, Duration::from_millis(1))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
                continue;
            }
            let result = if pending {
                // Written without the engine's lock, so the reader keeps draining the
                // socket (and the peer, waiting for that, keeps reading ours) while
                // this write blocks.
                let (written, back) = self.write_unlocked(st, handle);
                st = back;
                written
            } else {
                self.flush_or_shutdown(&mut st, handle)
            };
            match result {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_timeout(&e) => {
                    if !wait {
                        return st;
                    }
                    // The engine's timers bound the wait (the close timeout after our
                    // Close, the write-stall timeout): fire the ones that are due.
                    let now = st.now();
                    if st.conn.poll_timeout().is_some_and(|d| d <= now) {
                        st.conn.handle_timeout(now);
                        self.changed.notify_all();
                        continue;
                    }
                    // Let the reader in (it may be draining the peer's data, which is
                    // what the peer waits for before it reads ours).
                    st = self
                        .changed
                        .wait_timeout(st, Duration::from_millis(1))
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                Err(e) => {
                    st.fail_io(e);
                    self.changed.notify_all();
                    return st;
                }
            }
        }
    }

    /// Writes the front of the engine's queue with the lock released (one vectored
    /// write of shared handles to the queued bytes: no copy), then takes the lock again
    /// and advances the queue by what the transport took. `State::writing` keeps any
    /// other thread from writing the same bytes meanwhile.
    fn write_unlocked<'a>(
        &'a self,
        mut st: MutexGuard<'a, State>,
        handle: &Mutex<S>,
    ) -> (io::Result<()>, MutexGuard<'a, State>) {
        let mut segments = Vec::new();
        st.conn.poll_transmit_owned(&mut segments);
        segments.truncate(MAX_WRITE_SLICES);
        st.writing = true;
        drop(st);
        let iov: Vec<io::IoSlice<'_>> = segments.iter().map(|b| io::IoSlice::new(b)).collect();
        let result = lock(handle).write_vectored(&iov);
        let mut st = self.lock();
        st.writing = false;
        self.changed.notify_all();
        let result = match result {
            Ok(0) => Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                st.conn.advance_transmit(n);
                st.unflushed = true;
                Ok(())
            }
            Err(e) => Err(e),
        };
        (result, st)
    }

    /// Flushes what a TLS layer holds, or shuts the write side down once.
    fn flush_or_shutdown(&self, st: &mut State, handle: &Mutex<S>) -> io::Result<()> {
        let mut io = lock(handle);
        if st.unflushed {
            // A TLS layer's unwritten records count for the write-stall timer.
            let flushed = io.flush().map(|()| st.unflushed = false);
            let held = st.unflushed;
            st.conn.set_transport_backlog(held);
            flushed
        } else {
            // A transport that is already gone has nothing left to shut down.
            let _ = io.shutdown_write();
            st.write_shut = true;
            Ok(())
        }
    }

    /// Drive the connection until `poll` (called with the engine's lock held, between
    /// I/O calls) has something, and return it; `None` once the connection is finished
    /// and `poll` has nothing more.
    ///
    /// What is queued is written before any wait and before returning, except when
    /// `batch` (the receive of a connection driven from one thread) and more received
    /// input already waits: then the writing is left to the next call, and
    /// [`State::burst`] lets one send join it.
    ///
    /// Only one thread may call this at a time (the holder of the connection's
    /// `Reader`: the receiver, or a sender's `close` while nobody receives).
    pub(crate) fn drive<T>(
        &self,
        rd: &mut Reader,
        batch: bool,
        mut poll: impl FnMut(&mut State) -> Option<T>,
    ) -> Option<T> {
        let mut st = self.lock();
        loop {
            if let Some(out) = poll(&mut st) {
                st.burst = batch
                    && !rd.split
                    && st.conn.ready_state() == ReadyState::Open
                    && !st.conn.wants_read()
                    && st.conn.has_send_room();
                // A waiting writer on another thread writes it all anyway.
                if !st.burst && st.wants_write() && st.waiting_writers == 0 {
                    drop(self.flush(st, false));
                } else {
                    drop(st);
                }
                self.changed.notify_all();
                return Some(out);
            }
            // Write before waiting (pongs, close echoes, batched sends).
            if st.wants_write() && st.waiting_writers == 0 {
                st = self.flush(st, false);
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
            let mut timeout = deadline.map(|d| d.saturating_sub(now));
            if let Some(cap) = rd.cap(self.writer.get().is_some()) {
                timeout = Some(timeout.map_or(cap, |t| t.min(cap)));
            }
            if !rd.idle {
                timeout = Some(timeout.map_or(IDLE_AFTER, |t| t.min(IDLE_AFTER)));
            }
            let timeout = timeout.map(|t| t.max(Duration::from_millis(1)));
            // One handle for both directions (TLS): a writer that released the engine's
            // lock to take the handle (`writing`) gets it before the next read. Left to
            // the mutex, the reader, which takes the handle again right after each
            // read, could keep the writer out for seconds; the writer signals `changed`
            // when its write is done.
            let writer_waits = st.writing && self.writer.get().is_none();
            let stream = match self.stream.get() {
                Some(s) if st.conn.wants_read() && !writer_waits => s,
                // The engine waits for its send queue to drain: the write at the top of
                // the loop is paced by the transport's write timeout (unless another
                // thread is writing: then wait for it below, not spin).
                Some(_) if st.conn.wants_write() && st.waiting_writers == 0 && !st.writing => {
                    continue
                }
                // No transport yet, nothing to read now, or the writer's turn: wait for
                // time or a change.
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
            if rd.idle {
                // Wait for input without holding a buffer, then look at the engine again.
                drop(st);
                let waited = rd.wait_readable(&mut *lock(stream), timeout);
                st = self.lock();
                match waited {
                    Ok(()) => rd.idle = false,
                    Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        st.fail_io(e);
                        self.changed.notify_all();
                    }
                }
                continue;
            }
            let mut buf = st.conn.take_receive_buffer();
            drop(st);
            let result = rd.read(&mut *lock(stream), timeout, &mut buf);
            st = self.lock();
            let now = st.now();
            match result {
                Ok(0) => st.conn.handle_eof(now),
                Ok(_) => st.conn.handle_received_owned(now, buf),
                // Nothing to read now: the connection is idle (the driver contract).
                Err(e) if is_timeout(&e) => {
                    st.conn.release_idle_memory();
                    rd.idle = true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => st.fail_io(e),
            }
            self.changed.notify_all();
        }
    }

    /// For a connection its keeper drives: waits until `poll` (called with the engine's
    /// lock held) has something, and returns it (`Some(None)` once the connection is
    /// finished and `poll` has nothing more). `None` if no keeper drives the connection:
    /// the caller drives it ([`drive`](Self::drive)).
    pub(crate) fn wait_kept<T>(
        &self,
        poll: &mut impl FnMut(&mut State) -> Option<T>,
    ) -> Option<Option<T>> {
        let mut st = self.lock();
        loop {
            if !st.kept {
                return None;
            }
            if let Some(out) = poll(&mut st) {
                drop(st);
                // Taking events may let the keeper read again.
                self.changed.notify_all();
                return Some(Some(out));
            }
            if st.conn.is_finished() {
                return Some(None);
            }
            if st.conn.wants_read() {
                // `poll` may have processed input the keeper had left (a code point
                // cut by a read, say) and found it needs more: the keeper, which
                // waits while input is held, may read now.
                self.changed.notify_all();
            }
            st = self
                .changed
                .wait(st)
                .unwrap_or_else(PoisonError::into_inner);
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

/// The reader's side: how long it may block.
pub(crate) struct Reader {
    /// Cap on read timeouts (see [`SPLIT_READ_CAP`], [`SHARED_READ_CAP`]); `None`
    /// while nobody else can change the engine's timers.
    split: bool,
    /// The read timeout last set on the transport (to skip redundant syscalls).
    last_timeout: Option<Option<Duration>>,
    /// The last read timed out: wait for input before taking a buffer.
    idle: bool,
}

impl Reader {
    /// A reader for a connection used from one thread.
    pub(crate) fn new() -> Self {
        Reader {
            split: false,
            last_timeout: None,
            idle: false,
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

    /// One read into `buf`'s spare room (it holds what was read afterwards).
    fn read<S: Transport + ?Sized>(
        &mut self,
        io: &mut S,
        timeout: Option<Duration>,
        buf: &mut BytesMut,
    ) -> io::Result<usize> {
        self.set_timeout(io, timeout)?;
        buf.resize(buf.capacity().min(READ_MAX), 0);
        let n = io.read(buf);
        buf.truncate(*n.as_ref().unwrap_or(&0));
        n
    }

    /// Blocks until `io` has input (or end of stream), within `timeout`.
    fn wait_readable<S: Transport + ?Sized>(
        &mut self,
        io: &mut S,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        self.set_timeout(io, timeout)?;
        io.wait_readable()
    }

    fn set_timeout<S: Transport + ?Sized>(
        &mut self,
        io: &mut S,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        if self.last_timeout != Some(timeout) {
            io.set_read_timeout(timeout)?;
            self.last_timeout = Some(timeout);
        }
        Ok(())
    }
}
