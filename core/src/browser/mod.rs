//! The browser socket: the state and rules behind every runtime's `WebSocket` face,
//! decided once.
//!
//! * [`BrowserSocket`]: `binaryType`, `readyState`, the `send` / `close` rules, what happens
//!   when the last handle goes away, and the engine events shaped as the browser's,
//!   one at a time;
//! * [`EventQueue`]: the events no handler took, bounded by count **and** bytes (an
//!   empty message costs its bookkeeping), so a slow reader stops the reading;
//! * [`Handlers`]: the `on*` slots, called outside every lock (take, call, restore),
//!   a panicking handler contained (with `std`), all of them dropped after the close
//!   event.
//!
//! A runtime keeps these beside its [`Connection`] and moves bytes, time and wake-ups.

mod handlers;
mod queue;

use core::time::Duration;

use crate::connection::{Connection, SendError};
use crate::dom::{
    close_frame_code, validate_close_args, BinaryType, BrowserEvent, MessageData, ReadyState,
};
use crate::error::ApiError;
use crate::message::Message;

pub use handlers::{Call, Handlers};
pub use queue::EventQueue;

/// The browser socket's own state: `binaryType` and the `readyState` the application
/// has seen, plus its rules as methods that act on the [`Connection`] (which holds the
/// `url`: [`Connection::url`]).
#[derive(Debug, Clone, Default)]
pub struct BrowserSocket {
    binary_type: BinaryType,
    /// The readyState the application has seen events for: CONNECTING until the open
    /// event is dispatched, CLOSED once the close event is.
    dispatched: ReadyState,
    /// `close()` was called while CONNECTING or OPEN.
    close_called: bool,
}

impl BrowserSocket {
    /// A socket whose open event is not dispatched yet, `binaryType` `"blob"`.
    pub fn new() -> BrowserSocket {
        BrowserSocket::default()
    }

    /// `binaryType`.
    pub fn binary_type(&self) -> BinaryType {
        self.binary_type
    }

    /// Sets `binaryType`; it applies to messages shaped from now on.
    pub fn set_binary_type(&mut self, binary_type: BinaryType) {
        self.binary_type = binary_type;
    }

    /// `send(data)`: `InvalidStateError` while CONNECTING. Once CLOSING or CLOSED the
    /// data is dropped and its length added to `bufferedAmount`, without an error. If
    /// the send buffer ([`crate::Limits::max_send_queue`]) would overflow, the
    /// connection fails (error, then close 1006), as a browser's does.
    pub fn send(conn: &mut Connection, data: impl Into<MessageData>) -> Result<(), ApiError> {
        match conn.send(Message::from(data.into())) {
            Ok(()) | Err(SendError::Closed) => Ok(()),
            Err(SendError::Full) => {
                conn.overflow();
                Ok(())
            }
            Err(e) => Err(e.as_api_error().unwrap_or(ApiError::InvalidState)),
        }
    }

    /// `readyState` as the application sees it, given the engine's state: it advances
    /// with event dispatch, as the standard's task queue does. CONNECTING until the open
    /// event is dispatched ([`dispatched`](Self::dispatched)); CLOSING once `close()` was
    /// called, or once the closing handshake started after open; CLOSED only once the
    /// close event is dispatched. So a handler never sees a state ahead of its event.
    pub fn ready_state(&self, engine: ReadyState) -> ReadyState {
        match self.dispatched {
            ReadyState::Closed => ReadyState::Closed,
            _ if self.close_called => ReadyState::Closing,
            ReadyState::Connecting => ReadyState::Connecting,
            ReadyState::Open | ReadyState::Closing => match engine {
                ReadyState::Closing | ReadyState::Closed => ReadyState::Closing,
                _ => ReadyState::Open,
            },
        }
    }

    /// Records that `event` is being dispatched (its handler is about to run, or the
    /// application took it from the queue): the open event makes the socket OPEN, the
    /// close event CLOSED.
    pub fn dispatched(&mut self, event: &BrowserEvent) {
        match event {
            BrowserEvent::Open if self.dispatched == ReadyState::Connecting => {
                self.dispatched = ReadyState::Open;
            }
            BrowserEvent::Close(_) => self.dispatched = ReadyState::Closed,
            _ => {}
        }
    }

    /// Takes the handler for `event` ([`Handlers::take`]) and records the dispatch
    /// when there is one; without one the event comes back (queue it, and take it later
    /// with [`pop_event`](Self::pop_event)).
    pub fn take_handler<W>(
        &mut self,
        handlers: &mut Handlers<W>,
        event: BrowserEvent,
    ) -> Result<Call<W>, BrowserEvent> {
        let marker = match &event {
            BrowserEvent::Open => Some(BrowserEvent::Open),
            BrowserEvent::Close(c) => Some(BrowserEvent::Close(c.clone())),
            BrowserEvent::Message(_) | BrowserEvent::Error => None,
        };
        let call = handlers.take(event)?;
        if let Some(marker) = marker {
            self.dispatched(&marker);
        }
        Ok(call)
    }

    /// The oldest queued event, for the application, recording its dispatch.
    pub fn pop_event(&mut self, queue: &mut EventQueue) -> Option<BrowserEvent> {
        let event = queue.pop()?;
        self.dispatched(&event);
        Some(event)
    }

    /// `close(code, reason)`: `InvalidAccessError` for a code other than 1000 or
    /// 3000-4999, `SyntaxError` for a reason over 123 UTF-8 bytes. Starts the closing
    /// handshake (a reason without a code is sent with 1000), fails a connection still
    /// CONNECTING, and does nothing once CLOSING or CLOSED. `readyState` becomes
    /// CLOSING (from CONNECTING too) until the close event is dispatched.
    pub fn close(
        &mut self,
        conn: &mut Connection,
        now: Duration,
        code: Option<u16>,
        reason: Option<&str>,
    ) -> Result<(), ApiError> {
        validate_close_args(code, reason)?;
        conn.close(now, close_frame_code(code, reason), reason.unwrap_or(""))?;
        if self.dispatched != ReadyState::Closed {
            self.close_called = true;
        }
        Ok(())
    }

    /// The last handle went away: an OPEN connection is closed with 1001 (going away),
    /// a CONNECTING one is failed; CLOSING or CLOSED ones finish on their own.
    pub fn last_handle_dropped(conn: &mut Connection, now: Duration) {
        match conn.ready_state() {
            ReadyState::Open => {
                let _ = conn.close(now, Some(crate::close::GOING_AWAY), "");
            }
            ReadyState::Connecting => conn.abort(),
            ReadyState::Closing | ReadyState::Closed => {}
        }
    }

    /// The engine's next event shaped as the browser's (`None`: nothing yet). Call it
    /// only when the event can be delivered (a handler is free, or
    /// [`EventQueue::has_room`]): the engine processes later input only as events are
    /// taken, so a handler's answer to a message goes out before later frames are acted
    /// on.
    pub fn next_event(&self, conn: &mut Connection) -> Option<BrowserEvent> {
        loop {
            let event = conn.poll_event()?;
            if let Some(event) = BrowserEvent::from_event(event, self.binary_type) {
                return Some(event);
            }
        }
    }
}
