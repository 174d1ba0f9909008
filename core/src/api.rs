//! The vocabulary every runtime adapter re-exports (`pub use websock_core::api::*;`), so
//! the three crates name the same things the same way: messages and close events, the
//! browser face's types, the options' parts, the handshake heads, the session's
//! [`Incoming`] and the adapters' one [`Error`] type.

pub use crate::config::{Config, Limits, Streaming, Timeouts};
pub use crate::connection::{Decision, Role, SendError};
#[cfg(feature = "deflate")]
pub use crate::deflate::DeflateConfig;
pub use crate::dom::{BinaryType, BrowserEvent, Compat, MessageData, ReadyState};
pub use crate::error::{ApiError, HandshakeError};
pub use crate::event::CloseEvent;
pub use crate::handshake::{Request, Response};
pub use crate::message::{Message, MessageKind, Text};
pub use crate::prepared::PreparedMessage;
pub use crate::proxy::{Proxy, ProxyAuth, ProxyError, ProxyKind};
pub use crate::session::Incoming;
#[cfg(feature = "std")]
pub use crate::session::{Error, Result};
pub use bytes::Bytes;
