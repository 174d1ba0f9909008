//! The browser's face: [`WebSocket`], with the browser's constructor, attributes,
//! methods, exceptions and events (websock-core's [`websock_core::handle::WebSocket`]
//! on tokio: a driver task connects and drives the connection, a dispatcher task hands
//! out the events). Must be created inside a tokio runtime.
//!
//! Where MDN's pages and today's WHATWG standard differ (a blocked port; unpaired
//! surrogates in [`WebSocket::send_utf16`] and [`WebSocket::close_utf16`]),
//! [`WebSocket::with_compat`] picks one ([`crate::Compat`]; `Mdn` by default).

use crate::runtime::Tokio;

/// The browser's `WebSocket`, on tokio.
pub type WebSocket = websock_core::handle::WebSocket<Tokio>;

/// The stream of events from [`WebSocket::events`].
pub type Events<'a> = websock_core::handle::Events<'a, Tokio>;
