//! The driver: the only code that touches the transport. It owns the transport and
//! carries out what the engine asks for, in one of two places:
//!
//! * *inline*, inside the calls of an unsplit [`WebSocketStream`](super::WebSocketStream)
//!   (kept in the shared state; each call drives it with the caller's waker), so a
//!   message goes from the socket to the application and back without a hop between
//!   tasks;
//! * in a *task* of its own (spawned with [`Runtime::spawn`](super::Runtime::spawn)):
//!   for the browser face, for split halves, and to finish the closing handshake once
//!   the last handle is dropped.
//!
//! Each time it is polled (readable or writable transport, a timer, a command from a
//! handle) it loops until nothing more can be done without waiting:
//!
//! 1. while [`Connection::wants_write`], write what [`Connection::poll_transmit`] offers
//!    with one vectored write (up to 32 slices), report it with
//!    [`Connection::advance_transmit`], then flush (TLS);
//! 2. once [`Connection::should_shutdown`], shut the write side down (TCP FIN, TLS
//!    `close_notify`), once;
//! 3. leave the events to the application, waking it (the engine holds input back
//!    until its events are taken);
//! 4. stop when [`Connection::is_finished`] (dropping the transport);
//! 5. while [`Connection::wants_read`] (false while events wait for the application,
//!    or while the peer leaves our send queue full), read straight into
//!    [`Connection::receive_buffer`] and call [`Connection::handle_received`]; 0 bytes
//!    is [`Connection::handle_eof`], an I/O error
//!    [`Connection::handle_transport_error`] (the engine reports 1006; the error is
//!    kept for [`Error::from_failure`]);
//! 6. sleep until [`Connection::poll_timeout`], then [`Connection::handle_timeout`].
//!
//! When every handle is gone, [`BrowserSocket::last_handle_dropped`] says what happens
//! to the connection (1001 if open).
//!
//! Time is the [`Duration`] since the `Instant` at which the connection was created,
//! so the handshake deadline also covers DNS, TCP and TLS setup.

use alloc::boxed::Box;
use core::future::{poll_fn, Future};
use core::pin::{pin, Pin};
use core::task::{Context, Poll};
use core::time::Duration;
use std::io;
use std::time::Instant;

use super::shared::{Shared, State};
use super::{Runtime, Timer, Transport};
use crate::browser::BrowserSocket;
#[cfg(doc)]
use crate::session::Error;
#[cfg(doc)]
use crate::Connection;

/// Rounds of work (across drives, inline or in a task) without the transport blocking
/// before the driver yields to other tasks: a peer that floods cannot hold a thread of
/// the executor, even from inside one application call that skips what it receives
/// (pings, for `recv`).
const BUDGET: usize = 64;
/// A read that returns less than this, and less than it asked for, probably drained
/// the socket (see [`Transport::poll_read_ready`]); a larger one says little, and a
/// failed read after it costs little beside the bytes.
const SMALL_READ: usize = 16 << 10;

/// The transport side of a connection, wherever it is polled from: a task
/// ([`DriverTask`]) or a handle's own calls ([`State::drive`]).
pub(crate) trait Drive: Send {
    /// Loops until nothing more can be done without waiting (see the [module docs](self)),
    /// registering `cx` with the transport and the timer for what it waits on. `Ready`
    /// once the connection is finished (the transport may then be dropped).
    fn drive(&mut self, st: &mut State, cx: &mut Context<'_>) -> Poll<()>;
    /// Writes what is queued and shuts down if due, and nothing else (after a command,
    /// so a send goes out at once without a read being tried). `Ready` as for `drive`.
    fn write(&mut self, st: &mut State, cx: &mut Context<'_>) -> Poll<()>;
    /// Goes on in a task of its own, on the runtime the connection opened in.
    fn into_task(self: Box<Self>, shared: Shared);
    /// Whether the engine wants a read or a write that the last drive is not waiting
    /// on (its transport has no waker for it): events taken since can cause that.
    /// `false` after a drive that ran out of budget (its task is woken to go on).
    fn has_work(&self, st: &State) -> bool;
}

/// Drives `shared`'s connection over `stream` in the current task until the connection
/// is finished.
pub(crate) async fn run<R: Runtime, T: Transport>(shared: Shared, stream: T) {
    let driver = Box::new(Driver::<R, T>::new(&shared, stream));
    DriverTask { shared, driver }.await
}

/// Makes `stream` the transport of `shared`'s connection, driven inline by the calls of
/// its handles until it is handed to a task ([`State::take_inline`]).
pub(crate) fn install_inline<R: Runtime, T: Transport>(shared: &Shared, stream: T) {
    let driver = Driver::<R, T>::new(shared, stream);
    shared.lock().set_inline(Box::new(driver));
}

/// [`establish_within`]: the transport, then drives the connection over it in this task.
pub(crate) async fn establish_then_run<R, T, F>(shared: Shared, establish: F)
where
    R: Runtime,
    T: Transport,
    F: Future<Output = io::Result<T>>,
{
    if let Some(stream) = establish_within::<R, T, F>(&shared, establish).await {
        run::<R, T>(shared, stream).await;
    }
}

/// Sets the transport up with `establish` (DNS, TCP, TLS), bounded by the engine's
/// handshake deadline and cancelled if the connection is closed or abandoned meanwhile.
/// `None` if it did not come up: the engine then reports the failure as an error and a
/// close with 1006 (the error itself is kept for [`Error::from_failure`]) and the
/// connection is finished.
pub(crate) async fn establish_within<R, T, F>(shared: &Shared, establish: F) -> Option<T>
where
    R: Runtime,
    T: Transport,
    F: Future<Output = io::Result<T>>,
{
    let deadline = {
        let st = shared.lock();
        st.conn.poll_timeout().map(|d| (st.epoch + d, d))
    };
    let mut timer = R::timer();
    let mut establish = pin!(establish);
    let outcome = poll_fn(|cx| {
        if let Poll::Ready(r) = establish.as_mut().poll(cx) {
            return Poll::Ready(Some(Some(r)));
        }
        if let Some((at, _)) = deadline {
            if timer.poll_until(cx, at).is_ready() {
                return Poll::Ready(Some(None));
            }
        }
        let mut st = shared.lock();
        if st.conn.is_finished() || st.handles == 0 {
            return Poll::Ready(None);
        }
        st.register_driver(cx);
        Poll::Pending
    })
    .await;
    match outcome {
        None => finish_early(shared, None),
        Some(Some(Ok(stream))) => return Some(stream),
        Some(Some(Err(e))) => finish_early(shared, Some(e)),
        Some(None) => {
            let mut st = shared.lock();
            let now = st.now().max(deadline.map_or(Duration::ZERO, |(_, d)| d));
            st.conn.handle_timeout(now);
            st.input_fed();
            drop(st);
            finish_early(shared, None);
        }
    }
    None
}

/// The transport never came up: end the connection (failing it if it is still alive)
/// and wake everyone.
fn finish_early(shared: &Shared, error: Option<io::Error>) {
    let mut st = shared.lock();
    let now = st.now();
    if !st.conn.is_finished() {
        if st.handles == 0 {
            st.conn.abort();
        } else {
            if st.transport_error.is_none() {
                st.transport_error = error;
            }
            st.conn.handle_transport_error(now);
        }
        st.input_fed();
    }
    finished(&mut st);
}

/// The driver is done: publish the last events and wake every waiter.
fn finished(st: &mut State) {
    if st.handles == 0 {
        st.discard_events();
    }
    st.driver_done = true;
    st.wake_reader();
    st.wake_writer();
}

/// The driver in a task of its own: see the [module docs](self).
struct DriverTask<D: ?Sized> {
    shared: Shared,
    driver: Box<D>,
}

impl<D: Drive + ?Sized> Future for DriverTask<D> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let mut st = this.shared.lock();
        st.register_driver(cx);
        this.driver.drive(&mut st, cx)
    }
}

/// The transport and what the driver keeps beside the engine.
struct Driver<R: Runtime, T> {
    stream: T,
    /// Where [`Drive::into_task`] spawns.
    spawner: R::Spawner,
    timer: R::Timer,
    need_flush: bool,
    shutdown_done: bool,
    /// The last read returned `Pending`: the transport will wake the driver.
    read_armed: bool,
    /// The last read returned less than [`SMALL_READ`] and less than it asked for: the
    /// next one first asks [`Transport::poll_read_ready`].
    drained: bool,
    /// The last write returned `Pending`: the transport will wake the driver.
    write_armed: bool,
    /// The timer has been armed since it was last replaced by an unarmed one.
    timer_armed: bool,
    /// Rounds since a read last blocked (see [`BUDGET`]).
    rounds: usize,
    /// The last drive ran out of [`BUDGET`] (and woke its task to go on later).
    yielded: bool,
}

impl<R: Runtime, T: Transport> Driver<R, T> {
    fn new(shared: &Shared, stream: T) -> Self {
        if let Some(addr) = stream.peer_addr() {
            // The `tracing` feature's span records it; a no-op without.
            shared.lock().conn.set_peer_addr(addr);
        }
        Driver {
            stream,
            spawner: R::spawner(),
            timer: R::timer(),
            need_flush: false,
            shutdown_done: false,
            read_armed: false,
            drained: false,
            write_armed: false,
            timer_armed: false,
            rounds: 0,
            yielded: false,
        }
    }

    /// A transport error: the engine reports it (1006) and is finished afterwards, so
    /// nothing more is read or written; the error is kept for [`Error::from_failure`].
    fn transport_failed(&mut self, st: &mut State, e: io::Error) {
        st.conn.trace_transport_error(&e);
        if st.transport_error.is_none() && !st.conn.is_finished() {
            st.transport_error = Some(e);
        }
        let now = st.now();
        st.conn.handle_transport_error(now);
        st.input_fed();
    }

    /// Writes what the engine offers; returns whether anything happened.
    fn poll_write(&mut self, st: &mut State, cx: &mut Context<'_>) -> bool {
        if self.shutdown_done || st.conn.is_finished() {
            return false;
        }
        let mut progressed = false;
        self.write_armed = false;
        while st.conn.wants_write() {
            let stream = &mut self.stream;
            let Some(result) = st
                .conn
                .with_transmit(|iov| stream.poll_write_vectored(cx, iov))
            else {
                break;
            };
            match result {
                Poll::Ready(Ok(0)) => {
                    self.transport_failed(st, io::ErrorKind::WriteZero.into());
                    return true;
                }
                Poll::Ready(Ok(n)) => {
                    st.conn.advance_transmit(n);
                    self.need_flush = true;
                    progressed = true;
                }
                Poll::Ready(Err(e)) => {
                    self.transport_failed(st, e);
                    return true;
                }
                Poll::Pending => {
                    self.write_armed = true;
                    break;
                }
            }
        }
        if progressed && st.conn.has_send_room() {
            st.wake_writer();
        }
        if self.need_flush {
            match self.stream.poll_flush(cx) {
                Poll::Ready(Ok(())) => self.need_flush = false,
                Poll::Ready(Err(e)) => {
                    self.transport_failed(st, e);
                    return true;
                }
                Poll::Pending => {}
            }
            // A TLS layer's unwritten records count for the write-stall timer.
            st.conn.set_transport_backlog(self.need_flush);
        }
        progressed
    }

    /// Shuts the write side down once the engine asks for it.
    fn poll_shutdown(&mut self, st: &mut State, cx: &mut Context<'_>) -> bool {
        if self.shutdown_done
            || self.need_flush
            || st.conn.is_finished()
            || !st.conn.should_shutdown()
        {
            return false;
        }
        match self.stream.poll_shutdown(cx) {
            // A failed shutdown changes nothing: keep reading until the end of stream.
            Poll::Ready(_) => {
                self.shutdown_done = true;
                true
            }
            Poll::Pending => false,
        }
    }

    /// Reads into the engine; returns whether anything happened.
    fn poll_read(&mut self, st: &mut State, cx: &mut Context<'_>) -> bool {
        if !st.conn.wants_read() {
            return false;
        }
        if self.drained {
            match self.stream.poll_read_ready(cx) {
                Poll::Ready(Ok(())) => self.drained = false,
                // The read below reports a failure (or waits).
                Poll::Ready(Err(_)) => self.drained = false,
                Poll::Pending => {
                    self.read_armed = true;
                    st.conn.release_idle_memory();
                    return false;
                }
            }
        }
        let buf = st.conn.receive_buffer();
        let asked = buf.capacity() - buf.len();
        let result = self.stream.poll_read_buf(cx, buf);
        self.read_armed = result.is_pending();
        let now = st.now();
        match result {
            Poll::Ready(Ok(0)) => st.conn.handle_eof(now),
            Poll::Ready(Ok(n)) => {
                self.drained = n < asked && n < SMALL_READ;
                st.conn.handle_received(now);
            }
            Poll::Ready(Err(e)) => self.transport_failed(st, e),
            Poll::Pending => {
                st.conn.release_idle_memory();
                return false;
            }
        }
        st.input_fed();
        true
    }

    /// Fires the engine's timers; returns whether one fired.
    fn poll_timer(&mut self, st: &mut State, cx: &mut Context<'_>) -> bool {
        let Some(deadline) = st.conn.poll_timeout() else {
            if self.timer_armed {
                // Nothing to wait for: an idle connection keeps no timer entry.
                self.timer = R::timer();
                self.timer_armed = false;
            }
            return false;
        };
        self.timer_armed = true;
        let at: Instant = st.epoch + deadline;
        if self.timer.poll_until(cx, at).is_pending() {
            return false;
        }
        let now = st.now().max(deadline);
        st.conn.handle_timeout(now);
        st.input_fed();
        true
    }
}

impl<R: Runtime, T: Transport> Drive for Driver<R, T> {
    fn drive(&mut self, st: &mut State, cx: &mut Context<'_>) -> Poll<()> {
        self.yielded = false;
        while self.rounds < BUDGET {
            self.rounds += 1;
            if st.handles == 0 {
                // Nobody is left to use the connection: close it politely.
                let now = st.now();
                BrowserSocket::last_handle_dropped(&mut st.conn, now);
            }
            let mut progressed = self.poll_write(st, cx);
            progressed |= self.poll_shutdown(st, cx);
            if st.handles == 0 {
                st.discard_events();
            }
            if st.conn.is_finished() {
                finished(st);
                return Poll::Ready(());
            }
            progressed |= self.poll_read(st, cx);
            progressed |= self.poll_timer(st, cx);
            if !progressed {
                if self.read_armed {
                    self.rounds = 0;
                }
                return Poll::Pending;
            }
        }
        // Out of budget: let other tasks run, then continue.
        self.rounds = 0;
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    fn has_work(&self, st: &State) -> bool {
        if self.yielded || self.shutdown_done || st.conn.is_finished() {
            return false;
        }
        (st.conn.wants_read() && !self.read_armed) || (st.conn.wants_write() && !self.write_armed)
    }

    fn into_task(self: Box<Self>, shared: Shared) {
        let spawner = self.spawner.clone();
        R::spawn_with(
            &spawner,
            DriverTask {
                shared,
                driver: self,
            },
        );
    }

    fn write(&mut self, st: &mut State, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_write(st, cx);
        self.poll_shutdown(st, cx);
        if st.conn.is_finished() {
            finished(st);
            return Poll::Ready(());
        }
        Poll::Pending
    }
}
