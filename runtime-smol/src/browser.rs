//! The browser's face: [`WebSocket`], with the browser's constructor, attributes,
//! methods, exceptions and events (websock-core's [`websock_core::handle::WebSocket`]
//! on smol: a driver task connects and drives the connection, a dispatcher task hands
//! out the events). Its tasks run on smol's global executor.
//!
//! Where MDN's pages and today's WHATWG standard differ (a blocked port; unpaired
//! surrogates in [`WebSocket::send_utf16`] and [`WebSocket::close_utf16`]),
//! [`WebSocket::with_compat`] picks one ([`crate::Compat`]; `Mdn` by default).

use crate::runtime::Smol;

/// The browser's `WebSocket`, on smol.
pub type WebSocket = websock_core::handle::WebSocket<Smol>;

/// The stream of events from [`WebSocket::events`].
pub type Events<'a> = websock_core::handle::Events<'a, Smol>;
