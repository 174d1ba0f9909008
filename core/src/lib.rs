//! websock-core: a complete WebSocket (RFC 6455) protocol engine, client and server,
//! with no I/O.
//!
//! The engine does the opening handshake, framing, masking, the close-code and reason
//! rules, incremental UTF-8 validation, limits and timers, and the browser `WebSocket`
//! interface's argument rules ([`dom`]). It never touches a socket, a clock, a thread or
//! a task: a *driver* (such as `websock-tokio`, `websock-smol` or `websock-std`, or your
//! own) feeds it bytes and time and carries out what it asks for.
//!
//! # The driver loop
//!
//! A [`Connection`] has inputs, commands, outputs and getters. A driver repeats one
//! short loop until nothing makes progress, then waits:
//!
//! ```text
//! loop {
//!     while wants_write(): write what poll_transmit offers (one vectored write),
//!                          advance_transmit(n)                 (std: write_to)
//!                          would block -> stop, wait for writable
//!     hand every poll_event to the application (its commands may queue more to write)
//!                          (streaming receive: poll_stream_event)
//!     if should_shutdown(): shut the transport's write side down, once
//!     if is_finished(): drop the transport, stop
//!     if wants_read(): read into receive_buffer() -> handle_received(now) (std: read_from)
//!                      end of stream -> handle_eof(now)
//!                      an I/O error  -> handle_transport_error(now)   (1006)
//!                      would block   -> release_idle_memory()  (read_from does it)
//!     nothing progressed? wait for: readable (if wants_read) | writable (if wants_write)
//!                         | the deadline from poll_timeout -> handle_timeout(now)
//!                         | an application command
//! }
//! ```
//!
//! * **Wait for writable too.** With non-blocking I/O a write can take part of what is
//!   offered; the rest stays queued ([`Connection::wants_write`]) until the transport is
//!   writable again. A driver that waits only for readable never writes an echo.
//! * **Loop until no progress.** Taking an event can release held-back input (the
//!   engine stops after each message so the application can answer it first), and a
//!   command queues bytes: go round again before waiting.
//! * **Re-read [`Connection::poll_timeout`] after every call**: any input, command or
//!   timer may arm, move or stop a deadline.
//! * **Backpressure**: [`Connection::wants_read`] is false while events wait for the
//!   application; stop reading then, and TCP slows the peer down. (A full send queue
//!   does not stop reading: an application that cannot send stops taking events, which
//!   stops it; two peers that both send at once would otherwise wait on each other.)
//! * **Idle memory**: when a read waits, [`Connection::release_idle_memory`] frees every
//!   empty buffer; an idle connection then holds under 1 KiB, its state included. A
//!   busy connection's reads do not wait, so it keeps its buffers.
//! * **The end**: after [`Connection::should_shutdown`], keep reading until end of stream;
//!   that drain is bounded by the close timeout ([`Timeouts::close`]), after which the
//!   connection is finished.
//! * **Time** is a `Duration` since an epoch of the driver's choosing; one epoch may
//!   serve every connection of a driver.
//! * **Streaming receive** ([`Streaming`] in [`Config::streaming`], or per message with
//!   [`Connection::set_stream_messages`]): take outputs with
//!   [`Connection::poll_stream_event`] instead of `poll_event`; a streamed message comes
//!   as [`StreamEvent::MessageStart`], [`StreamEvent::MessageChunk`]s (zero-copy slices
//!   of the receive buffer; text in whole, validated code points; inflated in bounded
//!   steps with permessage-deflate) and [`StreamEvent::MessageEnd`], in order with the
//!   other events. `wants_read` stays false while a chunk waits, so the engine holds
//!   about one read's worth of a message of any size; its size limit is
//!   [`Streaming::max_streamed_message_size`].
//! * **Completion-based I/O** (io_uring): [`Connection::poll_transmit_owned`] hands out
//!   the queued bytes as shared [`Bytes`], and [`Connection::take_receive_buffer`] /
//!   [`Connection::handle_received_owned`] lend and adopt an owned receive buffer.
//!
//! `examples/mio_echo.rs` is this loop over mio for many connections on one thread, in
//! under 150 lines: the reference for embedding the engine in a runtime of your own
//! (`cargo run --release -p websock-core --example mio_echo -- 127.0.0.1:9001`).
//!
//! # Layers above the connection
//!
//! * [`session`]: what an idiomatic API (`recv`, `send`, `Stream`/`Sink`, an iterator)
//!   needs: [`session::Incoming`], the event → incoming mapping (a failure once, then
//!   the end), the close event, what the handshake agreed, a `Sink`'s parked message,
//!   and the runtime adapters' one error type.
//! * [`browser`]: what the browser's `WebSocket` face needs: `url`, `binaryType`, the
//!   `send` / `close` rules, the event queue bounded by count and bytes, the `on*`
//!   handlers, and closing with 1001 when the last handle goes away.
//!
//! Here is that loop with an in-memory "transport": a client and a server talking to each
//! other, with simulated time.
//!
//! ```
//! use core::time::Duration;
//! use websock_core::handshake::ClientRequest;
//! use websock_core::{Config, Connection, Event, Message};
//!
//! /// Everything `conn` wants written, as one buffer.
//! fn transmit(conn: &mut Connection) -> Vec<u8> {
//!     let mut out = Vec::new();
//!     let mut slices: [&[u8]; 16] = [&[]; 16];
//!     let n = conn.poll_transmit(&mut slices);
//!     for s in &slices[..n] {
//!         out.extend_from_slice(s);
//!     }
//!     let written = out.len();
//!     conn.advance_transmit(written);
//!     out
//! }
//!
//! let now = Duration::ZERO;
//! let request = ClientRequest::new("example.com", "/chat");
//! let mut client = Connection::client(request, Config::default(), now).unwrap();
//! let mut server = Connection::server(Config::default(), now);
//!
//! // The client's opening request reaches the server, which inspects and accepts it.
//! server.handle_input(now, &transmit(&mut client));
//! let Some(Event::Request(req)) = server.poll_event() else { panic!() };
//! assert_eq!(req.path, "/chat");
//! server.accept(None, &[]).unwrap();
//! assert!(matches!(server.poll_event(), Some(Event::Open(_))));
//!
//! // The response opens the client; then a message goes out, masked, and arrives.
//! client.handle_input(now, &transmit(&mut server));
//! assert!(matches!(client.poll_event(), Some(Event::Open(_))));
//! client.send_text("Hello Server!").unwrap();
//! server.handle_input(now, &transmit(&mut client));
//! assert_eq!(server.poll_event().and_then(|e| match e {
//!     Event::Message(m) => Some(m),
//!     _ => None,
//! }), Some(Message::text("Hello Server!")));
//!
//! // The closing handshake.
//! client.close(now, Some(1000), "bye").unwrap();
//! server.handle_input(now, &transmit(&mut client));
//! client.handle_input(now, &transmit(&mut server));
//! assert!(matches!(server.poll_event(), Some(Event::Close(c)) if c.code == 1000 && c.was_clean));
//! assert!(matches!(client.poll_event(), Some(Event::Close(c)) if c.was_clean));
//! assert!(client.should_shutdown() && server.should_shutdown());
//! ```
//!
//! # Errors, by who is at fault
//!
//! * the **peer** broke the protocol: [`ProtocolError`] (with the close code the engine
//!   sent: 1002, 1007, 1009), reported as [`Event::Error`] then [`Event::Close`];
//! * the **caller** misused the API: [`ApiError`], named like the browser's exceptions
//!   (`SyntaxError`, `InvalidStateError`, ...), and [`SendError`];
//! * the **transport**: only in adapters; this crate never holds an `io::Error`.
//!
//! # Features
//!
//! * `std` (default): the OS-seeded CSPRNG default, `std::error::Error` impls, the
//!   `std::io` driver helpers ([`Connection::read_from`], [`Connection::write_to`]) and
//!   the adapters' [`session::Error`], and [`blocking`]: the blocking handles
//!   (`WebSocketStream<S>`, the browser `WebSocket<R>`) and their driver, over a
//!   runtime's `Runtime` (clock, threads, a client's transport) and `Transport`
//!   (`Read + Write`) traits; what websock-std is built on. Without it the crate is `#![no_std]` + `alloc`;
//!   pass a random source in [`Config::rng`] (a server never needs one).
//! * `deflate` (default): permessage-deflate (RFC 7692).
//! * `rustls`: `tls`, the rustls configurations the runtimes share.
//! * `handles`: `handle`, the async handles (`WebSocketStream`, the browser `WebSocket`)
//!   and the driver task, over a runtime's `Runtime` and `Transport` traits; what
//!   websock-tokio and websock-smol are built on.
//! * `http`: `handshake::http`, the opening handshake in the `http` crate's types
//!   (conversions of the request and response heads, and the server's upgrade on an
//!   `http::Request` with permessage-deflate), for hyper, axum and other HTTP servers.
//! * `tungstenite`: `tungstenite_compat`, `From` / `TryFrom` between [`Message`] and
//!   `tungstenite::Message` (tungstenite 0.29), sharing the payload without a copy.
//! * `tracing`: `tracing` events from the engine, under one `websocket` span per
//!   connection (role, peer address, URL or request path): handshake result, close
//!   (code, reason, initiator, clean or not), protocol errors with their close code,
//!   timeouts, transport failures. Drivers record the peer with
//!   [`Connection::set_peer_addr`]. Off by default; without it nothing is emitted and
//!   nothing is paid. Needs `std`.
#![cfg_attr(not(feature = "std"), no_std)]
// Docs built without `std` keep the links to the items only `std` builds have (the
// `std::io` helpers, the blocking handles, the adapters' error type); a build with
// `std` checks every link.
#![cfg_attr(not(feature = "std"), allow(rustdoc::broken_intra_doc_links))]
#![deny(missing_docs)]
#![deny(unsafe_code)]

extern crate alloc;

pub mod api;
#[cfg(feature = "std")]
pub mod blocking;
pub mod browser;
pub mod close;
mod config;
mod connection;
#[cfg(feature = "deflate")]
pub mod deflate;
pub mod dom;
mod error;
mod event;
#[cfg(feature = "std")]
mod facts;
pub mod frame;
#[cfg(feature = "handles")]
pub mod handle;
pub mod handshake;
pub mod mask;
mod message;
mod prepared;
pub mod proxy;
pub mod rng;
mod role;
pub mod session;
mod settings;
#[cfg(feature = "rustls")]
pub mod tls;
mod trace;
#[cfg(feature = "tungstenite")]
pub mod tungstenite_compat;
pub mod utf8;

pub use bytes::{Bytes, BytesMut};
pub use config::{Config, Limits, Streaming, Timeouts};
pub use connection::{Connection, Decision, Role, SendError, TrySendError};
pub use error::{ApiError, Error, HandshakeError, ProtocolError};
pub use event::{CloseEvent, Event, Open, StreamEvent};
pub use message::{Message, MessageKind, Text};
pub use prepared::PreparedMessage;
pub use proxy::{Proxy, ProxyError};
pub use settings::{ClientSettings, ServerSettings};
