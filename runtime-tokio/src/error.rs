//! The adapter's error type: who is at fault, and what to do about it.
//!
//! It is websock-core's [`websock_core::session::Error`], re-exported: the same failure
//! is the same variant in every runtime crate (tokio, smol, std), and the rule for when
//! the transport's own `io::Error` replaces the engine's failure
//! ([`Error::from_failure`]) is decided once, in core. This crate only builds the
//! variants it alone can see: [`Error::Io`] from its sockets, [`Error::Tls`] (with
//! [`Error::tls`]) from rustls.

pub use websock_core::session::{Error, Result};
