//! The server: [`accept`], [`accept_with`] (a callback decides on each request), and
//! [`from_upgraded`] for a connection whose HTTP upgrade was done elsewhere (hyper).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use websock_core::handshake::Request;
pub use websock_core::Decision;
use websock_core::{Config, Connection, Event, Role};

use crate::driver;
use crate::error::Error;
use crate::options::ServerOptions;
use crate::shared::{Handle, Shared};
use crate::websocket::WebSocketStream;

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
    let request = next_request(&handle).await?;
    let decision = callback(&request);
    answer(&handle, decision)?;
    WebSocketStream::opened(handle, Some(request)).await
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

/// Waits for the engine to report the upgrade request (or the handshake's failure).
async fn next_request(handle: &Handle) -> Result<Request, Error> {
    std::future::poll_fn(|cx| {
        let mut st = handle.lock();
        loop {
            match st.next_event() {
                Some(Event::Request(request)) => return std::task::Poll::Ready(Ok(request)),
                Some(Event::Error(e)) => {
                    let error = st
                        .transport_error
                        .take()
                        .unwrap_or_else(|| Error::from_core(e));
                    return std::task::Poll::Ready(Err(error));
                }
                Some(_) => {}
                None if st.driver_done || st.close_event.is_some() => {
                    return std::task::Poll::Ready(Err(Error::Closed))
                }
                None => {
                    st.register_reader(cx);
                    return std::task::Poll::Pending;
                }
            }
        }
    })
    .await
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
    let open = {
        let mut st = handle.lock();
        match st.next_event() {
            Some(Event::Open(open)) => open,
            _ => websock_core::Open::default(),
        }
    };
    tokio::spawn(driver::run(shared, stream));
    WebSocketStream::new(handle, open, None)
}
