//! The client: connect to a URL, or run the opening handshake over any stream.

use websock_core::blocking;

use crate::options::ClientOptions;
use crate::runtime::Std;
use crate::stream::{MaybeTlsStream, Transport};
use crate::{Result, WebSocketStream};

/// Connect to `url` (`ws://`, `wss://`, or `http(s)://` mapped to them) with the
/// default [`ClientOptions`]. See [`connect_with`].
pub fn connect(url: &str) -> Result<WebSocketStream<MaybeTlsStream>> {
    connect_with(url, ClientOptions::default())
}

/// Connect to `url`: check it with the browser's rules (bad ports only if
/// [`ClientOptions::check_bad_ports`] asks), resolve the host, open TCP (with
/// `TCP_NODELAY`), TLS for `wss://`, then run the opening handshake. The whole
/// sequence must finish within [`Timeouts::handshake`](websock_core::Timeouts::handshake)
/// (DNS resolution itself cannot be timed out with std).
///
/// With [`ClientOptions::proxy`], TCP goes to the proxy, which opens a tunnel to the
/// server (HTTP `CONNECT` or SOCKS5); TLS and the handshake run through it, within the
/// same deadline. A proxy that refuses or answers wrongly is an
/// [`Error::Io`](crate::Error::Io) whose error is a [`ProxyError`](crate::ProxyError).
///
/// # Errors
///
/// [`Error::Url`](crate::Error::Url) for a bad URL or subprotocol list, or a `wss://`
/// URL without the `tls` feature (nothing was sent); [`Error::Io`](crate::Error::Io)
/// for DNS, connect or transport failures; [`Error::Tls`](crate::Error::Tls);
/// [`Error::Handshake`](crate::Error::Handshake) if the server refused (e.g.
/// `UnexpectedStatus(403)`) or answered wrongly; [`Error::Protocol`](crate::Error::Protocol)
/// with `HandshakeTimeout` if it took too long.
pub fn connect_with(url: &str, options: ClientOptions) -> Result<WebSocketStream<MaybeTlsStream>> {
    blocking::connect_with::<Std>(url, options)
}

/// Run the client's opening handshake for `url` over a stream the caller already has
/// (a custom transport, a proxy tunnel, a Unix socket...). Only the URL's host, path
/// and query are used; the caller is responsible for TLS. `S` is `Send + 'static`
/// (as are std's sockets): when the stream's last handle is dropped, a thread takes
/// the transport to finish the closing handshake (1001).
pub fn client_handshake<S: Transport + Send + 'static>(
    stream: S,
    url: &str,
    options: ClientOptions,
) -> Result<WebSocketStream<S>> {
    blocking::client_handshake::<Std, S, _>(stream, url, options)
}
