//! websock adapter for tokio (docs below).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod accept;
mod browser;
mod connect;
mod driver;
mod error;
mod options;
mod shared;
mod stream;
#[cfg(feature = "tls")]
pub mod tls;
mod websocket;

pub use accept::{accept, accept_with, from_upgraded, Decision};
pub use browser::{BrowserEvent, MessageData, WebSocket};
pub use connect::{client_handshake, connect, connect_with};
pub use error::{Error, Result};
pub use options::{ClientOptions, ServerOptions};
pub use stream::MaybeTlsStream;
pub use websocket::{Incoming, WebSocketReceiver, WebSocketSender, WebSocketStream};

pub use websock_core::dom::{BinaryType, ReadyState};
pub use websock_core::handshake::{Request, Response};
pub use websock_core::{
    ApiError, Bytes, CloseEvent, Config, HandshakeError, Limits, Message, MessageKind, Role,
    SendError, Text, Timeouts,
};
#[cfg(feature = "tls")]
pub use rustls;
