//! websock-core: a sans-IO WebSocket (RFC 6455) protocol engine. (Crate docs are written below.)
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

extern crate alloc;

pub mod close;
pub mod config;
pub mod connection;
pub mod dom;
pub mod error;
pub mod event;
pub mod frame;
pub mod handshake;
pub mod mask;
pub mod message;
pub mod rng;
pub mod utf8;

pub use bytes::{Bytes, BytesMut};
pub use config::{Config, Limits, Timeouts};
pub use connection::{Connection, Role, SendError};
pub use error::{ApiError, Error, HandshakeError, ProtocolError};
pub use event::{CloseEvent, Event, Open};
pub use message::{Message, MessageKind, Text};
