//! The idiomatic API: websock-core's blocking handles ([`websock_core::blocking`]),
//! an unsplit stream driven by its own calls, split halves by a thread of their own.
//!
//! The stream's `recv` reads the transport with a timeout taken from the engine's next
//! deadline, answers pings, echoes a close and fires the timers; after
//! [`split`](WebSocketStream::split), the connection's keeper thread does that whether
//! or not anyone receives, and the [`WebSocketReceiver`] takes what it read. Senders
//! queue into the engine and write the queue themselves. Flow control
//! both ways: `send` waits while the send queue is over
//! [`Limits::max_send_queue`](crate::Limits::max_send_queue), and nothing more is read
//! until the application has taken what was received.
//!
//! Batching: `feed` queues a message without writing it (until the send queue holds
//! 64 KiB), `flush` writes everything queued (vectored writes of up to 32 slices),
//! and `try_recv` returns a message already received (from input already read)
//! without reading or waiting; a broadcaster receives with `recv`, drains `try_recv`,
//! feeds every message to its receivers' senders and flushes each once.
//!
//! Dropping the last handle of an open connection (the stream, or both halves and every
//! sender clone) closes it with 1001 (going away), as in websock-tokio and websock-smol:
//! the drop returns at once and a thread finishes the closing handshake, within the
//! close timeout ([`Timeouts::close`](crate::Timeouts)).

/// A received message in chunks as it arrives, from `recv_stream` (a `Read`).
pub use websock_core::blocking::MessageReader;
/// A message sent in fragments as it is written, from `send_stream` (a `Write`).
pub use websock_core::blocking::MessageWriter;
/// The received messages as an `Iterator`, from `incoming()`.
pub use websock_core::blocking::Messages;
/// The receiving half of a [`WebSocketStream`] (whatever its transport).
pub use websock_core::blocking::WebSocketReceiver;
/// The sending half of a [`WebSocketStream`] (`Clone`; whatever its transport).
pub use websock_core::blocking::WebSocketSender;
/// A WebSocket connection opened over a transport of type `S` (a marker, as in
/// websock-tokio: the transport is held type-erased): `send`/`recv`, `incoming()`,
/// [`split`](websock_core::blocking::WebSocketStream::split) halves, whose types do not
/// name the transport.
pub use websock_core::blocking::WebSocketStream;
