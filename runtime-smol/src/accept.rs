//! The server: [`accept`], [`accept_with`] (a callback decides on each request), and
//! [`from_upgraded`] for a connection whose HTTP upgrade was done elsewhere (hyper).

use std::future::Future;

use futures_io::{AsyncRead, AsyncWrite};
use websock_core::handle;
use websock_core::handshake::Request;

use crate::options::ServerOptions;
use crate::runtime::{Io, Smol};
use crate::{Config, Decision, Error, Role, WebSocketStream};

/// Accepts a WebSocket connection on `stream` (a `TcpStream`, a TLS stream, ...) with
/// the default [`ServerOptions`], whatever the request's path, Origin or subprotocols.
pub fn accept<S>(stream: S) -> impl Future<Output = Result<WebSocketStream<S>, Error>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    accept_with(stream, ServerOptions::default(), |_| Decision::accept())
}

/// Reads the upgrade request from `stream`, lets `callback` inspect it (path, headers,
/// [`Request::origin`], [`Request::protocols`]) and decide, and completes the handshake.
/// The stream drives its connection in its own calls until it is split (then a
/// driver task runs on `smol::spawn`).
///
/// An invalid request is answered by the engine (400, 405, 426, ...) and reported as
/// [`Error::Handshake`]; a [`Decision::Reject`] as
/// [`Error::Handshake`]`(HandshakeError::Rejected(status))` once the response is queued;
/// a [`Decision::Accept`] the engine refuses (a subprotocol the client did not offer, a
/// bad header) as [`Error::Api`], after answering 500. The whole handshake is bounded by
/// the handshake timeout.
pub fn accept_with<S, F>(
    stream: S,
    options: ServerOptions,
    callback: F,
) -> impl Future<Output = Result<WebSocketStream<S>, Error>>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    F: FnOnce(&Request) -> Decision,
{
    handle::accept_with::<Smol, S, _, _>(Io(stream), options, callback)
}

/// Wraps a stream whose HTTP upgrade was completed elsewhere: the connection starts
/// OPEN as `role`, with `protocol` as the agreed subprotocol. The stream drives its
/// connection in its own calls until it is split (then a driver task runs on
/// `smol::spawn`).
pub fn from_upgraded<S>(
    stream: S,
    role: Role,
    protocol: Option<String>,
    config: Config,
) -> WebSocketStream<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    handle::from_upgraded::<Smol, S, _>(Io(stream), role, protocol, config)
}
