//! Server side: accept a WebSocket over any stream, deciding on each request.

use std::time::{Duration, Instant};

use futures_io::{AsyncRead, AsyncWrite};
use websock_core::handshake::Request;
pub use websock_core::Decision;
use websock_core::{Config, Connection, Event, Role};

use crate::driver::Driver;
use crate::error::{Error, Result};
use crate::options::ServerOptions;
use crate::websocket::WebSocketStream;

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
    let _open = conn.poll_event();
    WebSocketStream::from_parts(conn, Driver::new(stream, epoch), protocol, None, None)
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
    let mut request = None;
    let mut failure = None;
    let mut closed = false;
    let mut opened = None;
    let opened = std::future::poll_fn(|cx| loop {
        while opened.is_none() {
            let Some(event) = conn.poll_event() else {
                break;
            };
            match event {
                Event::Request(r) => {
                    let decision = decide
                        .take()
                        .map_or_else(|| Decision::reject(500), |f| f(&r));
                    if let Err(e) = conn.decide(decision) {
                        failure.get_or_insert(Error::Api(e));
                    }
                    request = Some(r);
                }
                Event::Open(open) => {
                    // Later events (early messages) stay queued for the stream.
                    opened = Some(open);
                }
                Event::Error(e) => {
                    let e = crate::websocket::map_error(e, &mut driver);
                    failure.get_or_insert(e);
                }
                Event::Close(_) => closed = true,
                Event::Message(_) | Event::Ping(_) | Event::Pong(_) => {}
            }
        }
        // The server's 101 is written before the stream is handed over.
        if opened.is_some() && driver.is_flushed(&conn) {
            return std::task::Poll::Ready(Ok(opened.take().unwrap_or_default()));
        }
        if closed && (conn.is_finished() || driver.is_shut_down()) {
            return std::task::Poll::Ready(Err(failure.take().unwrap_or(Error::Closed)));
        }
        if driver.poll_drive(cx, &mut conn, true).is_pending() {
            return std::task::Poll::Pending;
        }
    })
    .await?;
    Ok(WebSocketStream::from_parts(
        conn,
        driver,
        opened.protocol,
        request,
        opened.response,
    ))
}
