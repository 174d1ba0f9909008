//! The blocking handles, for runtimes built on threads and `std::io` (websock-std): the
//! idiomatic [`WebSocketStream`] (with its [`split`](WebSocketStream::split) halves, the
//! [`Messages`] iterator, the streamed [`MessageReader`] and [`MessageWriter`]), the
//! browser's [`WebSocket`], the handshakes that open them, and the driver loop they
//! share, written once over a [`Runtime`] (a clock, threads, a client's transport) and
//! a [`Transport`] (`Read` + `Write` with read and write timeouts).
//!
//! Model: an unsplit stream is driven by its own calls; split halves by a keeper
//! thread. The unsplit [`WebSocketStream`] has no thread: its `recv` reads the
//! transport with a timeout taken from the engine's next deadline, feeds the engine,
//! answers pings, echoes the Close and fires the timers. [`split`](WebSocketStream::split)
//! starts the connection's keeper (a thread from [`Runtime::spawn`], the counterpart of
//! the async runtimes' driver task), which does all of that whether or not anyone
//! receives; the [`WebSocketReceiver`] takes what it read (the read state is behind a
//! mutex, so one thread reads at a time). Senders queue into the engine and write the
//! queue themselves, without holding the engine's lock during the write
//! ([`Connection::poll_transmit_owned`](crate::Connection::poll_transmit_owned), one
//! writer at a time). The browser face's background thread (spawned with
//! [`Runtime::spawn`]) connects, reads and dispatches; a writer thread writes once
//! connected. The engine is shared behind one `std::sync::Mutex`. When the application
//! drops the last handle of an open stream, a thread from [`Runtime::spawn`] closes it
//! with 1001 (going away): the same driver loop, until the closing handshake is over.
//!
//! The idiomatic handles hold the transport boxed and type-erased (one allocation per
//! connection; a virtual call per I/O call): [`WebSocketStream<S>`](WebSocketStream)
//! keeps `S` only as a marker, as the async handles do, and the halves, [`Messages`],
//! [`MessageReader`] and [`MessageWriter`] have no transport parameter.
//!
//! This module reads no clock, opens no socket and spawns no thread itself: time,
//! threads and the client's transport come from the [`Runtime`].

mod browser;
mod driver;
mod keeper;
mod open;
mod signal;
mod stream;
mod streamed;
mod transport;

use std::io;
use std::time::Instant;

pub use browser::{Events, WebSocket};
pub use open::{accept_with, client_handshake, connect_with, from_upgraded};
pub use stream::{Messages, WebSocketReceiver, WebSocketSender, WebSocketStream};
pub use streamed::{MessageReader, MessageWriter};
pub use transport::Transport;

use crate::dom::WsUrl;
use crate::session::Error;
use crate::settings::ClientSettings;

/// What a blocking runtime gives the handles: a clock, threads, and a client's
/// transport for a URL.
pub trait Runtime: Send + Sync + 'static {
    /// The client options' TLS configuration (`ClientSettings<Self::Tls>`).
    type Tls: Clone + Default + Send + Sync + 'static;
    /// The stream a client connection runs over ([`open_transport`](Self::open_transport)'s).
    type Stream: Transport + Send + 'static;
    /// The runtime's clock: every connection's time is measured on it.
    fn now() -> Instant;
    /// Runs `task` on a new thread; `writer` says whether it is a browser socket's
    /// writer thread (else its background thread, or the thread that finishes the
    /// closing handshake of a [`WebSocketStream`] whose last handle was dropped), for
    /// the thread's name. An error if no thread could be started (the socket then fails
    /// its connection; the dropped stream's transport is dropped without a closing
    /// handshake).
    fn spawn(writer: bool, task: Box<dyn FnOnce() + Send>) -> io::Result<()>;
    /// The transport to `url`'s server, blocking: DNS, TCP (with `TCP_NODELAY`), the
    /// tunnel through `options.proxy` if set, TLS for `wss://`, all before `deadline`
    /// (on [`now`](Self::now)'s clock; past it, `Error::Protocol(HandshakeTimeout)`).
    fn open_transport(
        url: &WsUrl,
        options: &ClientSettings<Self::Tls>,
        deadline: Option<Instant>,
    ) -> Result<Self::Stream, Error>;
    /// Whether `wss://` is supported (the TLS feature is on).
    fn supports_tls() -> bool;
}
