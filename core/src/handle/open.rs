//! Opening a connection: as a client ([`connect`], [`connect_with`],
//! [`client_handshake`]) or a server ([`accept`], [`accept_with`], [`from_upgraded`],
//! [`from_upgraded_with`]). The stream returned drives its connection in its own calls
//! (the driver runs inline) until it is split or dropped.

use alloc::boxed::Box;
use core::future::Future;
use core::pin::Pin;
use core::time::Duration;

use super::driver;
use super::establish::establish;
use super::shared::{Facts, Handle, Shared};
use super::stream::{opening, WebSocketStream};
use super::{Runtime, Transport};
use crate::dom::WsUrl;
use crate::handshake::{Agreement, Request};
use crate::session::{Agreed, Error, Opening};
use crate::settings::{ClientSettings, ServerSettings};
use crate::{ApiError, Config, Connection, Decision, HandshakeError, Role};

/// Connects to `url` (`ws://`, `wss://`, or `http(s)://` mapped to them) with the
/// default options, and completes the opening handshake. See [`connect_with`].
pub async fn connect<R: Runtime>(url: &str) -> Result<WebSocketStream<R::Stream>, Error> {
    connect_with::<R>(url, ClientSettings::default()).await
}

/// Connects to `url` with `options`: the URL rules ([`Error::Url`]), the transport
/// ([`establish`]: DNS, TCP (with `TCP_NODELAY`), the tunnel through
/// [`ClientSettings::proxy`] if set, TLS for `wss://`), then the opening handshake, all
/// within the handshake timeout. Returns once the connection is open.
///
/// Errors: [`Error::Url`] for a URL or subprotocol list the rules refuse (and `wss://`
/// without TLS support), [`Error::Api`] for a header that would corrupt the request,
/// [`Error::Io`] / [`Error::Tls`] if the transport cannot be set up (a proxy that
/// refuses or answers wrongly: [`Error::Io`] with a
/// [`ProxyError`](crate::proxy::ProxyError) inside), [`Error::Handshake`] if the server
/// refuses or answers wrongly, and [`Error::Protocol`] for a handshake timeout.
pub async fn connect_with<R: Runtime>(
    url: &str,
    options: ClientSettings<R::Tls>,
) -> Result<WebSocketStream<R::Stream>, Error> {
    let url = parse_url(url, &options)?;
    if url.is_secure() && !R::supports_tls() {
        return Err(Error::Url(ApiError::Syntax));
    }
    let shared = new_client::<R, _>(&url, &options)?;
    let handle = Handle::new(&shared);
    let facts_for = shared.clone();
    let transport = async move {
        let transport = establish::<R>(url, options.proxy, options.tls).await?;
        facts_for.lock().facts = Some(Box::new(Facts::of(&transport)));
        Ok(transport)
    };
    if let Some(transport) = driver::establish_within::<R, _, _>(&shared, transport).await {
        driver::install_inline::<R, _>(&shared, transport);
    }
    WebSocketStream::opened(handle).await
}

/// The opening handshake as a client over a transport the caller already has (a custom
/// transport, a proxy tunnel, ...): `url` gives the `Host` header and the resource.
/// `S` names the stream the transport wraps (for the returned type).
pub async fn client_handshake<R: Runtime, S, T: Transport, Tls>(
    transport: T,
    url: &str,
    options: ClientSettings<Tls>,
) -> Result<WebSocketStream<S>, Error> {
    let url = parse_url(url, &options)?;
    let shared = new_client::<R, _>(&url, &options)?;
    let handle = Handle::new(&shared);
    shared.lock().facts = Some(Box::new(Facts::of(&transport)));
    driver::install_inline::<R, T>(&shared, transport);
    WebSocketStream::opened(handle).await
}

/// Accepts a WebSocket connection over `transport` with the default options, whatever
/// the request's path, Origin or subprotocols.
pub fn accept<R: Runtime, S, T: Transport>(
    transport: T,
) -> impl Future<Output = Result<WebSocketStream<S>, Error>> {
    accept_with::<R, S, T, _>(transport, ServerSettings::default(), |_| Decision::accept())
}

/// Reads the upgrade request, lets `callback` inspect it (path, headers,
/// [`Request::origin`], [`Request::protocols`]) and decide, and completes the handshake.
///
/// An invalid request is answered by the engine (400, 405, 426, ...) and reported as
/// [`Error::Handshake`]; a [`Decision::Reject`] as
/// [`Error::Handshake`]`(HandshakeError::Rejected(status))` once the response is queued;
/// a [`Decision::Accept`] the engine refuses (a subprotocol the client did not offer, a
/// bad header) as [`Error::Api`], after answering 500. The whole handshake is bounded by
/// the handshake timeout.
///
/// The handshake's state (the options, the request) is kept in one allocation that is
/// freed when the handshake ends: a task that awaits this and then serves the
/// connection does not carry it for the connection's life (the returned future is one
/// pointer).
pub fn accept_with<R, S, T, F>(
    transport: T,
    options: ServerSettings,
    callback: F,
) -> Pin<Box<impl Future<Output = Result<WebSocketStream<S>, Error>>>>
where
    R: Runtime,
    T: Transport,
    F: FnOnce(&Request) -> Decision,
{
    Box::pin(serve_handshake::<R, S, T, F>(transport, options, callback))
}

/// [`accept_with`]'s handshake.
async fn serve_handshake<R, S, T, F>(
    transport: T,
    options: ServerSettings,
    callback: F,
) -> Result<WebSocketStream<S>, Error>
where
    R: Runtime,
    T: Transport,
    F: FnOnce(&Request) -> Decision,
{
    let shared = Shared::new(Connection::server(options.config(), Duration::ZERO), R::now);
    let handle = Handle::new(&shared);
    shared.lock().facts = Some(Box::new(Facts::of(&transport)));
    driver::install_inline::<R, T>(&shared, transport);
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
            Some(status) => Err(Error::Handshake(HandshakeError::Rejected(status))),
            None => Ok(()),
        },
    };
    st.queued_now();
    outcome
}

/// Wraps a transport whose HTTP upgrade was completed elsewhere (for example hyper's
/// `Upgraded`): the connection starts OPEN as `role`, with `protocol` as the agreed
/// subprotocol and no extension (see [`from_upgraded_with`]).
pub fn from_upgraded<R: Runtime, S, T: Transport>(
    transport: T,
    role: Role,
    protocol: Option<String>,
    config: Config,
) -> WebSocketStream<S> {
    from_upgraded_with::<R, S, T>(transport, role, Agreement::new(protocol), None, config)
}

/// Wraps a transport whose HTTP upgrade was completed elsewhere, started with exactly
/// what that handshake agreed ([`Connection::upgraded_with`]: the subprotocol, and
/// permessage-deflate with its parameters). `request` is the accepted request, for
/// [`WebSocketStream::request`] (server role).
pub fn from_upgraded_with<R: Runtime, S, T: Transport>(
    transport: T,
    role: Role,
    agreement: Agreement,
    request: Option<Request>,
    config: Config,
) -> WebSocketStream<S> {
    let conn = Connection::upgraded_with(role, agreement, config, Duration::ZERO);
    let shared = Shared::new(conn, R::now);
    let handle = Handle::new(&shared);
    shared.lock().facts = Some(Box::new(Facts::of(&transport)));
    let mut agreed = match handle.lock().open() {
        Some(Opening::Open(agreed)) => agreed,
        _ => Agreed::default(),
    };
    agreed.request = request;
    driver::install_inline::<R, T>(&shared, transport);
    WebSocketStream::new(handle, agreed)
}

/// The URL rules for `connect`, and the subprotocol list's.
fn parse_url<Tls>(url: &str, options: &ClientSettings<Tls>) -> Result<WsUrl, Error> {
    let url = options.parse_url(url).map_err(Error::Url)?;
    options.validate_protocols().map_err(Error::Url)?;
    Ok(url)
}

/// A client connection for `url` (CONNECTING, its request queued), created now.
fn new_client<R: Runtime, Tls>(
    url: &WsUrl,
    options: &ClientSettings<Tls>,
) -> Result<Shared, Error> {
    let conn = options
        .connection(url, Duration::ZERO)
        .map_err(Error::Api)?;
    Ok(Shared::new(conn, R::now))
}
