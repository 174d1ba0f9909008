//! The server: [`accept`], [`accept_with`] (a callback decides on each request), and
//! [`from_upgraded`] for a connection whose HTTP upgrade was done elsewhere (hyper).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use websock_core::handshake::Request;
use websock_core::session::{Agreed, Opening};
use websock_core::Decision;
use websock_core::{Config, Connection, Role};

use crate::driver;
use crate::options::ServerOptions;
use crate::shared::{Handle, Shared};
use crate::websocket::{opening, WebSocketStream};
use crate::Error;

/// Accepts a WebSocket connection on `stream` (a `TcpStream`, a TLS stream, ...) with
/// the default [`ServerOptions`], whatever the request's path, Origin or subprotocols.
pub async fn accept<S>(stream: S) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    accept_with(stream, ServerOptions::default(), |_| Decision::accept()).await
}

/// Reads the upgrade request from `stream`, lets `callback` inspect it (path, headers,
/// [`Request::origin`], [`Request::protocols`]) and decide, and completes the handshake.
///
/// An invalid request is answered by the engine (400, 405, 426, ...) and reported as
/// [`Error::Handshake`]; a [`Decision::Reject`] as
/// [`Error::Handshake`]`(HandshakeError::Rejected(status))` once the response is queued;
/// a [`Decision::Accept`] the engine refuses (a subprotocol the client did not offer, a
/// bad header) as [`Error::Api`], after answering 500. The whole handshake is bounded by
/// the handshake timeout.
pub async fn accept_with<S, F>(
    stream: S,
    options: ServerOptions,
    callback: F,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    F: FnOnce(&Request) -> Decision,
{
    let epoch = Instant::now();
    let shared = Shared::new(Connection::server(options.config(), Duration::ZERO), epoch);
    let handle = Handle::new(&shared);
    tokio::spawn(driver::run(shared, stream));
    let Opening::Request(request) = opening(&handle).await? else {
        return Err(Error::Closed);
    };
    answer(&handle, callback(&request))?;
    WebSocketStream::opened(handle).await
}

/// Carries out the application's decision on the waiting request.
fn answer(handle: &Handle, decision: Decision) -> Result<(), Error> {
    let mut st = handle.lock();
    let status = match &decision {
        Decision::Reject { status, .. } => Some(*status),
        Decision::Accept { .. } => None,
    };
    let outcome = match st.conn.decide(decision) {
        Err(e) => Err(Error::Api(e)),
        Ok(()) => match status {
            Some(status) => Err(Error::Handshake(websock_core::HandshakeError::Rejected(
                status,
            ))),
            None => Ok(()),
        },
    };
    st.wake_driver();
    outcome
}

/// Wraps a stream whose HTTP upgrade was completed elsewhere (for example hyper's
/// `Upgraded`, via `hyper_util::rt::TokioIo`): the connection starts OPEN as `role`,
/// with `protocol` as the agreed subprotocol. Must be called inside a tokio runtime
/// (the driver task is spawned here).
pub fn from_upgraded<S>(
    stream: S,
    role: Role,
    protocol: Option<String>,
    config: Config,
) -> WebSocketStream<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let epoch = Instant::now();
    let conn = Connection::upgraded(role, protocol, config, Duration::ZERO);
    let shared = Shared::new(conn, epoch);
    let handle = Handle::new(&shared);
    let agreed = match handle.lock().open() {
        Some(Opening::Open(agreed)) => agreed,
        _ => Agreed::default(),
    };
    tokio::spawn(driver::run(shared, stream));
    WebSocketStream::new(handle, agreed)
}
