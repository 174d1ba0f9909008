//! The client: [`connect`], [`connect_with`], and [`client_handshake`] over any stream.

use futures_io::{AsyncRead, AsyncWrite};
use websock_core::handle;

use crate::options::ClientOptions;
use crate::runtime::{Io, Smol};
use crate::stream::MaybeTlsStream;
use crate::{Error, WebSocketStream};

/// Connects to `url` (`ws://`, `wss://`, or `http(s)://` mapped to them) with the
/// default [`ClientOptions`], and completes the opening handshake.
///
/// See [`connect_with`].
pub async fn connect(url: &str) -> Result<WebSocketStream<MaybeTlsStream>, Error> {
    connect_with(url, ClientOptions::default()).await
}

/// Connects to `url` with `options`: the browser's URL rules ([`Error::Url`]), DNS, TCP
/// (with `TCP_NODELAY`), TLS for `wss://`, then the opening handshake, all within the
/// handshake timeout. Returns once the connection is open (the stream drives it in its
/// own calls until it is split; then a driver task runs on `smol::spawn`).
///
/// With [`ClientOptions::proxy`], TCP goes to the proxy, which opens a tunnel to the
/// server (HTTP `CONNECT` or SOCKS5); TLS and the handshake run through it, and the
/// handshake timeout covers the whole. A proxy that refuses or answers wrongly is an
/// [`Error::Io`] whose error is a [`ProxyError`](crate::ProxyError).
///
/// Errors: [`Error::Url`] for a URL or subprotocol list the rules refuse (and `wss://`
/// without the `tls` feature), [`Error::Api`] for a header that would corrupt the
/// request, [`Error::Io`] / [`Error::Tls`] if the transport cannot be set up,
/// [`Error::Handshake`] if the server refuses or answers wrongly, and
/// [`Error::Protocol`] for a handshake timeout.
pub async fn connect_with(
    url: &str,
    options: ClientOptions,
) -> Result<WebSocketStream<MaybeTlsStream>, Error> {
    handle::connect_with::<Smol>(url, options).await
}

/// The opening handshake as a client over a stream the caller already has (a custom
/// transport, a proxy tunnel, ...): `url` gives the `Host` header and the resource.
/// The stream is driven by the returned stream's calls (see
/// [`websock_core::handle`]).
pub async fn client_handshake<S>(
    stream: S,
    url: &str,
    options: ClientOptions,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    handle::client_handshake::<Smol, S, _, _>(Io(stream), url, options).await
}
