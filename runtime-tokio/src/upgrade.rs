//! WebSocket servers inside hyper 1 and axum (feature `hyper`): the HTTP server reads the
//! upgrade request and writes the response, websock checks the request, negotiates the
//! subprotocol and permessage-deflate, and runs the connection once hyper hands it over.
//!
//! [`upgrade_with`] takes the request (`&mut http::Request<B>`, any body type: hyper's
//! `Incoming`, axum's `Body`), checks it with the same rules and statuses as
//! [`accept_with`](crate::accept_with) (400, 405, 426, 431, 505), lets a callback decide
//! on it (path, `Origin`, cookies, offered subprotocols: accept with a subprotocol and
//! extra headers, or reject with a status), and returns the response to send:
//! `101 Switching Protocols` with `Sec-WebSocket-Accept`, the subprotocol and the
//! agreed permessage-deflate element, or the refusal. On accept it also returns an
//! [`Upgrading`] future: once hyper has sent the `101` and hands the connection over, it
//! yields a [`WebSocketStream`] that compresses exactly as the `101` said.
//!
//! The connection must be served with upgrades enabled (hyper's
//! `http1::Builder::serve_connection(..).with_upgrades()`; axum's `serve` does it).
//!
//! ```no_run
//! use std::convert::Infallible;
//!
//! use hyper::body::Incoming;
//! use hyper::{Request, Response};
//! use websock_tokio::upgrade::{upgrade_with, Body};
//! use websock_tokio::{Decision, ServerOptions};
//!
//! async fn handle(mut req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
//!     let (response, websocket) = upgrade_with(&mut req, ServerOptions::new(), |request| {
//!         match request.origin() {
//!             Some("https://example.com") => Decision::accept(),
//!             _ => Decision::reject(403),
//!         }
//!     });
//!     if let Ok(websocket) = websocket {
//!         tokio::spawn(async move {
//!             let Ok(mut ws) = websocket.await else { return };
//!             while let Some(Ok(message)) = ws.recv().await {
//!                 if ws.send(message).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         });
//!     }
//!     Ok(response)
//! }
//! ```
//!
//! The whole servers are the `hyper-server` and `axum-server` examples.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{CONNECTION, UPGRADE};
use http_body_util::Full;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use websock_core::handle;
use websock_core::handshake::http::{upgrade_http, HttpAnswer};
use websock_core::handshake::{header_contains_token, Agreement, Request};

use crate::options::ServerOptions;
use crate::runtime::{Io, Tokio};
use crate::{Decision, Error, Role, WebSocketStream};

/// The body of the responses [`upgrade_with`] returns: empty for the `101`, the
/// refusal's text otherwise. axum takes a `Response<Body>` as a handler's response.
pub type Body = Full<Bytes>;

/// A WebSocket over a connection hyper upgraded.
pub type UpgradedWebSocket = WebSocketStream<TokioIo<Upgraded>>;

/// Whether `request` asks for a WebSocket upgrade (its `Upgrade` header has the token
/// `websocket` and its `Connection` header the token `upgrade`): for routing a request
/// to [`upgrade_with`] or to ordinary HTTP handling. [`upgrade_with`] checks the rest.
pub fn is_upgrade_request<B>(request: &http::Request<B>) -> bool {
    let has = |name, token| {
        request
            .headers()
            .get_all(name)
            .iter()
            .any(|v| header_contains_token(v.as_bytes(), token))
    };
    has(UPGRADE, "websocket") && has(CONNECTION, "upgrade")
}

/// [`upgrade_with`] with the default [`ServerOptions`], accepting every valid request
/// whatever its path, `Origin` or subprotocols.
pub fn upgrade<B>(
    request: &mut http::Request<B>,
) -> (http::Response<Body>, Result<Upgrading, Error>) {
    upgrade_with(request, ServerOptions::default(), |_| Decision::accept())
}

/// Answers a WebSocket upgrade request that hyper (or axum) read: checks it, lets
/// `decide` inspect it ([`Request::path`](websock_core::handshake::Request),
/// [`Request::origin`], [`Request::protocols`], headers) and choose, negotiates
/// permessage-deflate under `options.deflate`, and returns the response to send with
/// what follows it.
///
/// * Accepted: the `101` and `Ok(`[`Upgrading`]`)`; await it (in a task of its own,
///   after the response is returned to hyper) for the [`WebSocketStream`], with
///   `options`' limits and timers.
/// * Not a valid upgrade request: its status (400, 405, 426, 431 or 505, the reason as
///   the body) and `Err(`[`Error::Handshake`]`)`; `decide` is not called.
/// * [`Decision::Reject`]: its status, headers and body, and
///   `Err(`[`Error::Handshake`]`(HandshakeError::Rejected(status)))`.
/// * A decision that cannot be carried out (a subprotocol the client did not offer, a
///   header that would corrupt the response): 500 and `Err(`[`Error::Api`]`)`.
/// * A request hyper cannot upgrade (it carries no `hyper::upgrade::OnUpgrade`, for
///   example one built by hand): 500 and `Err(`[`Error::Io`]`)` (`Unsupported`).
///
/// The request's `OnUpgrade` is taken out of it (as `hyper::upgrade::on` does).
pub fn upgrade_with<B, F>(
    request: &mut http::Request<B>,
    options: ServerOptions,
    decide: F,
) -> (http::Response<Body>, Result<Upgrading, Error>)
where
    F: FnOnce(&Request) -> Decision,
{
    match upgrade_http(&*request, &options, decide) {
        HttpAnswer::Accept {
            response,
            agreement,
            request: accepted,
        } => match request.extensions_mut().remove::<OnUpgrade>() {
            Some(on_upgrade) => (
                response.map(|()| Body::default()),
                Ok(Upgrading {
                    on_upgrade,
                    agreement,
                    request: Some(accepted),
                    options,
                }),
            ),
            None => {
                let mut response = http::Response::new(Body::default());
                *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                let error = io::Error::new(
                    io::ErrorKind::Unsupported,
                    "the request has no hyper upgrade (hyper::upgrade::OnUpgrade)",
                );
                (response, Err(Error::Io(error)))
            }
        },
        HttpAnswer::Reject { response, error } => (response.map(Full::new), Err(error)),
    }
}

/// An accepted WebSocket upgrade, waiting for hyper to send the `101` and hand the
/// connection over; resolves to the [`WebSocketStream`] started with exactly what the
/// `101` agreed (subprotocol, permessage-deflate parameters).
///
/// Await it in its own task (`tokio::spawn`), not before returning the response to
/// hyper: the upgrade happens after the response is written. It fails with
/// [`Error::Io`] if hyper cannot upgrade the connection (it closed first, or the
/// connection is not served with upgrades enabled).
#[derive(Debug)]
#[must_use = "the WebSocket is only available by awaiting `Upgrading`"]
pub struct Upgrading {
    on_upgrade: OnUpgrade,
    agreement: Agreement,
    request: Option<Request>,
    options: ServerOptions,
}

impl Upgrading {
    /// What the `101` agreed: subprotocol and extensions (the default, nothing, once the
    /// upgrade completed: the stream has it then).
    pub fn agreement(&self) -> &Agreement {
        &self.agreement
    }

    /// The accepted request (`None` once the upgrade completed).
    pub fn request(&self) -> Option<&Request> {
        self.request.as_ref()
    }
}

impl Future for Upgrading {
    type Output = Result<UpgradedWebSocket, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let upgraded = match Pin::new(&mut this.on_upgrade).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(upgraded)) => upgraded,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(Error::Io(io::Error::other(e)))),
        };
        Poll::Ready(Ok(handle::from_upgraded_with::<Tokio, _, _>(
            Io(TokioIo::new(upgraded)),
            Role::Server,
            std::mem::take(&mut this.agreement),
            this.request.take(),
            this.options.config(),
        )))
    }
}
