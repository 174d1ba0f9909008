//! Internal tracing hooks (the `tracing` feature).
//!
//! Every event is emitted here, from the engine, with the connection's span as its
//! explicit parent: whichever task or thread makes the engine call, the event belongs to
//! its connection, and every driver (tokio, smol, std, a custom loop) reports the same
//! events. Without the feature the macros expand to nothing and the span does not exist:
//! the engine pays nothing.
//!
//! Levels: `debug` for what happens to every connection (handshake agreed, clean close)
//! and for failures any client can cause a server (a bad request, a protocol error);
//! `info` for a connection that ends badly (timeouts, a lost transport, an unclean
//! close); `warn` for a server that misbehaves towards our client (a failed handshake or
//! a protocol error on the client side) and for our own faults (compression failed).

/// `trace_event!(conn, LEVEL, fields..., "message")`: a `tracing` event at `LEVEL`
/// (`DEBUG`, `INFO`, `WARN`, ...) whose parent is `conn`'s span. Expands to nothing
/// without the `tracing` feature (the field expressions are not evaluated).
#[cfg(feature = "tracing")]
macro_rules! trace_event {
    ($conn:expr, $level:ident, $($rest:tt)+) => {
        ::tracing::event!(parent: &$conn.span, ::tracing::Level::$level, $($rest)+)
    };
}

#[cfg(not(feature = "tracing"))]
macro_rules! trace_event {
    ($($rest:tt)*) => {
        ()
    };
}

/// `trace_peer_fault!(conn, fields..., "message")`: an event for something the peer did
/// wrong: `WARN` when `conn` is a client (the server it chose misbehaves), `DEBUG` when
/// it is a server (any client can cause it; not worth more on a busy server). Only
/// with the `tracing` feature (its callers are feature-gated).
#[cfg(feature = "tracing")]
macro_rules! trace_peer_fault {
    ($conn:expr, $($rest:tt)+) => {
        match $conn.role {
            $crate::Role::Client => $crate::trace::trace_event!($conn, WARN, $($rest)+),
            $crate::Role::Server => $crate::trace::trace_event!($conn, DEBUG, $($rest)+),
        }
    };
}

pub(crate) use trace_event;
#[cfg(feature = "tracing")]
pub(crate) use trace_peer_fault;

/// Who started the end of a connection, as the close event reports it (`initiator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Initiator {
    /// This side: `close()`, or the engine failed the connection (a protocol error, a
    /// timeout, an abort).
    Local,
    /// The peer's Close frame came first.
    Remote,
    /// The transport ended (end of stream, an I/O error) before either side sent a Close.
    Transport,
}

#[cfg(feature = "tracing")]
impl Initiator {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Initiator::Local => "local",
            Initiator::Remote => "remote",
            Initiator::Transport => "transport",
        }
    }
}

/// The connection's span: `websocket`, with `role` now and `peer`, `url` (client) and
/// `path` (server, the request target) recorded as they become known.
///
/// Its level is `WARN`, the least verbose of its events': a filter that lets any of
/// them through keeps the span too. (An event whose explicit parent is a disabled span
/// becomes a root event, and would lose its connection.)
#[cfg(feature = "tracing")]
pub(crate) fn connection_span(role: crate::Role) -> tracing::Span {
    tracing::span!(
        tracing::Level::WARN,
        "websocket",
        role = match role {
            crate::Role::Client => "client",
            crate::Role::Server => "server",
        },
        peer = tracing::field::Empty,
        url = tracing::field::Empty,
        path = tracing::field::Empty,
    )
}
