//! The server: accept a WebSocket over any stream, with a say on the handshake.

use std::sync::Arc;
use std::time::{Duration, Instant};

use websock_core::handshake::Request;
use websock_core::session::{Opening, Session};
use websock_core::Decision;
use websock_core::{Config, Connection, Role};

use crate::driver::{Reader, Shared};
use crate::options::ServerOptions;
use crate::stream::Transport;
use crate::websocket::WebSocketStream;
use crate::{Error, Result};

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
    let mut failure = None;
    loop {
        match shared.drive(&mut reader, false, |st| st.session.open(&mut st.conn)) {
            Some(Opening::Request(request)) => {
                let decision = callback
                    .take()
                    .map_or(Decision::reject(500), |f| f(&request));
                // An invalid decision is answered with a 500 by the engine.
                if let Err(e) = shared.lock().conn.decide(decision) {
                    failure = Some(Error::Api(e));
                }
            }
            Some(Opening::Open(agreed)) => {
                // Hand the 101 response to the transport before returning.
                shared.flush(shared.lock(), true).check_io()?;
                return Ok(WebSocketStream::new(shared, reader, agreed));
            }
            Some(Opening::Failed(e)) => {
                let err = shared.lock().failure(e);
                // Deliver the HTTP answer (e.g. the 403), then stop.
                shared.finish_write();
                return Err(failure.unwrap_or(err));
            }
            Some(Opening::Closed) | None => return Err(failure.unwrap_or(Error::Closed)),
        }
    }
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
    // The engine reports Open first, with what was agreed; the stream is open already.
    let agreed = match Session::new().open(&mut conn) {
        Some(Opening::Open(agreed)) => agreed,
        _ => Default::default(),
    };
    let shared = Arc::new(Shared::with_stream(conn, Instant::now(), stream));
    shared.lock().close_timeout = close_timeout;
    WebSocketStream::new(shared, Reader::new(), agreed)
}
