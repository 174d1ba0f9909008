//! The state a connection's handles share with its driver task.
//!
//! There is one source of truth: the core [`Connection`], behind a `std::sync::Mutex`
//! that is only ever held for non-blocking work (never across an `.await`, never while
//! an application callback runs). Tasks wake each other with wakers registered under
//! the same lock, so no wake-up can be lost between checking a condition and waiting.

use std::boxed::Box;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use std::time::Instant;

use crate::browser::BrowserSocket;
use crate::dom::{BrowserEvent, ReadyState};
use crate::facts::Opened;
use crate::session::{Error, Opening, Received, Session, StreamChunk, StreamStart};
use crate::{CloseEvent, Connection};

use super::driver::Drive;
use super::Transport;

pub(crate) use crate::facts::Facts;

impl Facts {
    /// Asks `transport`.
    pub(crate) fn of<T: Transport + ?Sized>(transport: &T) -> Facts {
        Facts {
            peer_addr: transport.peer_addr(),
            local_addr: transport.local_addr(),
            #[cfg(feature = "rustls")]
            tls: transport.tls_info().map(Box::new),
        }
    }
}

/// A driver run inline.
pub(crate) struct InlineDriver {
    driver: Box<dyn Drive>,
}

impl core::fmt::Debug for InlineDriver {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("InlineDriver")
    }
}

/// Replies an inline driver leaves queued while received events wait (see
/// [`State::queued`]).
const BATCH_MAX: usize = 64 << 10;

/// Everything behind the lock.
#[derive(Debug)]
pub(crate) struct State {
    /// The engine: readyState, bufferedAmount, protocol... all come from here.
    pub(crate) conn: Connection,
    /// Time zero for the engine (the connection's creation).
    pub(crate) epoch: Instant,
    /// The runtime's clock.
    pub(crate) clock: fn() -> Instant,
    /// What the idiomatic API keeps beside the engine (websock-core's session): the
    /// failure reported once, the close event, a `Sink`'s parked message.
    pub(crate) session: Session,
    /// The transport's error that ended the connection, for
    /// [`Error::from_failure`]; the engine itself only saw a transport failure.
    pub(crate) transport_error: Option<io::Error>,
    /// The driver task has stopped (the transport is dropped).
    pub(crate) driver_done: bool,
    /// The transport's addresses and TLS facts, from when it is set up until the
    /// handles take them (boxed: a word for the connection's life).
    pub(crate) facts: Option<Box<Facts>>,
    /// Live application handles; at zero the driver closes the connection itself.
    pub(crate) handles: u32,
    /// The driver while it runs inline, in the handles' own calls (an unsplit
    /// stream); `None` once it runs in a task (or is finished).
    inline: Option<InlineDriver>,
    driver_waker: Option<Waker>,
    reader_waker: Option<Waker>,
    /// Every task waiting to send, flush or close: the sender half is `Clone`, so
    /// several may wait at once, and each must be woken.
    writer_wakers: Wakers,
}

impl State {
    /// The engine's notion of now: time since the epoch.
    pub(crate) fn now(&self) -> Duration {
        (self.clock)().saturating_duration_since(self.epoch)
    }

    /// The application took engine events: the engine processes held-back input as
    /// events are taken (so an answer to a message goes out before later frames are
    /// acted on). Wakes the driver when there is something to write or it may read
    /// again ([`Connection::wants_read`] is false while events wait), and a sender
    /// waiting for the close once the connection is closed.
    fn events_taken(&mut self) {
        if self.is_inline() {
            // The caller drives again before it waits ([`drive_to_wait`](Self::drive_to_wait)).
            return;
        }
        let closed = self.conn.ready_state() == ReadyState::Closed;
        if closed || self.conn.wants_write() || self.conn.wants_read() {
            self.wake_driver();
        }
        if closed {
            self.wake_writer();
        }
    }

    /// The handshake's outcome for a waiting caller ([`Session::open`]).
    pub(crate) fn open(&mut self) -> Option<Opening> {
        let opening = self.session.open(&mut self.conn);
        self.events_taken();
        opening
    }

    /// The next message, ping, pong, failure or end for the receiver
    /// ([`Session::poll_received`]).
    pub(crate) fn poll_received(&mut self) -> Option<Received> {
        let received = self.session.poll_received(&mut self.conn);
        self.events_taken();
        received
    }

    /// A streamed receive's next message ([`Session::poll_stream_start`]).
    pub(crate) fn poll_stream_start(&mut self) -> Option<StreamStart> {
        let start = self.session.poll_stream_start(&mut self.conn);
        self.events_taken();
        start
    }

    /// The next piece of a streamed message ([`Session::poll_stream_chunk`]).
    pub(crate) fn poll_stream_chunk(&mut self) -> Option<StreamChunk> {
        let chunk = self.session.poll_stream_chunk(&mut self.conn);
        self.events_taken();
        chunk
    }

    /// Takes events until the close event ([`Session::advance_to_close`]); returns it
    /// once the connection is closed.
    pub(crate) fn advance_to_close(&mut self) -> Option<CloseEvent> {
        let close = self.session.advance_to_close(&mut self.conn);
        self.events_taken();
        close
    }

    /// The engine's next event shaped as the browser's by `socket`
    /// ([`BrowserSocket::next_event`]).
    pub(crate) fn next_browser_event(&mut self, socket: &BrowserSocket) -> Option<BrowserEvent> {
        let event = socket.next_event(&mut self.conn);
        self.events_taken();
        event
    }

    /// The close event, if the connection is closed (taking the events before it if
    /// the receiver has not reached it yet).
    pub(crate) fn closed_event(&mut self) -> Option<CloseEvent> {
        if self.session.close_event().is_none() && self.conn.ready_state() == ReadyState::Closed {
            self.advance_to_close();
        }
        self.session.close_event().cloned()
    }

    /// The error for a failure the engine reported: core's rule, given the transport
    /// error the driver kept (taken: it is reported once).
    pub(crate) fn failure(&mut self, e: crate::Error) -> Error {
        Error::from_failure(e, self.transport_error.take())
    }

    /// The driver fed input or time to the engine: events may be waiting.
    pub(crate) fn input_fed(&mut self) {
        self.wake_reader();
        self.wake_writer();
    }

    /// Drops every pending event (nobody is left to take them). Called by the driver,
    /// which needs no wake-up for it.
    pub(crate) fn discard_events(&mut self) {
        self.session.advance_to_close(&mut self.conn);
    }

    /// Makes `driver` run inline, in the handles' calls, until
    /// [`take_inline`](Self::take_inline) moves it to a task.
    pub(crate) fn set_inline(&mut self, driver: Box<dyn Drive>) {
        self.inline = Some(InlineDriver { driver });
    }

    /// Moves an inline driver to a task of its own (for split halves, or to finish
    /// the connection once its last handle is gone); `shared` is this state's. A
    /// driver whose connection is finished is dropped instead (with the transport).
    pub(crate) fn take_inline(&mut self, shared: &Shared) {
        if let Some(InlineDriver { driver }) = self.inline.take() {
            if !self.conn.is_finished() {
                driver.into_task(shared.clone());
            }
        }
    }

    /// Whether the driver runs inline: the handles then drive it in their own calls
    /// and register no wakers of their own (the transport and the timer hold theirs).
    pub(crate) fn is_inline(&self) -> bool {
        self.inline.is_some()
    }

    /// Runs an inline driver with `cx` until it would wait (reading, writing, timers);
    /// nothing if the driver runs in a task. Call before checking for what a call waits
    /// on: a `Pending` after this is woken by the transport or the timer.
    pub(crate) fn drive(&mut self, cx: &mut Context<'_>) {
        if let Some(mut inline) = self.inline.take() {
            if inline.driver.drive(self, cx).is_pending() {
                self.inline = Some(inline);
            }
        }
    }

    /// For a call that found nothing to return: whether to check again. An inline
    /// driver is driven with `cx` first (`drove` records that this call did), and
    /// again while taking events left it work it is not waiting on (they may let the
    /// engine read again, or give it something to write); `false` once every wait is
    /// registered (or there is no inline driver).
    ///
    /// A call checks before it drives, so a message already received is returned
    /// without any I/O, and replies queued meanwhile go out together in the drive of
    /// the call that finds nothing ([`queued`](Self::queued)).
    pub(crate) fn drive_to_wait(&mut self, cx: &mut Context<'_>, drove: &mut bool) -> bool {
        let Some(inline) = &self.inline else {
            return false;
        };
        if *drove && !inline.driver.has_work(self) {
            return false;
        }
        *drove = true;
        self.drive(cx);
        true
    }

    /// For a call that queues into the engine and waits for room: runs `attempt`
    /// (`Pending` when the send queue is full); if it was full and an inline driver
    /// runs, drives it once (which writes what the transport takes) and runs `attempt`
    /// again; still full, registers the writer's waker and returns `Pending`.
    pub(crate) fn poll_room<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut attempt: impl FnMut(&mut State, &mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        if let Poll::Ready(out) = attempt(self, cx) {
            return Poll::Ready(out);
        }
        if self.is_inline() {
            self.drive(cx);
            if let Poll::Ready(out) = attempt(self, cx) {
                return Poll::Ready(out);
            }
        }
        self.register_writer(cx);
        Poll::Pending
    }

    /// A message was queued by a waiting send: an inline driver writes it now, with
    /// `cx`, unless received events still wait for the application, less than
    /// [`BATCH_MAX`] is queued and the send queue has room left (the application is
    /// answering a burst: the call that finds nothing left writes every reply at
    /// once); a driver task is woken.
    pub(crate) fn queued(&mut self, cx: &mut Context<'_>) {
        if self.is_inline()
            && self.conn.events_waiting()
            && self.conn.send_queue_len() < BATCH_MAX
            && self.conn.has_send_room()
        {
            return;
        }
        self.write_queued(cx);
    }

    /// A message was queued by `feed`: an inline driver leaves it queued (for a later
    /// `flush`, send or waiting call) while at most [`BATCH_MAX`] is queued, and
    /// otherwise writes what the transport takes now, with `cx`; a driver task is
    /// woken (it writes whatever is queued).
    pub(crate) fn fed(&mut self, cx: &mut Context<'_>) {
        if self.is_inline() && self.conn.send_queue_len() <= BATCH_MAX {
            return;
        }
        self.write_queued(cx);
    }

    /// An inline driver writes what is queued now, with `cx`; a driver task is woken.
    fn write_queued(&mut self, cx: &mut Context<'_>) {
        if let Some(mut inline) = self.inline.take() {
            if inline.driver.write(self, cx).is_pending() {
                self.inline = Some(inline);
            }
        } else {
            self.wake_driver();
        }
    }

    /// A command was queued by a call that has no context (`try_send`, `ping`,
    /// `close`, the server's decision, ...): an inline driver writes what the transport
    /// takes now (the rest goes out in the next call that waits, which drives with its
    /// own context); a driver task is woken.
    pub(crate) fn queued_now(&mut self) {
        self.write_queued(&mut Context::from_waker(noop_waker()));
    }

    pub(crate) fn register_driver(&mut self, cx: &Context<'_>) {
        register(&mut self.driver_waker, cx);
    }

    pub(crate) fn register_reader(&mut self, cx: &Context<'_>) {
        if !self.is_inline() {
            register(&mut self.reader_waker, cx);
        }
    }

    /// Registers a waiting sender (a send or `Sink` waiting for room, a flush, a close):
    /// added to the writers woken together by [`wake_writer`](Self::wake_writer).
    pub(crate) fn register_writer(&mut self, cx: &Context<'_>) {
        if !self.is_inline() {
            self.writer_wakers.register(cx.waker());
        }
    }

    /// Tell a driver task there is work.
    pub(crate) fn wake_driver(&mut self) {
        if let Some(w) = self.driver_waker.take() {
            w.wake();
        }
    }

    pub(crate) fn wake_reader(&mut self) {
        if let Some(w) = self.reader_waker.take() {
            w.wake();
        }
    }

    /// Wakes every waiting sender (room, flush or close progress): each checks again
    /// and registers anew if it still waits.
    pub(crate) fn wake_writer(&mut self) {
        self.writer_wakers.wake_all();
    }
}

/// A waker that does nothing, for driving from a call without a context.
fn noop_waker() -> &'static Waker {
    struct Noop;
    impl std::task::Wake for Noop {
        fn wake(self: Arc<Self>) {}
    }
    static NOOP: std::sync::OnceLock<Waker> = std::sync::OnceLock::new();
    NOOP.get_or_init(|| Waker::from(Arc::new(Noop)))
}

/// How many waiting tasks [`Wakers`] remembers before it wakes them all to make
/// room (a spurious wake-up: each re-registers if it still waits).
const MAX_WRITER_WAKERS: usize = 32;

/// The wakers of the tasks waiting for one thing (room to send; the browser face's
/// next event): a small set, bounded.
///
/// A task registers once however often it is polled (deduplicated with
/// [`Waker::will_wake`]), and every registered task is woken at once by
/// [`wake_all`](Self::wake_all), which empties the set but keeps its allocation (no
/// allocation per wait in steady state). Each waiting future registers again whenever
/// it is polled and still waits, so waking them all loses no wake-up. A waker left by
/// a future dropped while waiting (or a clone that moved to another task) is woken
/// once, spuriously, at the next wake. The set is bounded: past
/// [`MAX_WRITER_WAKERS`] distinct tasks, the ones registered are woken first.
#[derive(Debug, Default)]
pub(crate) struct Wakers(Vec<Waker>);

impl Wakers {
    /// Remembers `waker` (once) to be woken by [`wake_all`](Self::wake_all).
    pub(crate) fn register(&mut self, waker: &Waker) {
        if self.0.iter().any(|w| w.will_wake(waker)) {
            return;
        }
        if self.0.len() >= MAX_WRITER_WAKERS {
            self.wake_all();
        }
        self.0.push(waker.clone());
    }

    /// Wakes every registered task and forgets them.
    pub(crate) fn wake_all(&mut self) {
        for w in self.0.drain(..) {
            w.wake();
        }
    }
}

fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(w) if w.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

/// What [`Shared`] points to: the state behind its lock, and what the handshake agreed
/// (in the same allocation: one per connection for both).
#[derive(Debug)]
struct Inner {
    state: Mutex<State>,
    /// Set once, when the connection opens ([`Shared::set_opened`]); read without the
    /// lock.
    opened: OnceLock<Opened>,
}

/// A cheaply clonable reference to the shared state.
#[derive(Debug, Clone)]
pub(crate) struct Shared(Arc<Inner>);

impl Shared {
    /// Wraps a fresh connection created now, by `clock`.
    pub(crate) fn new(conn: Connection, clock: fn() -> Instant) -> Shared {
        let state = Mutex::new(State {
            conn,
            epoch: clock(),
            clock,
            session: Session::new(),
            transport_error: None,
            driver_done: false,
            facts: None,
            handles: 0,
            inline: None,
            driver_waker: None,
            reader_waker: None,
            writer_wakers: Wakers::default(),
        });
        Shared(Arc::new(Inner {
            state,
            opened: OnceLock::new(),
        }))
    }

    /// What the handshake agreed and the transport's facts, as
    /// [`set_opened`](Self::set_opened) kept them (empty before).
    pub(crate) fn opened(&self) -> &Opened {
        self.0.opened.get_or_init(Opened::default)
    }

    /// Keeps what the handshake agreed for [`opened`](Self::opened); a second call
    /// changes nothing.
    pub(crate) fn set_opened(&self, opened: Opened) {
        let _ = self.0.opened.set(opened);
    }

    /// Locks the state. The lock is never held across an await or a callback, and a
    /// panic while holding it cannot leave the engine half-updated in a way that matters
    /// more than stopping, so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One application handle: counts itself in [`State::handles`] so the driver can tell
/// when nobody is left to use the connection.
#[derive(Debug)]
pub(crate) struct Handle {
    pub(crate) shared: Shared,
}

impl Clone for Handle {
    /// Another handle on the same connection, counted in [`State::handles`].
    fn clone(&self) -> Handle {
        Handle::new(&self.shared)
    }
}

impl Handle {
    pub(crate) fn new(shared: &Shared) -> Handle {
        shared.lock().handles += 1;
        Handle {
            shared: shared.clone(),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }

    /// What the handshake agreed and the transport's facts ([`Shared::opened`]).
    pub(crate) fn opened(&self) -> &Opened {
        self.shared.opened()
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        let mut st = self.shared.lock();
        st.handles -= 1;
        if st.handles == 0 {
            // The driver (in a task, or moved to one now) closes an open connection
            // with 1001 and finishes it.
            st.take_inline(&self.shared);
            st.wake_driver();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::vec::Vec;

    /// A waker counting its wake-ups.
    struct Count(AtomicUsize);

    impl std::task::Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    fn counted(n: usize) -> (Vec<Arc<Count>>, Vec<Waker>) {
        let counts: Vec<Arc<Count>> = (0..n)
            .map(|_| Arc::new(Count(AtomicUsize::new(0))))
            .collect();
        let wakers = counts.iter().map(|c| Waker::from(c.clone())).collect();
        (counts, wakers)
    }

    fn woken(counts: &[Arc<Count>]) -> Vec<usize> {
        counts.iter().map(|c| c.0.load(SeqCst)).collect()
    }

    #[test]
    fn writer_wakers_are_deduplicated_and_all_woken() {
        let (counts, wakers) = counted(3);
        let mut set = Wakers::default();
        set.register(&wakers[0]);
        set.register(&wakers[0].clone());
        set.register(&wakers[1]);
        assert_eq!(set.0.len(), 2, "one entry per task");
        set.wake_all();
        assert_eq!(woken(&counts), [1, 1, 0]);
        assert!(set.0.is_empty());
        // Registering again reuses the allocation.
        let capacity = set.0.capacity();
        set.register(&wakers[2]);
        set.register(&wakers[0]);
        assert_eq!(set.0.capacity(), capacity);
        set.wake_all();
        assert_eq!(woken(&counts), [2, 1, 1]);
    }

    #[test]
    fn writer_wakers_are_bounded_without_losing_a_wake_up() {
        let (counts, wakers) = counted(MAX_WRITER_WAKERS + 1);
        let mut set = Wakers::default();
        for w in &wakers {
            set.register(w);
        }
        // The one past the bound woke those registered before it (each re-registers
        // if it still waits), and is itself kept.
        assert_eq!(set.0.len(), 1);
        let before = woken(&counts);
        assert!(before[..MAX_WRITER_WAKERS].iter().all(|&n| n == 1));
        assert_eq!(before[MAX_WRITER_WAKERS], 0);
        set.wake_all();
        assert_eq!(woken(&counts)[MAX_WRITER_WAKERS], 1);
    }
}
