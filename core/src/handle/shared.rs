//! The state a connection's handles share with its driver task.
//!
//! There is one source of truth: the core [`Connection`], behind a `std::sync::Mutex`
//! that is only ever held for non-blocking work (never across an `.await`, never while
//! an application callback runs). Tasks wake each other with wakers registered under
//! the same lock, so no wake-up can be lost between checking a condition and waiting.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Waker};
use std::time::Duration;

use std::time::Instant;

use crate::browser::BrowserSocket;
use crate::dom::{BrowserEvent, ReadyState};
use crate::session::{Error, Opening, Received, Session, StreamChunk, StreamStart};
use crate::{CloseEvent, Connection};

use super::Transport;

pub(crate) use crate::facts::Facts;

impl Facts {
    /// Asks `transport`.
    pub(crate) fn of<T: Transport + ?Sized>(transport: &T) -> Facts {
        Facts {
            peer_addr: transport.peer_addr(),
            local_addr: transport.local_addr(),
            #[cfg(feature = "rustls")]
            tls: transport.tls_info(),
        }
    }
}

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
    /// The transport's addresses and TLS facts, once it is set up.
    pub(crate) facts: Facts,
    /// Live application handles; at zero the driver closes the connection itself.
    pub(crate) handles: usize,
    driver_waker: Option<Waker>,
    reader_waker: Option<Waker>,
    writer_waker: Option<Waker>,
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

    pub(crate) fn register_driver(&mut self, cx: &Context<'_>) {
        register(&mut self.driver_waker, cx);
    }

    pub(crate) fn register_reader(&mut self, cx: &Context<'_>) {
        register(&mut self.reader_waker, cx);
    }

    pub(crate) fn register_writer(&mut self, cx: &Context<'_>) {
        register(&mut self.writer_waker, cx);
    }

    /// Tell the driver there is work (a command was queued).
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

    pub(crate) fn wake_writer(&mut self) {
        if let Some(w) = self.writer_waker.take() {
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

/// A cheaply clonable reference to the shared state.
#[derive(Debug, Clone)]
pub(crate) struct Shared(Arc<Mutex<State>>);

impl Shared {
    /// Wraps a fresh connection created now, by `clock`.
    pub(crate) fn new(conn: Connection, clock: fn() -> Instant) -> Shared {
        Shared(Arc::new(Mutex::new(State {
            conn,
            epoch: clock(),
            clock,
            session: Session::new(),
            transport_error: None,
            driver_done: false,
            facts: Facts::default(),
            handles: 0,
            driver_waker: None,
            reader_waker: None,
            writer_waker: None,
        })))
    }

    /// Locks the state. The lock is never held across an await or a callback, and a
    /// panic while holding it cannot leave the engine half-updated in a way that matters
    /// more than stopping, so poisoning is ignored.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One application handle: counts itself in [`State::handles`] so the driver can tell
/// when nobody is left to use the connection.
#[derive(Debug)]
pub(crate) struct Handle {
    pub(crate) shared: Shared,
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
}

impl Drop for Handle {
    fn drop(&mut self) {
        let mut st = self.shared.lock();
        st.handles -= 1;
        if st.handles == 0 {
            st.wake_driver();
        }
    }
}
