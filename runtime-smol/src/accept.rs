//! Server side: accept a WebSocket over any stream, deciding on each request.

use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use websock_core::handshake::Request;
use websock_core::session::{Agreed, Opening, Session};
use websock_core::Decision;
use websock_core::{Config, Connection, Role};

use crate::driver::Driver;
use crate::options::ServerOptions;
use crate::websocket::WebSocketStream;
use crate::{Error, Result};

/// Accepts a WebSocket over `stream` (a TCP connection, a TLS stream from
/// [`crate::tls::accept_tls`], ...) with default limits and timeouts, accepting every
/// valid request without a subprotocol.
///
/// # Errors
///
/// See [`accept_with`].
pub async fn accept<S>(stream: S) -> Result<WebSocketStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with(stream, ServerOptions::default(), |_| Decision::accept()).await
}

/// Accepts a WebSocket over `stream`: reads the upgrade request, answers an invalid one
/// with the right HTTP error, and lets `decide` accept or reject a valid one. The whole
/// handshake must finish within [`Timeouts::handshake`](websock_core::Timeouts::handshake).
///
/// # Errors
///
/// [`Error::Handshake`] for an invalid request or a rejection
/// ([`HandshakeError::Rejected`](websock_core::HandshakeError::Rejected), after the
/// response was written), [`Error::Protocol`] for the handshake timeout, [`Error::Io`],
/// and [`Error::Api`] if the decision could not be encoded (a subprotocol the client did
/// not offer, a malformed header): the client then gets a 500.
pub async fn accept_with<S, F>(
    stream: S,
    options: ServerOptions,
    decide: F,
) -> Result<WebSocketStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Decision,
{
    let epoch = Instant::now();
    let conn = Connection::server(options.config(), Duration::ZERO);
    handshake(conn, Driver::new(stream, epoch), Some(decide)).await
}

/// Wraps a stream whose HTTP upgrade was done elsewhere (for example by hyper, with the
/// upgraded connection adapted to futures-io), as `role`, with the agreed `protocol`.
pub fn from_upgraded<S>(
    stream: S,
    role: Role,
    protocol: Option<String>,
    config: Config,
) -> WebSocketStream<S>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let epoch = Instant::now();
    let mut conn = Connection::upgraded(role, protocol.clone(), config, Duration::ZERO);
    // The first event is the Open that `upgraded` reports.
    let mut session = Session::new();
    let agreed = match session.open(&mut conn) {
        Some(Opening::Open(agreed)) => agreed,
        _ => Agreed {
            protocol,
            ..Agreed::default()
        },
    };
    WebSocketStream::from_parts(conn, Driver::new(stream, epoch), session, agreed)
}

/// Drives the opening handshake (either role) until the connection is OPEN or failed.
pub(crate) async fn handshake<S, F>(
    mut conn: Connection,
    mut driver: Driver<S>,
    mut decide: Option<F>,
) -> Result<WebSocketStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Decision,
{
    let mut session = Session::new();
    let mut failure = None;
    let mut closed = false;
    let mut opened = None;
    let agreed = std::future::poll_fn(|cx| loop {
        while opened.is_none() && !closed {
            match session.open(&mut conn) {
                None => break,
                Some(Opening::Request(request)) => {
                    let decision = decide
                        .take()
                        .map_or_else(|| Decision::reject(500), |f| f(&request));
                    if let Err(e) = conn.decide(decision) {
                        failure.get_or_insert(Error::Api(e));
                    }
                }
                // Later events (early messages) stay queued for the stream.
                Some(Opening::Open(agreed)) => opened = Some(agreed),
                Some(Opening::Failed(e)) => {
                    failure.get_or_insert(Error::from_failure(e, driver.take_io_error()));
                }
                Some(Opening::Closed) => closed = true,
            }
        }
        // The server's 101 is written before the stream is handed over.
        if opened.is_some() && driver.is_flushed(&conn) {
            return std::task::Poll::Ready(Ok(opened.take().unwrap_or_default()));
        }
        if closed && (conn.is_finished() || driver.is_shut_down()) {
            return std::task::Poll::Ready(Err(failure.take().unwrap_or(Error::Closed)));
        }
        if driver.poll_drive(cx, &mut conn).is_pending() {
            return std::task::Poll::Pending;
        }
    })
    .await?;
    Ok(WebSocketStream::from_parts(conn, driver, session, agreed))
}
