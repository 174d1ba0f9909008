//! The idiomatic API: websock-core's async handles ([`websock_core::handle`]).
//!
//! An unsplit stream drives its connection in its own calls (no task: while a `recv`
//! or any waiting call is in progress, pings are answered, a close is echoed, timers
//! fire, keepalive pings go out; `try_send` and `ping` write at once). After `split`,
//! a tokio task does that whether or not anyone is receiving, and the halves queue commands
//! in the engine and take what it received.
//! Flow control both ways: `send` waits while the send queue is over
//! [`Limits::max_send_queue`](crate::Limits::max_send_queue) (`try_send` reports
//! `SendError::Full`), and the driver reads no more until the application has taken
//! what was received. Dropping every handle of an open connection closes it with 1001.
//! `feed` queues a message for a later `flush` (an unsplit stream leaves it queued;
//! after `split` the driver task writes it as `send` would), and `try_recv` returns a
//! message already received without I/O or waiting (not `async`), as in websock-std.

/// A received message in chunks as it arrives, from `recv_stream` (a `Stream` of
/// chunks and an `AsyncRead`).
pub use websock_core::handle::MessageReader;
/// A message sent in fragments as it is written, from `send_stream` (an `AsyncWrite`).
pub use websock_core::handle::MessageWriter;
/// The received messages as a `futures` `Stream`, from `incoming()` (websock-std's
/// `Messages` is the same sequence as an `Iterator`).
pub use websock_core::handle::Messages;
/// The receiving half of a [`WebSocketStream`].
pub use websock_core::handle::WebSocketReceiver;
/// The sending half of a [`WebSocketStream`] (`Clone`; its methods take `&self`).
pub use websock_core::handle::WebSocketSender;
/// A WebSocket connection over a transport of type `S`: `send`/`recv`, `futures`
/// `Stream` and `Sink`, [`split`](websock_core::handle::WebSocketStream::split) halves.
pub use websock_core::handle::WebSocketStream;
