//! The server: [`accept`], [`accept_with`] (a callback decides on each request), and
//! [`from_upgraded`] for a connection whose HTTP upgrade was done elsewhere (hyper).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use websock_core::handshake::Request;
use websock_core::{Config, Connection, Event, Role};

use crate::driver;
use crate::error::Error;
use crate::options::ServerOptions;
use crate::shared::{Handle, Shared};
use crate::websocket::WebSocketStream;

/// The application's answer to an upgrade request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Accept, with the chosen subprotocol (one the client offered, or none) and extra
    /// response headers (`Set-Cookie`, ...).
    Accept {
        /// The subprotocol to agree on.
        protocol: Option<String>,
        /// Extra response headers.
        headers: Vec<(String, String)>,
    },
    /// Refuse with an HTTP status (400-599), extra headers and a body.
    Reject {
        /// The HTTP status, e.g. 403 for a foreign Origin.
        status: u16,
        /// Extra response headers.
        headers: Vec<(String, String)>,
        /// The response body.
        body: Vec<u8>,
    },
}

impl Decision {
    /// Accept with no subprotocol and no extra headers.
    pub fn accept() -> Decision {
        Decision::Accept {
            protocol: None,
            headers: Vec::new(),
        }
    }

    /// Accept with `protocol` as the subprotocol.
    pub fn accept_protocol(protocol: impl Into<String>) -> Decision {
        Decision::Accept {
            protocol: Some(protocol.into()),
            headers: Vec::new(),
        }
    }

    /// Reject with `status` and no body.
    pub fn reject(status: u16) -> Decision {
        Decision::Reject {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }
}

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
    let outcome = match decision {
        Decision::Accept { protocol, headers } => {
            st.conn.accept(protocol.as_deref(), &headers).map_err(|e| {
                let _ = st.conn.reject(500, &[], b"");
                Error::Api(e)
            })
        }
        Decision::Reject {
            status,
            headers,
            body,
        } => {
            let result = st.conn.reject(status, &headers, &body);
            if result.is_err() {
                let _ = st.conn.reject(500, &[], b"");
            }
            Err(result.map_or_else(Error::Api, |()| {
                Error::Handshake(websock_core::HandshakeError::Rejected(status))
            }))
        }
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
