//! websock for tokio: a WebSocket client and server (RFC 6455) driving the sans-IO
//! engine [`websock_core`] over tokio's `AsyncRead`/`AsyncWrite`, with two faces:
//!
//! * the browser's [`WebSocket`] (same constructor, attributes, methods, exceptions and
//!   events as in a browser), and
//! * an idiomatic async API, [`WebSocketStream`] (`send`/`recv`, `futures` `Stream` and
//!   `Sink`, [`split`](WebSocketStream::split) halves, backpressure), from [`connect`],
//!   [`accept`] / [`accept_with`], [`client_handshake`], [`from_upgraded`] /
//!   [`from_upgraded_with`], or inside hyper and axum with the `upgrade` module (feature
//!   `hyper`).
//!
//! Every protocol rule lives in `websock-core`; this crate moves bytes and time. Each
//! connection has one background task (`tokio::spawn`) that owns the transport and
//! keeps the connection driven: pongs, close echoes, timers (handshake deadline, close
//! timeout, keepalive). Functions that start a connection must run inside a tokio runtime.
//!
//! # The browser's API, ported
//!
//! MDN's example,
//!
//! ```js
//! const socket = new WebSocket("ws://localhost:8080");
//! socket.addEventListener("open", (event) => { socket.send("Hello Server!"); });
//! socket.addEventListener("message", (event) => { console.log("Message from server ", event.data); });
//! ```
//!
//! becomes
//!
//! ```no_run
//! use websock_tokio::{BrowserEvent, WebSocket};
//!
//! # async fn run() -> Result<(), websock_tokio::ApiError> {
//! let socket = WebSocket::new("ws://localhost:8080", &[])?;
//! socket.on_open(|socket| {
//!     let _ = socket.send("Hello Server!");
//! });
//! socket.on_message(|_, data| println!("Message from server {data}"));
//! // Or, without handlers, take the events in order:
//! while let Some(event) = socket.next_event().await {
//!     if let BrowserEvent::Close(close) = event {
//!         println!("closed with {}", close.code);
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! | browser | here |
//! |---|---|
//! | `new WebSocket(url, protocols)` | [`WebSocket::new`]`(url, &[..])` → `Err(`[`ApiError`]`)` for `SyntaxError` / `SecurityError`; [`WebSocket::with_options`] for headers, limits, TLS |
//! | `binaryType` | [`WebSocket::binary_type`] / [`WebSocket::set_binary_type`] |
//! | `bufferedAmount` | [`WebSocket::buffered_amount`] (from the engine; grows after close) |
//! | `extensions`, `protocol`, `url` | [`WebSocket::extensions`], [`WebSocket::protocol`], [`WebSocket::url`] |
//! | `readyState` | [`WebSocket::ready_state`] → [`ReadyState`] (CONNECTING 0 ... CLOSED 3) |
//! | `close(code, reason)` | [`WebSocket::close`]`(Option<u16>, Option<&str>)`: `InvalidAccessError`, `SyntaxError` |
//! | `send(data)` | [`WebSocket::send`]`(&str / String / bytes)`: `InvalidStateError` while CONNECTING |
//! | `onopen`, `onmessage`, `onerror`, `onclose` | [`WebSocket::on_open`], [`on_message`](WebSocket::on_message), [`on_error`](WebSocket::on_error), [`on_close`](WebSocket::on_close), called by the background task |
//! | `addEventListener` / event loop | [`WebSocket::next_event`]`().await` or the `Stream` of [`BrowserEvent`]s (events without a handler) |
//! | `MessageEvent.data` | [`MessageData`]`::Text`, `Blob` or `ArrayBuffer` (by `binaryType`) |
//! | `CloseEvent` | [`CloseEvent`] `{ code, reason, was_clean }` |
//!
//! Events come in the browser's order: `Open`, `Message`s, then `Error` if the
//! connection failed (DNS, refused, TLS, bad handshake, protocol violation), and always
//! `Close` last (1006 and `was_clean == false` after a failure).
//!
//! # The idiomatic API
//!
//! ```no_run
//! use websock_tokio::{connect, Message};
//!
//! # async fn run() -> Result<(), websock_tokio::Error> {
//! let mut ws = connect("ws://localhost:8080/chat").await?;
//! ws.send(Message::text("hello")).await?;
//! while let Some(message) = ws.recv().await {
//!     println!("{:?}", message?);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! A server, deciding on each request:
//!
//! ```no_run
//! use websock_tokio::{accept_with, Decision, ServerOptions};
//!
//! # async fn run() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! loop {
//!     let (tcp, _) = listener.accept().await?;
//!     tokio::spawn(async move {
//!         let ws = accept_with(tcp, ServerOptions::new(), |req| {
//!             match req.origin() {
//!                 Some("https://example.com") => Decision::accept(),
//!                 _ => Decision::reject(403),
//!             }
//!         });
//!         if let Ok(mut ws) = ws.await {
//!             while let Some(Ok(message)) = ws.recv().await {
//!                 if ws.send(message).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         }
//!     });
//! }
//! # }
//! ```
//!
//! `wss://` uses rustls (ring) behind the default `tls` feature: see [`tls`] for server
//! configurations and for trusting a private certificate.
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
#[cfg(feature = "hyper")]
pub mod upgrade;
mod websocket;

pub use accept::{accept, accept_with, from_upgraded, from_upgraded_with};
pub use browser::{Events, WebSocket};
pub use connect::{client_handshake, connect, connect_with};
pub use options::{ClientOptions, ServerOptions};
pub use runtime::{Io, Tokio, TokioTimer};
pub use stream::MaybeTlsStream;
pub use websocket::{
    MessageReader, MessageWriter, Messages, WebSocketReceiver, WebSocketSender, WebSocketStream,
};

#[cfg(feature = "tls")]
pub use rustls;
/// The vocabulary shared by every runtime: `Message`, `CloseEvent`, `Error`, `Incoming`,
/// `ReadyState`, `BinaryType`, `MessageData`, `BrowserEvent`, `Decision`, `Request`,
/// `Response`, `Limits`, `Timeouts`, `DeflateConfig`, ... (websock-core's
/// [`api`](websock_core::api)).
pub use websock_core::api::*;
/// What an opening handshake done elsewhere agreed, for [`from_upgraded_with`].
pub use websock_core::handshake::Agreement;
