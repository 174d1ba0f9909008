//! Idle connections hold little heap, in every runtime: a server connection that has
//! finished its handshake and hears nothing holds no read buffer (tokio and smol free
//! the engine's empty buffers when a read finds nothing; websock-std's blocking reader
//! does after a read has waited [`IDLE_AFTER`], then waits for input without a buffer).
//!
//! The process's heap is counted by a `#[global_allocator]` (this file is its own test
//! binary, one test, so nothing else allocates meanwhile); the clients are raw TCP
//! sockets that send an upgrade request and then nothing, so only the servers' side
//! counts, with the test's echo server around it (a thread and a `Conn` per connection,
//! and for smol that thread's read window).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use websock_core::Decision;
use websock_tests::facade::{each_runtime, raw_client, serve_echo, ServerOptions};
use websock_tests::Runtime;

/// websock-std's reader lets go of its buffer once a read has waited this long.
const IDLE_AFTER: Duration = Duration::from_secs(1);
/// Idle connections measured per runtime (after as many were opened and closed, so
/// that the runtimes' own tables have grown already).
const CONNS: usize = 100;
/// The most heap one idle server connection may hold, with the test server's thread
/// and handle (about 1.5-1.7 KiB): a read buffer (8 KiB, zeroed for `Read`) alone would
/// exceed it many times over, and so would the engine's and the handles' state as it
/// was before it was trimmed (tokio about 2 KiB).
const BOUND: usize = 1856;
/// websock-smol reads through one window per thread (zeroed when made, so that a read
/// costs a copy of what arrived instead of a memset of the window; 8 KiB until a read
/// asks for more, 64 KiB at most); this test's server runs each connection on a thread
/// of its own, so here that window is one per connection too. A smol server on a few
/// executor threads holds a few windows in all.
const SMOL_THREAD_WINDOW: usize = 8 << 10;

struct Counting;

static HEAP_NOW: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` with the caller's arguments; the counter
// is only bookkeeping.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which is System's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            HEAP_NOW.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            HEAP_NOW.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by this allocator, that is by System, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        HEAP_NOW.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`, and the caller upholds `realloc`'s contract.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            HEAP_NOW.fetch_add(new_size, Ordering::Relaxed);
            HEAP_NOW.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The heap `CONNS` idle connections hold, per connection, in bytes.
fn idle_heap_per_connection(addr: std::net::SocketAddr) -> usize {
    let before = HEAP_NOW.load(Ordering::Relaxed);
    let clients: Vec<_> = (0..CONNS).map(|_| raw_client(addr)).collect();
    std::thread::sleep(IDLE_AFTER * 2 + Duration::from_millis(500));
    let after = HEAP_NOW.load(Ordering::Relaxed);
    drop(clients);
    after.saturating_sub(before) / CONNS
}

#[test]
fn an_idle_connection_holds_no_read_buffer() {
    each_runtime("idle memory", |rt| {
        let addr = serve_echo(rt, ServerOptions::default(), |_| Decision::accept());
        // The first round grows the runtimes' tables; the second is measured.
        let first = idle_heap_per_connection(addr);
        std::thread::sleep(Duration::from_millis(500));
        let per_conn = idle_heap_per_connection(addr);
        eprintln!("{rt}: {per_conn} B per idle connection ({first} B in the first round)");
        let bound = match rt {
            Runtime::Smol => BOUND + SMOL_THREAD_WINDOW,
            _ => BOUND,
        };
        assert!(
            per_conn <= bound,
            "{rt}: an idle connection holds {per_conn} B of heap (bound {bound})"
        );
    });
}
