//! The crate's error type: websock-core's [`session::Error`](websock_core::session::Error),
//! re-exported.
//!
//! Every runtime adapter reports the same failure as the same variant (`Io`, `Tls`,
//! `Url`, `Api`, `Handshake`, `Protocol`, `Send`, `Closed`), so the type and its rules
//! (which failure wins when the transport's own error and the engine's both exist:
//! [`Error::from_failure`]; a refused send: [`Error::from_send`]) are defined once in
//! core. This crate only builds the values: [`Error::Io`] for DNS, TCP and transport
//! failures, [`Error::tls`] for rustls errors, [`Error::Url`] for a URL or subprotocol
//! list refused by the browser's rules (and `wss://` without the `tls` feature).

pub use websock_core::session::{Error, Result};
