//! Target `server_connection`: a whole server connection driven by a [`Script`]:
//! arbitrary client bytes in arbitrary chunks (the opening request included, in
//! [`Mode::RawHandshake`]), interleaved commands and timer firings. See [`crate::conn`]
//! for what is checked.
//!
//! [`Script`]: crate::conn::Script
//! [`Mode::RawHandshake`]: crate::conn::Mode::RawHandshake

use websock_core::Role;

/// The target's entry point.
pub fn run(data: &[u8]) {
    crate::conn::run(Role::Server, data);
}
