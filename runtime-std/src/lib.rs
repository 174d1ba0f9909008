//! websock for blocking std: WebSocket (RFC 6455) clients and servers over
//! `std::net::TcpStream` (or any [`Transport`]), with threads and no async runtime.
//!
//! Every protocol decision is made by [`websock_core`]'s sans-IO engine; this crate
//! moves bytes and time (the blocking driver is websock-core's
//! [`blocking`](websock_core::blocking); this crate gives it sockets, TLS, a clock and
//! threads) and offers two faces:
//!
//! * the **idiomatic API**: [`connect`] / [`accept`] give a [`WebSocketStream`] with
//!   blocking [`send`](WebSocketStream::send) / [`recv`](WebSocketStream::recv), an
//!   [`Iterator`] over messages ([`incoming`](WebSocketStream::incoming)), and
//!   [`split`](WebSocketStream::split) into a sender and a receiver for two threads,
//!   and streamed messages for payloads larger than memory
//!   ([`recv_stream`](WebSocketStream::recv_stream) gives a [`MessageReader`]
//!   (`std::io::Read`), [`send_stream`](WebSocketStream::send_stream) a
//!   [`MessageWriter`] (`std::io::Write`));
//! * the **browser's face**: [`WebSocket`], the WHATWG `WebSocket` interface.
//!
//! # The browser's example, ported
//!
//! MDN's example:
//!
//! ```js
//! const socket = new WebSocket("ws://localhost:8080");
//! socket.addEventListener("open", (event) => { socket.send("Hello Server!"); });
//! socket.addEventListener("message", (event) => { console.log("Message from server ", event.data); });
//! ```
//!
//! With handlers (they run on the connection's background thread):
//!
//! ```no_run
//! use websock_std::WebSocket;
//!
//! let socket = WebSocket::new("ws://localhost:8080", &[])?;
//! socket.on_open(|socket| {
//!     socket.send("Hello Server!").unwrap();
//! });
//! socket.on_message(|_socket, data| {
//!     println!("Message from server {data:?}");
//! });
//! // Keep the socket (and the program) alive until the connection closes.
//! for _unhandled in socket.events() {}
//! # Ok::<(), websock_std::ApiError>(())
//! ```
//!
//! Or pulling events, the blocking way:
//!
//! ```no_run
//! use websock_std::{BrowserEvent, WebSocket};
//!
//! let socket = WebSocket::new("ws://localhost:8080", &[])?;
//! for event in socket.events() {
//!     match event {
//!         BrowserEvent::Open => socket.send("Hello Server!")?,
//!         BrowserEvent::Message(data) => println!("Message from server {data:?}"),
//!         BrowserEvent::Error | BrowserEvent::Close(_) => {}
//!     }
//! }
//! # Ok::<(), websock_std::ApiError>(())
//! ```
//!
//! # Mapping to the browser API
//!
//! | browser | websock-std |
//! |---|---|
//! | `new WebSocket(url, protocols)` | [`WebSocket::new`]`(url, &[..])` → `Err(ApiError::Syntax / Security)` ([`ApiError::name`] gives `"SyntaxError"`...) |
//! | `binaryType` | [`WebSocket::binary_type`], [`WebSocket::set_binary_type`] ([`BinaryType`]) |
//! | `bufferedAmount` | [`WebSocket::buffered_amount`] |
//! | `extensions`, `protocol`, `url` | [`WebSocket::extensions`], [`WebSocket::protocol`], [`WebSocket::url`] |
//! | `readyState` | [`WebSocket::ready_state`] ([`ReadyState`]: `as_u16()` gives 0-3) |
//! | `close(code, reason)` | [`WebSocket::close`]`(Option<u16>, Option<&str>)` → `InvalidAccessError` / `SyntaxError` |
//! | `send(data)` | [`WebSocket::send`]: `&str`/`String` as text, bytes as binary; `InvalidStateError` while CONNECTING |
//! | `onopen`, `onmessage`, `onerror`, `onclose` | [`WebSocket::on_open`], [`WebSocket::on_message`], [`WebSocket::on_error`], [`WebSocket::on_close`] |
//! | `addEventListener` + event loop | [`WebSocket::next_event`] / [`WebSocket::events`] yielding [`BrowserEvent`] |
//! | `MessageEvent.data` | [`MessageData`]: `Text`, `Blob` or `ArrayBuffer` per `binaryType` |
//! | `CloseEvent` (`code`, `reason`, `wasClean`) | [`CloseEvent`] (`code`, `reason`, `was_clean`) |
//!
//! Strings are Rust strings, so the seeds' unpaired-surrogate rules cannot arise here;
//! [`websock_core::dom`] has the UTF-16 checks for hosts that carry script strings.
//!
//! # The idiomatic API
//!
//! ```no_run
//! use websock_std::{connect, Message};
//!
//! let mut ws = connect("ws://localhost:8080/chat")?;
//! ws.send(Message::text("hello"))?;
//! while let Some(message) = ws.recv() {
//!     println!("{:?}", message?);
//! }
//! println!("closed: {:?}", ws.close_event());
//! # Ok::<(), websock_std::Error>(())
//! ```
//!
//! A server:
//!
//! ```no_run
//! use std::net::TcpListener;
//! use websock_std::{accept_with, Decision, ServerOptions};
//!
//! let listener = TcpListener::bind("127.0.0.1:9001")?;
//! for tcp in listener.incoming() {
//!     let tcp = tcp?;
//!     std::thread::spawn(move || {
//!         let ws = accept_with(tcp, ServerOptions::default(), |request| {
//!             match request.origin() {
//!                 Some("https://example.com") | None => Decision::accept(),
//!                 Some(_) => Decision::reject(403),
//!             }
//!         });
//!         let Ok(mut ws) = ws else { return };
//!         while let Some(Ok(message)) = ws.recv() {
//!             if ws.send(message).is_err() {
//!                 break;
//!             }
//!         }
//!     });
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Features
//!
//! * `tls` (default): `wss://` with rustls (ring) and the webpki roots; servers take a
//!   `rustls::ServerConfig` ([`tls::accept_tls`], [`tls::server_config`]).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod accept;
mod browser;
mod connect;
mod options;
mod runtime;
mod stream;
#[cfg(feature = "tls")]
pub mod tls;
mod websocket;

pub use accept::{accept, accept_with, from_upgraded};
pub use browser::{Events, WebSocket};
pub use connect::{client_handshake, connect, connect_with};
pub use options::{ClientOptions, ServerOptions};
pub use stream::{MaybeTlsStream, Transport};
pub use websocket::{
    MessageReader, MessageWriter, Messages, WebSocketReceiver, WebSocketSender, WebSocketStream,
};

/// The vocabulary shared by every runtime: `Message`, `CloseEvent`, `Error`, `Incoming`,
/// `ReadyState`, `BinaryType`, `MessageData`, `BrowserEvent`, `Decision`, `Request`,
/// `Response`, `Limits`, `Timeouts`, `DeflateConfig`, ... (websock-core's
/// [`api`](websock_core::api)).
pub use websock_core::api::*;

/// rustls, re-exported for its configuration types (`ClientConfig`, `ServerConfig`,
/// `pki_types`).
#[cfg(feature = "tls")]
pub use rustls;
