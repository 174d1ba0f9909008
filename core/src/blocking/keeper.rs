//! The keeper: the thread that drives a split connection whether or not anyone
//! receives, as the async runtimes' driver task does.
//!
//! [`WebSocketStream::split`](super::WebSocketStream::split) starts it on a thread from
//! [`Runtime::spawn`]. From then on it is the connection's only reader: it reads, feeds
//! the engine, answers pings, echoes the peer's Close, fires the timers (keepalive, the
//! close timeout) and writes what the engine queues by itself. The receiver takes what
//! it delivered ([`Shared::wait_kept`]); senders still write their own messages. While
//! received events wait for the application it does not read, so backpressure reaches
//! TCP as in every runtime. When the application drops the last handle, the keeper
//! drops what arrives and finishes the closing handshake
//! ([`State::orphaned`](super::driver::State::orphaned)); it ends with the connection.
//!
//! If no thread can be started, nothing changes: the receiver drives, as it does for
//! an unsplit stream.

use std::sync::{Arc, Mutex};

use super::driver::{lock, Reader, Shared, State};
use super::transport::BoxedTransport;
use super::Runtime;

/// [`start`] for one runtime: what a stream keeps to start its keeper when split.
pub(crate) type Start = fn(&Arc<Shared<BoxedTransport>>, &Arc<Mutex<Reader>>);

/// Starts `shared`'s keeper on a thread of the runtime `R`, taking the read state
/// `reader` for the connection's life (if no thread can be started, the receiver
/// drives).
pub(crate) fn start<R: Runtime>(shared: &Arc<Shared<BoxedTransport>>, reader: &Arc<Mutex<Reader>>) {
    // Set before the thread runs: a receive from now on waits for the keeper.
    shared.lock().kept = true;
    let (kept, read_state) = (shared.clone(), reader.clone());
    let keeper = move || {
        let mut reader = lock(&read_state);
        let _ = kept.drive(&mut reader, false, State::drop_unclaimed);
        kept.lock().kept = false;
        kept.changed.notify_all();
        // `kept` may be the last holder of the transport: it is dropped here.
    };
    if R::spawn(false, Box::new(keeper)).is_err() {
        shared.lock().kept = false;
    }
}
