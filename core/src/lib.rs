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
//! A [`Connection`] has inputs, commands, outputs and getters. A driver is one short loop:
//!
//! ```text
//! loop {
//!     write what poll_transmit offers (one vectored write); advance_transmit(written)
//!     hand every poll_event to the application
//!     if should_shutdown(): shut the transport's write side down (once)
//!     if is_finished(): drop the transport, stop
//!     wait for: readable bytes | the deadline from poll_timeout | an application command
//!         bytes -> handle_input(now, bytes)   eof -> handle_eof(now)
//!         deadline -> handle_timeout(now)     command -> send / close / ...
//! }
//! ```
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
//! * `std` (default): the OS-seeded CSPRNG default and `std::error::Error` impls.
//!   Without it the crate is `#![no_std]` + `alloc`; pass a random source in
//!   [`Config::rng`].
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

extern crate alloc;

pub mod browser;
pub mod close;
pub mod config;
pub mod connection;
#[cfg(feature = "deflate")]
pub mod deflate;
pub mod dom;
pub mod error;
pub mod event;
pub mod frame;
pub mod handshake;
pub mod mask;
pub mod message;
pub mod rng;
pub mod session;
pub mod settings;
pub mod utf8;

pub use bytes::{Bytes, BytesMut};
pub use config::{Config, Limits, Timeouts};
pub use connection::{Connection, Decision, Role, SendError, TrySendError};
pub use error::{ApiError, Error, HandshakeError, ProtocolError};
pub use event::{CloseEvent, Event, Open};
pub use message::{Message, MessageKind, Text};
pub use settings::{ClientSettings, ServerSettings};
