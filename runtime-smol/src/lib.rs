//! websock for smol: WebSocket (RFC 6455) clients and servers over futures-io streams
//! (`async-net`, `async-io` timers, rustls for `wss://`).
//!
//! Every protocol decision is made by [`websock_core`]: its sans-IO engine, and its async
//! handles and driver ([`websock_core::handle`]), shared with websock-tokio. This
//! crate is smol's [`Runtime`](websock_core::handle::Runtime) ([`Smol`]: `smol::spawn`,
//! async-io timers, async-net sockets, futures-rustls), and offers two faces:
//!
//! * the **idiomatic API**: [`connect`] / [`accept`] give a [`WebSocketStream`], a
//!   [`Stream`](futures_core::Stream) of `Result<Message, Error>` and a
//!   [`Sink`](futures_sink::Sink) of [`Message`], with async
//!   [`send`](WebSocketStream::send) / [`recv`](WebSocketStream::recv),
//!   [`try_send`](WebSocketStream::try_send) (backpressure without waiting),
//!   [`ping`](WebSocketStream::ping), [`close`](WebSocketStream::close), and
//!   [`split`](WebSocketStream::split) into halves for two tasks or threads. An
//!   unsplit stream drives its connection in its own calls (pongs, close echoes and
//!   timers while a `recv` is in progress); split halves have a driver task
//!   (`smol::spawn`) that keeps it driven whether or not anyone receives.
//! * the **browser's face**: [`WebSocket`], the WHATWG `WebSocket` interface, connecting
//!   and driving in the same kind of task, with a dispatcher task for its events.
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
//! With handlers (they run on the connection's dispatcher task):
//!
//! ```no_run
//! use websock_smol::WebSocket;
//!
//! let socket = WebSocket::new("ws://localhost:8080", &[])?;
//! socket.on_open(|socket| {
//!     socket.send("Hello Server!").unwrap();
//! });
//! socket.on_message(|_socket, data| {
//!     println!("Message from server {data}");
//! });
//! // Keep the socket (and the program) alive until the connection closes.
//! smol::block_on(async { while socket.next_event().await.is_some() {} });
//! # Ok::<(), websock_smol::ApiError>(())
//! ```
//!
//! Or awaiting events (the `WebSocket` is also a `Stream` of them):
//!
//! ```no_run
//! use websock_smol::{BrowserEvent, WebSocket};
//!
//! smol::block_on(async {
//!     let socket = WebSocket::new("ws://localhost:8080", &[])?;
//!     while let Some(event) = socket.next_event().await {
//!         match event {
//!             BrowserEvent::Open => socket.send("Hello Server!")?,
//!             BrowserEvent::Message(data) => println!("Message from server {data}"),
//!             BrowserEvent::Error | BrowserEvent::Close(_) => {}
//!         }
//!     }
//!     Ok::<(), websock_smol::ApiError>(())
//! })?;
//! # Ok::<(), websock_smol::ApiError>(())
//! ```
//!
//! # Mapping to the browser API
//!
//! | browser | websock-smol |
//! |---|---|
//! | `new WebSocket(url, protocols)` | [`WebSocket::new`]`(url, &[..])` → `Err(ApiError::Syntax / Security)` ([`ApiError::name`] gives `"SyntaxError"`...) |
//! | `binaryType` | [`WebSocket::binary_type`], [`WebSocket::set_binary_type`] ([`BinaryType`]) |
//! | `bufferedAmount` | [`WebSocket::buffered_amount`] (read from the engine) |
//! | `extensions`, `protocol`, `url` | [`WebSocket::extensions`], [`WebSocket::protocol`], [`WebSocket::url`] |
//! | `readyState` | [`WebSocket::ready_state`] ([`ReadyState`]: `as_u16()` gives 0-3) |
//! | `close(code, reason)` | [`WebSocket::close`]`(Option<u16>, Option<&str>)` → `InvalidAccessError` / `SyntaxError` |
//! | `send(data)` | [`WebSocket::send`]: `&str`/`String` as text, bytes as binary; `InvalidStateError` while CONNECTING |
//! | `onopen`, `onmessage`, `onerror`, `onclose` | [`WebSocket::on_open`], [`WebSocket::on_message`], [`WebSocket::on_error`], [`WebSocket::on_close`] |
//! | `addEventListener` + event loop | `WebSocket::next_event().await` / [`WebSocket::events`] (a `Stream`) yielding [`BrowserEvent`] |
//! | `MessageEvent.data` | [`MessageData`]: `Text`, `Blob` or `ArrayBuffer` per `binaryType` |
//! | `CloseEvent` (`code`, `reason`, `wasClean`) | [`CloseEvent`] (`code`, `reason`, `was_clean`) |
//!
//! An event goes to its handler if one is set, else to `next_event`. Every connection
//! failure (DNS, refused, TLS, bad handshake, missing subprotocol) is an `Error` event
//! then a `Close` with 1006, as in the browser. Strings are Rust strings, so the seeds'
//! unpaired-surrogate rules cannot arise here; [`websock_core::dom`] has the UTF-16
//! checks for hosts that carry script strings.
//!
//! # The idiomatic API
//!
//! ```no_run
//! use websock_smol::{connect, Message};
//!
//! smol::block_on(async {
//!     let mut ws = connect("ws://localhost:8080/chat").await?;
//!     ws.send(Message::text("hello")).await?;
//!     while let Some(message) = ws.recv().await {
//!         println!("{:?}", message?);
//!         ws.close(Some(1000), "done").await?;
//!     }
//!     println!("closed: {:?}", ws.close_event());
//!     Ok::<(), websock_smol::Error>(())
//! })
//! # .unwrap();
//! ```
//!
//! A server, checking the `Origin`:
//!
//! ```no_run
//! use async_net::TcpListener;
//! use websock_smol::{accept_with, Decision, ServerOptions};
//!
//! smol::block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:8080").await?;
//!     #[allow(clippy::infinite_loop)]
//!     loop {
//!         let (tcp, _) = listener.accept().await?;
//!         smol::spawn(async move {
//!             let mut ws = accept_with(tcp, ServerOptions::default(), |req| {
//!                 match req.origin() {
//!                     Some("https://example.com") => Decision::accept(),
//!                     _ => Decision::reject(403),
//!                 }
//!             })
//!             .await?;
//!             while let Some(message) = ws.recv().await {
//!                 ws.send(message?).await?;
//!             }
//!             Ok::<(), websock_smol::Error>(())
//!         })
//!         .detach();
//!     }
//!     #[allow(unreachable_code)]
//!     Ok::<(), std::io::Error>(())
//! })
//! # .unwrap();
//! ```
//!
//! # Features
//!
//! `tls` (default): `wss://` with rustls (the `ring` provider, webpki roots), and the
//! [`tls`] helpers for servers.
#![deny(missing_docs)]
#![deny(unsafe_code)]

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
pub use runtime::{Io, Smol, SmolTimer};
pub use stream::MaybeTlsStream;
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
