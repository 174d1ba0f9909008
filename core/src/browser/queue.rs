//! The events no handler took, waiting for the application.

use alloc::collections::VecDeque;

use crate::dom::BrowserEvent;

/// What one queued event costs besides its payload (the event and its bookkeeping).
pub const EVENT_OVERHEAD: usize = 64;
/// Default bound on the queued events' cost (payload + [`EVENT_OVERHEAD`] each).
pub const DEFAULT_MAX_BYTES: usize = 1 << 20;
/// Default bound on the number of queued events.
pub const DEFAULT_MAX_EVENTS: usize = 4096;

/// The browser events waiting for the application, bounded by count and by bytes.
///
/// The bound is a rule for the producer: deliver the next engine event only while
/// [`has_room`](Self::has_room); the engine then holds its input and the driver stops
/// reading, so a slow reader slows the peer down instead of growing memory. One event
/// may go past the bound (a message is never split), so memory stays under the bound
/// plus one message (itself bounded by [`crate::Limits::max_message_size`]).
#[derive(Debug)]
pub struct EventQueue {
    events: VecDeque<BrowserEvent>,
    cost: usize,
    max_events: usize,
    max_bytes: usize,
    done: bool,
}

impl Default for EventQueue {
    fn default() -> Self {
        EventQueue::new(DEFAULT_MAX_EVENTS, DEFAULT_MAX_BYTES)
    }
}

impl EventQueue {
    /// A queue holding at most `max_events` events and `max_bytes` of cost (each at
    /// least 1).
    pub fn new(max_events: usize, max_bytes: usize) -> EventQueue {
        EventQueue {
            events: VecDeque::new(),
            cost: 0,
            max_events: max_events.max(1),
            max_bytes: max_bytes.max(1),
            done: false,
        }
    }

    fn cost_of(event: &BrowserEvent) -> usize {
        event.payload_len().saturating_add(EVENT_OVERHEAD)
    }

    /// Whether another event may be delivered.
    pub fn has_room(&self) -> bool {
        self.events.len() < self.max_events && self.cost < self.max_bytes
    }

    /// Queues an event (the last one: the close event, marks the queue done).
    pub fn push(&mut self, event: BrowserEvent) {
        self.cost = self.cost.saturating_add(Self::cost_of(&event));
        if event.is_close() {
            self.done = true;
        }
        self.events.push_back(event);
    }

    /// The oldest event.
    pub fn pop(&mut self) -> Option<BrowserEvent> {
        let event = self.events.pop_front()?;
        self.cost -= Self::cost_of(&event);
        if self.events.is_empty() && self.events.capacity() > 64 {
            self.events = VecDeque::new();
        }
        Some(event)
    }

    /// No event will come any more (the connection's driver stopped).
    pub fn finish(&mut self) {
        self.done = true;
    }

    /// Whether the queue is empty and no event will come: `next_event` ends.
    pub fn is_over(&self) -> bool {
        self.done && self.events.is_empty()
    }

    /// Whether the last event (the close event) was queued, or the queue finished.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Queued events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether no event is queued.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The queued events' cost (payload bytes + bookkeeping).
    pub fn cost(&self) -> usize {
        self.cost
    }
}
