//! The browser's face: [`WebSocket`], shaped like the WHATWG `WebSocket` interface
//! (websock-core's [`blocking::WebSocket`](websock_core::blocking::WebSocket), on
//! std's threads and sockets).

use crate::runtime::Std;

/// A WebSocket with the browser's interface: `new WebSocket(url, protocols)`,
/// `readyState`, `bufferedAmount`, `send`, `close`, and the events open, message,
/// error and close, in the browser's order and with its rules (every rule is
/// websock-core's, shared by all websock runtimes). A background thread connects,
/// reads and dispatches (handlers run there); a writer thread writes once connected.
/// See [`websock_core::blocking::WebSocket`] for the methods.
pub type WebSocket = websock_core::blocking::WebSocket<Std>;

/// The events of a [`WebSocket`] that no handler took (see [`WebSocket::events`]).
pub type Events<'a> = websock_core::blocking::Events<'a, Std>;
