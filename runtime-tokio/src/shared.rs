//! The state a connection's handles share with its background driver task.
//!
//! There is one source of truth: the core [`Connection`], behind a `std::sync::Mutex`
//! that is only ever held for non-blocking work (never across an `.await`, never while
//! an application callback runs). Tasks wake each other with wakers registered under
//! the same lock, so no wake-up can be lost between checking a condition and waiting.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Waker};
use std::time::Duration;

use tokio::time::Instant;
use websock_core::{CloseEvent, Connection, Event};

/// Everything behind the lock.
#[derive(Debug)]
pub(crate) struct State {
    /// The engine: readyState, bufferedAmount, protocol... all come from here.
    pub(crate) conn: Connection,
    /// Time zero for the engine (the connection's creation).
    pub(crate) epoch: Instant,
    /// Events taken from the engine by a task waiting for the close, for the receiver.
    stash: VecDeque<Event>,
    /// Input was fed to the engine since a consumer last found no event: the driver
    /// reads no more until the application has taken what was received (read
    /// backpressure, and the engine's rule that events are drained before more input).
    unread: bool,
    /// A copy of the close event, once the connection is CLOSED.
    pub(crate) close_event: Option<CloseEvent>,
    /// The transport's error that ended the connection (I/O, TLS), for the idiomatic
    /// API; the engine itself only saw an end of stream.
    pub(crate) transport_error: Option<crate::Error>,
    /// The driver task has stopped (the transport is dropped).
    pub(crate) driver_done: bool,
    /// Live application handles; at zero the driver closes the connection itself.
    pub(crate) handles: usize,
    driver_waker: Option<Waker>,
    reader_waker: Option<Waker>,
    writer_waker: Option<Waker>,
}

impl State {
    /// The engine's notion of now: time since the epoch.
    pub(crate) fn now(&self) -> Duration {
        Instant::now().saturating_duration_since(self.epoch)
    }

    /// The next event for the application: the engine processes held-back input as
    /// events are taken (so an answer to a message goes out before later frames are
    /// acted on). Wakes the driver when there is something to write or it may read again.
    pub(crate) fn next_event(&mut self) -> Option<Event> {
        if let Some(event) = self.stash.pop_front() {
            return Some(event);
        }
        match self.conn.poll_event() {
            Some(event) => {
                let ends = matches!(event, Event::Close(_) | Event::Error(_));
                if let Event::Close(c) = &event {
                    self.close_event = Some(c.clone());
                    // A sender waiting for room or for the close to finish is done.
                    self.wake_writer();
                }
                if ends || self.conn.transmit_len() > 0 {
                    self.wake_driver();
                }
                Some(event)
            }
            None => {
                if self.unread {
                    self.unread = false;
                    self.wake_driver();
                }
                None
            }
        }
    }

    /// Takes events until the close event (keeping them for the receiver); returns
    /// whether the connection is closed.
    pub(crate) fn advance_to_close(&mut self) -> bool {
        while self.close_event.is_none() {
            match self.conn.poll_event() {
                Some(event) => {
                    if let Event::Close(c) = &event {
                        self.close_event = Some(c.clone());
                    }
                    self.stash.push_back(event);
                }
                None => {
                    self.unread = false;
                    break;
                }
            }
        }
        if self.conn.transmit_len() > 0 || !self.unread {
            self.wake_driver();
        }
        self.close_event.is_some()
    }

    /// The close event, if the connection is closed (taking the events before it, for
    /// the receiver, if it has not been reached yet).
    pub(crate) fn closed_event(&mut self) -> Option<CloseEvent> {
        if self.close_event.is_none()
            && self.conn.ready_state() == websock_core::dom::ReadyState::Closed
        {
            self.advance_to_close();
        }
        self.close_event.clone()
    }

    /// The driver fed input or time to the engine: events may be waiting.
    pub(crate) fn input_fed(&mut self) {
        self.unread = true;
        self.wake_reader();
        self.wake_writer();
    }

    /// Drops every pending event (nobody is left to take them).
    pub(crate) fn discard_events(&mut self) {
        self.stash.clear();
        while self.next_event().is_some() {}
    }

    /// Whether the driver may read more: once the application has taken every event,
    /// and always while closing (nothing is delivered then, so closing never waits).
    pub(crate) fn may_read(&self) -> bool {
        !self.unread
            || matches!(
                self.conn.ready_state(),
                websock_core::dom::ReadyState::Closing | websock_core::dom::ReadyState::Closed
            )
    }

    /// Whether the engine will take more data without [`websock_core::SendError::Full`]
    /// for a small message.
    pub(crate) fn has_send_room(&self) -> bool {
        self.conn.send_queue_len() < self.conn.limits().max_send_queue
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
    /// Wraps a fresh connection created at `epoch`.
    pub(crate) fn new(conn: Connection, epoch: Instant) -> Shared {
        Shared(Arc::new(Mutex::new(State {
            conn,
            epoch,
            stash: VecDeque::new(),
            unread: false,
            close_event: None,
            transport_error: None,
            driver_done: false,
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
