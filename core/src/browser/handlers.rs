//! The `on*` handler slots: `onopen`, `onmessage`, `onerror`, `onclose`.

use alloc::boxed::Box;
use core::fmt;

use crate::dom::{BrowserEvent, MessageData};
use crate::event::CloseEvent;

/// One handler, taking the target and the event's data.
type Handler<W, T> = Box<dyn FnMut(&W, T) + Send>;
type Slot<W, T> = Option<Handler<W, T>>;

/// The handlers of a browser socket whose handle type is `W` (a handler gets the
/// socket as its first argument, the event's `target`).
///
/// A handler runs outside every lock, so it may use the socket (send, close, set
/// another handler): [`take`](Self::take) the one for an event, [`Call::run`] it
/// unlocked, then [`restore`](Self::restore) it (unless it was replaced meanwhile).
/// After the close event every handler is dropped (closures often hold the socket).
pub struct Handlers<W> {
    open: Slot<W, ()>,
    message: Slot<W, MessageData>,
    error: Slot<W, ()>,
    close: Slot<W, CloseEvent>,
    closed: bool,
}

impl<W> Default for Handlers<W> {
    fn default() -> Self {
        Handlers {
            open: None,
            message: None,
            error: None,
            close: None,
            closed: false,
        }
    }
}

impl<W> fmt::Debug for Handlers<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handlers")
            .field("open", &self.open.is_some())
            .field("message", &self.message.is_some())
            .field("error", &self.error.is_some())
            .field("close", &self.close.is_some())
            .finish()
    }
}

/// A taken handler with its event, ready to run without any lock held.
pub struct Call<W> {
    kind: Kind<W>,
}

enum Kind<W> {
    Open(Handler<W, ()>),
    Message(Handler<W, MessageData>, Option<MessageData>),
    Error(Handler<W, ()>),
    Close(Handler<W, CloseEvent>, Option<CloseEvent>),
}

impl<W> fmt::Debug for Call<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Call")
    }
}

impl<W> Call<W> {
    /// Runs the handler with `target`. With `std`, a panic in it is contained (the
    /// panic hook reports it), like an exception in a browser's event listener: the
    /// connection keeps being driven and later events still arrive.
    pub fn run(&mut self, target: &W) {
        let call = || match &mut self.kind {
            Kind::Open(f) | Kind::Error(f) => f(target, ()),
            Kind::Message(f, data) => {
                if let Some(data) = data.take() {
                    f(target, data);
                }
            }
            Kind::Close(f, event) => {
                if let Some(event) = event.take() {
                    f(target, event);
                }
            }
        };
        #[cfg(feature = "std")]
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call));
        #[cfg(not(feature = "std"))]
        {
            let mut call = call;
            call();
        }
    }
}

impl<W> Handlers<W> {
    /// Sets `onopen` (ignored once the close event was dispatched).
    pub fn set_open(&mut self, handler: impl FnMut(&W) + Send + 'static) {
        if self.closed {
            return;
        }
        let mut handler = handler;
        self.open = Some(Box::new(move |w, ()| handler(w)));
    }

    /// Sets `onmessage`.
    pub fn set_message(&mut self, handler: impl FnMut(&W, MessageData) + Send + 'static) {
        if self.closed {
            return;
        }
        self.message = Some(Box::new(handler));
    }

    /// Sets `onerror`.
    pub fn set_error(&mut self, handler: impl FnMut(&W) + Send + 'static) {
        if self.closed {
            return;
        }
        let mut handler = handler;
        self.error = Some(Box::new(move |w, ()| handler(w)));
    }

    /// Sets `onclose`.
    pub fn set_close(&mut self, handler: impl FnMut(&W, CloseEvent) + Send + 'static) {
        if self.closed {
            return;
        }
        self.close = Some(Box::new(handler));
    }

    /// Takes the handler for `event`, or gives the event back when none is set. Taking
    /// the close event's handler (or finding none) drops every handler.
    pub fn take(&mut self, event: BrowserEvent) -> Result<Call<W>, BrowserEvent> {
        let kind = match event {
            BrowserEvent::Open => self.open.take().map(Kind::Open).ok_or(BrowserEvent::Open),
            BrowserEvent::Error => self
                .error
                .take()
                .map(Kind::Error)
                .ok_or(BrowserEvent::Error),
            BrowserEvent::Message(data) => match self.message.take() {
                Some(f) => Ok(Kind::Message(f, Some(data))),
                None => Err(BrowserEvent::Message(data)),
            },
            BrowserEvent::Close(c) => {
                let slot = self.close.take();
                self.clear();
                match slot {
                    Some(f) => Ok(Kind::Close(f, Some(c))),
                    None => Err(BrowserEvent::Close(c)),
                }
            }
        };
        kind.map(|kind| Call { kind })
    }

    /// Puts a handler back after it ran, unless the slot was set again meanwhile or the
    /// close event was dispatched.
    pub fn restore(&mut self, call: Call<W>) {
        if self.closed {
            return;
        }
        match call.kind {
            Kind::Open(f) => {
                self.open.get_or_insert(f);
            }
            Kind::Message(f, _) => {
                self.message.get_or_insert(f);
            }
            Kind::Error(f) => {
                self.error.get_or_insert(f);
            }
            Kind::Close(..) => {}
        }
    }

    /// Drops every handler; later ones set are dropped too (the close event was
    /// dispatched: no handler will run again).
    pub fn clear(&mut self) {
        self.closed = true;
        self.open = None;
        self.message = None;
        self.error = None;
        self.close = None;
    }

    /// Whether the close event was dispatched (handlers are no longer kept).
    pub fn is_closed(&self) -> bool {
        self.closed
    }
}
