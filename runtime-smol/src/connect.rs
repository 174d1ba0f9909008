//! Client side: connect from a URL (DNS, TCP, TLS, handshake), or run the handshake over
//! a stream the caller already has.

use std::future::Future;
use std::time::{Duration, Instant};

use async_net::TcpStream;
use futures_io::{AsyncRead, AsyncWrite};
use websock_core::dom::WsUrl;
use websock_core::Connection;

use crate::accept::handshake;
use crate::driver::Driver;
use crate::options::ClientOptions;
use crate::stream::MaybeTlsStream;
use crate::websocket::WebSocketStream;
use crate::Decision;
use crate::{Error, Result};

/// Connects to `url` (`ws://`, `wss://`, or `http(s)://`) with default options.
///
/// # Errors
///
/// See [`connect_with`].
pub async fn connect(url: &str) -> Result<WebSocketStream<MaybeTlsStream>> {
    connect_with(url, ClientOptions::default()).await
}

/// Connects to `url`: checks it with the browser's rules, resolves the host, opens a TCP
/// connection (with `TCP_NODELAY`), runs TLS for `wss://`, then the opening handshake.
/// [`Timeouts::handshake`](websock_core::Timeouts::handshake) bounds all of it.
///
/// # Errors
///
/// [`Error::Url`] for a URL or subprotocol list the rules refuse (or `wss://` without
/// the `tls` feature), [`Error::Api`] for an extra header that would corrupt the
/// request, [`Error::Io`] for DNS and connection failures, [`Error::Tls`],
/// [`Error::Handshake`] if the server refused (e.g. `UnexpectedStatus(403)`) or answered
/// wrongly, [`Error::Protocol`] for the handshake timeout; a failure of the transport
/// during the handshake is [`Error::Io`] (see [`Error::from_failure`]).
pub async fn connect_with(
    url: &str,
    options: ClientOptions,
) -> Result<WebSocketStream<MaybeTlsStream>> {
    let url = parse_url(url, &options)?;
    let epoch = Instant::now();
    let conn = new_client(&url, &options, Duration::ZERO)?;
    let deadline = conn.poll_timeout().map(|d| epoch + d);
    let transport = with_deadline(deadline, connect_transport(&url, &options)).await?;
    handshake(
        conn,
        Driver::new(transport, epoch),
        None::<fn(&_) -> Decision>,
    )
    .await
}

/// Runs the client's opening handshake for `url` over `stream`, a transport the caller
/// opened (a proxy tunnel, a Unix socket, an in-memory pipe...). TLS, if wanted, must
/// already be in `stream`; the URL gives the `Host` header and the request target.
///
/// # Errors
///
/// As [`connect_with`], without the DNS, TCP and TLS failures.
pub async fn client_handshake<S>(
    stream: S,
    url: &str,
    options: ClientOptions,
) -> Result<WebSocketStream<S>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let url = parse_url(url, &options)?;
    let epoch = Instant::now();
    let conn = new_client(&url, &options, Duration::ZERO)?;
    handshake(conn, Driver::new(stream, epoch), None::<fn(&_) -> Decision>).await
}

/// Applies the URL rules with the options' bad-port choice.
pub(crate) fn parse_url(url: &str, options: &ClientOptions) -> Result<WsUrl> {
    options.parse_url(url).map_err(Error::Url)
}

/// A client connection for `url`, CONNECTING, its request queued: [`Error::Url`] for a
/// subprotocol list the rules refuse, [`Error::Api`] for a header that would corrupt
/// the request.
pub(crate) fn new_client(
    url: &WsUrl,
    options: &ClientOptions,
    now: Duration,
) -> Result<Connection> {
    options.validate_protocols().map_err(Error::Url)?;
    options.connection(url, now).map_err(Error::Api)
}

/// DNS, TCP (with `TCP_NODELAY`) and, for `wss://`, TLS. Without the `tls` feature a
/// `wss://` URL is refused before connecting ([`Error::Url`]`(SyntaxError)`).
pub(crate) async fn connect_transport(
    url: &WsUrl,
    options: &ClientOptions,
) -> Result<MaybeTlsStream> {
    #[cfg(not(feature = "tls"))]
    {
        let _ = options;
        if url.is_secure() {
            return Err(Error::Url(websock_core::ApiError::Syntax));
        }
    }
    let host = url.host().trim_start_matches('[').trim_end_matches(']');
    let tcp = TcpStream::connect((host, url.port())).await?;
    tcp.set_nodelay(true)?;
    #[cfg(feature = "tls")]
    if url.is_secure() {
        let config = options
            .tls
            .clone()
            .unwrap_or_else(crate::tls::default_client_config);
        return crate::tls::connect_tls(tcp, host, config).await;
    }
    Ok(MaybeTlsStream::Plain(tcp))
}

/// Runs `fut`, failing with the handshake timeout if `deadline` passes first.
pub(crate) async fn with_deadline<T>(
    deadline: Option<Instant>,
    fut: impl Future<Output = Result<T>>,
) -> Result<T> {
    let Some(deadline) = deadline else {
        return fut.await;
    };
    futures_lite::future::or(fut, async move {
        async_io::Timer::at(deadline).await;
        Err(Error::Protocol(websock_core::Error::HandshakeTimeout))
    })
    .await
}
