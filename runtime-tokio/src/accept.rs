//! The server: [`accept`], [`accept_with`] (a callback decides on each request), and
//! [`from_upgraded`] / [`from_upgraded_with`] for a connection whose HTTP upgrade was
//! done elsewhere (hyper: see also the `upgrade` module, feature `hyper`).

use std::future::Future;

use tokio::io::{AsyncRead, AsyncWrite};
use websock_core::handle;
use websock_core::handshake::{Agreement, Request};

use crate::options::ServerOptions;
use crate::runtime::{Io, Tokio};
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
/// Must be called inside a tokio runtime (where the connection's driver task runs once
/// the stream is split or dropped unfinished).
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
    handle::accept_with::<Tokio, S, _, _>(Io(stream), options, callback)
}

/// Wraps a stream whose HTTP upgrade was completed elsewhere (for example hyper's
/// `Upgraded`, via `hyper_util::rt::TokioIo`): the connection starts OPEN as `role`,
/// with `protocol` as the agreed subprotocol. Must be called inside a tokio runtime
/// (where the connection's driver task runs once the stream is split or dropped
/// unfinished).
pub fn from_upgraded<S>(
    stream: S,
    role: Role,
    protocol: Option<String>,
    config: Config,
) -> WebSocketStream<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    handle::from_upgraded::<Tokio, S, _>(Io(stream), role, protocol, config)
}

/// Wraps a stream whose HTTP upgrade was completed elsewhere, started with exactly what
/// that handshake agreed: the subprotocol, and permessage-deflate with the agreed
/// parameters (an [`Agreement`], for example from the `101` response's headers with
/// [`Agreement::from_response`]). Must be called inside a tokio runtime (the driver
/// task is spawned here).
pub fn from_upgraded_with<S>(
    stream: S,
    role: Role,
    agreement: Agreement,
    config: Config,
) -> WebSocketStream<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    handle::from_upgraded_with::<Tokio, S, _>(Io(stream), role, agreement, None, config)
}
