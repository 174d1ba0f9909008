//! Opening a blocking connection: as a client ([`connect_with`], [`client_handshake`])
//! or a server ([`accept_with`], [`from_upgraded`]). The handshake is driven on the
//! calling thread, on the clock of the runtime `R`.

use core::time::Duration;
use std::sync::Arc;

use super::driver::{Reader, Shared};
use super::stream::WebSocketStream;
use super::transport::BoxedTransport;
use super::{Runtime, Transport};
use crate::dom::WsUrl;
use crate::handshake::Request;
use crate::session::{Error, Opening, Result, Session};
use crate::settings::{ClientSettings, ServerSettings};
use crate::{ApiError, Config, Connection, Decision, Role};

/// Connects to `url` (`ws://`, `wss://`, or `http(s)://` mapped to them): the URL rules
/// ([`Error::Url`], also for `wss://` when [`Runtime::supports_tls`] is false; nothing is
/// sent), the transport ([`Runtime::open_transport`], within the handshake timeout),
/// then the opening handshake, within the same deadline. Returns once the connection is
/// open.
///
/// Errors: [`Error::Url`], the transport's error as [`Runtime::open_transport`] reports
/// it, [`Error::Handshake`] if the server refused or answered wrongly,
/// [`Error::Protocol`] with `HandshakeTimeout` if it took too long.
pub fn connect_with<R: Runtime>(
    url: &str,
    options: ClientSettings<R::Tls>,
) -> Result<WebSocketStream<R::Stream>> {
    let (url, conn) = prepare(url, &options)?;
    if url.is_secure() && !R::supports_tls() {
        return Err(Error::Url(ApiError::Syntax));
    }
    let deadline = conn.poll_timeout();
    let shared = Shared::new(conn, R::now);
    let deadline = deadline.map(|d| shared.lock().epoch() + d);
    shared.attach(Box::new(R::open_transport(&url, &options, deadline)?) as BoxedTransport);
    handshake::<R, R::Stream, _>(shared, &options)
}

/// Runs the client's opening handshake for `url` over a stream the caller already has
/// (a custom transport, a proxy tunnel, a Unix socket...). Only the URL's host, path
/// and query are used; the caller is responsible for TLS. Errors as [`connect_with`]'s,
/// without the transport's setup.
///
/// `S` is `Send + 'static` because the stream's last handle, when dropped, hands the
/// transport to a thread that finishes the closing handshake (see [`WebSocketStream`]).
pub fn client_handshake<R: Runtime, S: Transport + Send + 'static, Tls>(
    stream: S,
    url: &str,
    options: ClientSettings<Tls>,
) -> Result<WebSocketStream<S>> {
    let (_, conn) = prepare(url, &options)?;
    handshake::<R, S, _>(
        Shared::with_stream(conn, R::now, Box::new(stream) as BoxedTransport),
        &options,
    )
}

/// Checks the URL and subprotocols, and creates the engine (time zero is "now").
fn prepare<Tls>(url: &str, options: &ClientSettings<Tls>) -> Result<(WsUrl, Connection)> {
    let url = options.parse_url(url).map_err(Error::Url)?;
    let conn = options
        .connection(&url, Duration::ZERO)
        .map_err(Error::Url)?;
    Ok((url, conn))
}

/// Drives the client's handshake until the connection opens or fails; `S` is the
/// transport's type (the stream's marker), erased in `shared`.
fn handshake<R: Runtime, S, Tls>(
    shared: Shared<BoxedTransport>,
    options: &ClientSettings<Tls>,
) -> Result<WebSocketStream<S>> {
    shared.lock().close_timeout = options.timeouts.close;
    let shared = Arc::new(shared);
    let mut reader = Reader::new();
    let mut failure = None;
    loop {
        match shared.drive(&mut reader, false, |st| st.session.open(&mut st.conn)) {
            Some(Opening::Open(agreed)) => {
                return Ok(WebSocketStream::new::<R>(shared, reader, agreed))
            }
            // Keep driving until the engine is done (it reports the close next).
            Some(Opening::Failed(e)) => failure = Some(shared.lock().failure(e)),
            Some(Opening::Request(_)) => {}
            Some(Opening::Closed) | None => return Err(failure.unwrap_or(Error::Closed)),
        }
    }
}

/// Accepts a WebSocket over `stream`: reads the upgrade request, lets `callback`
/// inspect it (path, `Origin`, offered subprotocols, cookies) and decide, then answers,
/// all on the calling thread and within the handshake timeout. Invalid requests are
/// answered by the engine (400, 405, 426...) without calling `callback`.
///
/// Errors: [`Error::Handshake`] with `Rejected(status)` after a [`Decision::Reject`]
/// was sent, or with the engine's reason for a bad request; [`Error::Api`] if the
/// decision was invalid (the client then gets a 500); [`Error::Protocol`] with
/// `HandshakeTimeout`; [`Error::Io`].
///
/// `S` is `Send + 'static` because the stream's last handle, when dropped, hands the
/// transport to a thread that finishes the closing handshake (see [`WebSocketStream`]).
pub fn accept_with<R, S, F>(
    stream: S,
    options: ServerSettings,
    callback: F,
) -> Result<WebSocketStream<S>>
where
    R: Runtime,
    S: Transport + Send + 'static,
    F: FnOnce(&Request) -> Decision,
{
    let conn = Connection::server(options.config(), Duration::ZERO);
    let shared = Arc::new(Shared::with_stream(
        conn,
        R::now,
        Box::new(stream) as BoxedTransport,
    ));
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
                return Ok(WebSocketStream::new::<R>(shared, reader, agreed));
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

/// Wraps a stream whose HTTP upgrade was done elsewhere (for example by hyper, after
/// `101 Switching Protocols`): the connection is open from the start, as `role`, with
/// `protocol` as the agreed subprotocol. `S` is `Send + 'static` for the closing
/// thread, as in [`accept_with`].
pub fn from_upgraded<R: Runtime, S: Transport + Send + 'static>(
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
    let shared = Arc::new(Shared::with_stream(
        conn,
        R::now,
        Box::new(stream) as BoxedTransport,
    ));
    shared.lock().close_timeout = close_timeout;
    WebSocketStream::new::<R>(shared, Reader::new(), agreed)
}
