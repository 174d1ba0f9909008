//! The adapter's error type: websock-core's [`session::Error`](websock_core::session::Error),
//! re-exported.
//!
//! Every websock runtime reports the same failure as the same variant: the transport's
//! fault ([`Error::Io`], [`Error::Tls`]), the caller's ([`Error::Url`], [`Error::Api`],
//! [`Error::Send`]), the opening handshake's ([`Error::Handshake`]), the peer's or a
//! timer's ([`Error::Protocol`]), or "the connection is over" ([`Error::Closed`]). So the
//! type, and the rule for when the transport's own `io::Error` replaces the engine's
//! failure ([`Error::from_failure`]), are defined once in core; this file stays so that
//! each runtime crate has the same files, and says where its `Error` comes from.

pub use websock_core::session::{Error, Result};
