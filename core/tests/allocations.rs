//! Steady state costs no heap allocation per small message: a client and a server
//! connection exchanging 16-byte messages through memory, counted by a global
//! allocator on the test's own thread (the test harness's threads allocate when they
//! please).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use websock_core::{Connection, Event, Message, Role};

/// Counts allocations (and reallocations) made through it by a thread that counts.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Whether this thread's allocations are counted.
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

/// Counts one allocation if this thread's are counted.
fn count() {
    if COUNTED.try_with(Cell::get).unwrap_or(false) {
        ALLOCATIONS.fetch_add(1, Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` unchanged; the counter has no effect on
// the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System` through this allocator, with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as for `dealloc`, and `new_size` is the caller's valid size.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Moves what `from` has to write into `to`, as one read.
fn transfer(from: &mut Connection, to: &mut Connection, scratch: &mut Vec<u8>) {
    scratch.clear();
    let mut slices = [&[][..]; 16];
    let n = from.poll_transmit(&mut slices);
    for s in &slices[..n] {
        scratch.extend_from_slice(s);
    }
    let len = scratch.len();
    from.advance_transmit(len);
    to.handle_input(Duration::ZERO, scratch);
}

/// One round trip: the client sends, the server echoes, the client receives.
fn round_trip(client: &mut Connection, server: &mut Connection, scratch: &mut Vec<u8>) {
    client
        .send(Message::binary(&b"0123456789abcdef"[..]))
        .unwrap();
    transfer(client, server, scratch);
    let Some(Event::Message(m)) = server.poll_event() else {
        panic!("the server got no message")
    };
    server.send(m).unwrap();
    transfer(server, client, scratch);
    let Some(Event::Message(m)) = client.poll_event() else {
        panic!("the client got no echo")
    };
    assert_eq!(m.len(), 16);
}

#[test]
fn a_small_message_round_trip_allocates_nothing_in_steady_state() {
    let mut client = Connection::upgraded(Role::Client, None, common::plain(1), Duration::ZERO);
    let mut server = Connection::upgraded(Role::Server, None, common::plain(2), Duration::ZERO);
    assert!(matches!(client.poll_event(), Some(Event::Open(_))));
    assert!(matches!(server.poll_event(), Some(Event::Open(_))));
    let mut scratch = Vec::with_capacity(4096);
    // Warm up: buffers reach their working sizes.
    for _ in 0..1000 {
        round_trip(&mut client, &mut server, &mut scratch);
    }
    COUNTED.with(|c| c.set(true));
    let before = ALLOCATIONS.load(Relaxed);
    const N: u64 = 10_000;
    for _ in 0..N {
        round_trip(&mut client, &mut server, &mut scratch);
    }
    let after = ALLOCATIONS.load(Relaxed);
    COUNTED.with(|c| c.set(false));
    let per_round_trip = (after - before) as f64 / N as f64;
    eprintln!("allocations per round trip (two messages): {per_round_trip:.2}");
    assert!(
        per_round_trip == 0.0,
        "{per_round_trip} allocations per round trip"
    );
}
