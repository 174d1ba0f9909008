//! The server: accept a WebSocket over any stream, with a say on the handshake.

use std::sync::Arc;
use std::time::{Duration, Instant};

use websock_core::handshake::Request;
pub use websock_core::Decision;
use websock_core::{Config, Connection, Event, Role};

use crate::driver::{Reader, Shared};
use crate::error::{Error, Result};
use crate::options::ServerOptions;
use crate::stream::Transport;
use crate::websocket::WebSocketStream;

/// Accept a WebSocket over `stream` (an accepted `TcpStream`, a
/// [`MaybeTlsStream`](crate::MaybeTlsStream), a `UnixStream`...), with the default
/// [`ServerOptions`], accepting every valid request without a subprotocol.
pub fn accept<S: Transport>(stream: S) -> Result<WebSocketStream<S>> {
    accept_with(stream, ServerOptions::default(), |_| Decision::accept())
}

/// Accept a WebSocket over `stream`: read the upgrade request, let `callback` inspect
/// it (path, `Origin`, offered subprotocols, cookies) and decide, then answer.
///
/// Invalid requests are answered by the engine (400, 405, 426...) without calling
/// `callback`. The whole handshake must finish within
/// [`Timeouts::handshake`](websock_core::Timeouts::handshake).
///
/// # Errors
///
/// [`Error::Handshake`] with `Rejected(status)` after a [`Decision::Reject`] was sent,
/// or with the engine's reason for a bad request; [`Error::Api`] if the decision was
/// invalid (a subprotocol the client did not offer, a bad header: the client then gets
/// a 500); [`Error::Protocol`] with `HandshakeTimeout`; [`Error::Io`].
pub fn accept_with<S, F>(
    stream: S,
    options: ServerOptions,
    callback: F,
) -> Result<WebSocketStream<S>>
where
    S: Transport,
    F: FnOnce(&Request) -> Decision,
{
    let conn = Connection::server(options.config(), Duration::ZERO);
    let shared = Arc::new(Shared::with_stream(conn, Instant::now(), stream));
    shared.lock().close_timeout = options.timeouts.close;
    let mut reader = Reader::new();
    let mut callback = Some(callback);
    let mut request = None;
    let mut failure = None;
    loop {
        match shared.next_event(&mut reader) {
            Some(Event::Request(req)) => {
                let decision = callback.take().map_or(Decision::reject(500), |f| f(&req));
                if let Err(e) = decide(&shared, decision) {
                    failure = Some(e);
                }
                request = Some(req);
            }
            Some(Event::Open(_)) => {
                // Hand the 101 response to the transport before returning.
                let st = shared.flush(shared.lock(), true);
                if let Some(e) = st.io_failure() {
                    return Err(Error::from(e));
                }
                drop(st);
                return Ok(WebSocketStream::new(shared, reader, request, None));
            }
            Some(Event::Error(e)) => {
                let io = shared.lock().take_io_error();
                let err = io.map_or_else(|| Error::from(e), Error::from);
                // Deliver the HTTP answer (e.g. the 403), then stop.
                shared.finish_write();
                return Err(failure.unwrap_or(err));
            }
            Some(_) => {}
            None => return Err(failure.unwrap_or(Error::Closed)),
        }
    }
}

/// Apply the application's decision; an invalid one is answered with a 500.
fn decide<S: Transport>(shared: &Shared<S>, decision: Decision) -> Result<()> {
    shared.lock().conn.decide(decision).map_err(Error::Api)
}

/// Wrap a stream whose HTTP upgrade was done elsewhere (for example by hyper, after
/// `101 Switching Protocols`): the connection is open from the start, as `role`, with
/// `protocol` as the agreed subprotocol.
pub fn from_upgraded<S: Transport>(
    stream: S,
    role: Role,
    protocol: Option<String>,
    config: Config,
) -> WebSocketStream<S> {
    let close_timeout = config.timeouts.close;
    let mut conn = Connection::upgraded(role, protocol, config, Duration::ZERO);
    // The engine reports Open first; the stream is open already.
    let _ = conn.poll_event();
    let shared = Arc::new(Shared::with_stream(conn, Instant::now(), stream));
    shared.lock().close_timeout = close_timeout;
    WebSocketStream::new(shared, Reader::new(), None, None)
}
