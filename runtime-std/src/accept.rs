//! The server: accept a WebSocket over any stream, with a say on the handshake
//! (websock-core's [`blocking`](websock_core::blocking) handshakes, on std's clock).

use websock_core::blocking;
use websock_core::handshake::Request;
use websock_core::{Config, Decision, Role};

use crate::options::ServerOptions;
use crate::runtime::Std;
use crate::stream::Transport;
use crate::Result;
use crate::WebSocketStream;

/// Accept a WebSocket over `stream` (an accepted `TcpStream`, a
/// [`MaybeTlsStream`](crate::MaybeTlsStream), a `UnixStream`...), with the default
/// [`ServerOptions`], accepting every valid request without a subprotocol.
///
/// `S` is `Send + 'static` (as are std's sockets): when the stream's last handle is
/// dropped, a thread takes the transport to finish the closing handshake (1001).
pub fn accept<S: Transport + Send + 'static>(stream: S) -> Result<WebSocketStream<S>> {
    accept_with(stream, ServerOptions::default(), |_| Decision::accept())
}

/// Accept a WebSocket over `stream`: read the upgrade request, let `callback` inspect
/// it (path, `Origin`, offered subprotocols, cookies) and decide, then answer.
///
/// Invalid requests are answered by the engine (400, 405, 426...) without calling
/// `callback`. The whole handshake must finish within
/// [`Timeouts::handshake`](websock_core::Timeouts::handshake).
///
/// # Errors
///
/// [`Error::Handshake`](crate::Error::Handshake) with `Rejected(status)` after a
/// [`Decision::Reject`] was sent, or with the engine's reason for a bad request;
/// [`Error::Api`](crate::Error::Api) if the decision was invalid (a subprotocol the
/// client did not offer, a bad header: the client then gets a 500);
/// [`Error::Protocol`](crate::Error::Protocol) with `HandshakeTimeout`;
/// [`Error::Io`](crate::Error::Io).
///
/// `S` is `Send + 'static`: see [`accept`].
pub fn accept_with<S, F>(
    stream: S,
    options: ServerOptions,
    callback: F,
) -> Result<WebSocketStream<S>>
where
    S: Transport + Send + 'static,
    F: FnOnce(&Request) -> Decision,
{
    blocking::accept_with::<Std, S, F>(stream, options, callback)
}

/// Wrap a stream whose HTTP upgrade was done elsewhere (for example by hyper, after
/// `101 Switching Protocols`): the connection is open from the start, as `role`, with
/// `protocol` as the agreed subprotocol. `S` is `Send + 'static`: see [`accept`].
pub fn from_upgraded<S: Transport + Send + 'static>(
    stream: S,
    role: Role,
    protocol: Option<String>,
    config: Config,
) -> WebSocketStream<S> {
    blocking::from_upgraded::<Std, S>(stream, role, protocol, config)
}
