//! The client: [`connect`], [`connect_with`], and [`client_handshake`] over any stream.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;
use websock_core::dom::WsUrl;

use crate::driver;
use crate::options::ClientOptions;
use crate::shared::{Handle, Shared};
use crate::stream::MaybeTlsStream;
use crate::websocket::WebSocketStream;
use crate::Error;

/// Connects to `url` (`ws://`, `wss://`, or `http(s)://` mapped to them) with the
/// default [`ClientOptions`], and completes the opening handshake.
///
/// See [`connect_with`].
pub async fn connect(url: &str) -> Result<WebSocketStream<MaybeTlsStream>, Error> {
    connect_with(url, ClientOptions::default()).await
}

/// Connects to `url` with `options`: the browser's URL rules ([`Error::Url`]; the
/// bad-port check only if [`ClientOptions::check_bad_ports`] asks), DNS, TCP
/// (with `TCP_NODELAY`), TLS for `wss://`, then the opening handshake, all within the
/// handshake timeout. Returns once the connection is open.
///
/// Errors: [`Error::Url`] for a URL or subprotocol list the rules refuse (and for
/// `wss://` without the `tls` feature), [`Error::Api`] for a bad header, [`Error::Io`]
/// if the transport (DNS, TCP, TLS) cannot be set up, [`Error::Handshake`] if the
/// server refuses or answers wrongly, and [`Error::Protocol`] for a handshake timeout.
pub async fn connect_with(
    url: &str,
    options: ClientOptions,
) -> Result<WebSocketStream<MaybeTlsStream>, Error> {
    let url = parse_url(url, &options).map_err(Error::Url)?;
    if url.is_secure() && !cfg!(feature = "tls") {
        return Err(Error::Url(websock_core::ApiError::Syntax));
    }
    let shared = new_client(&url, &options)?;
    let handle = Handle::new(&shared);
    tokio::spawn(driver::establish_then_run(shared, establish(url, options)));
    WebSocketStream::opened(handle).await
}

/// The opening handshake as a client over a stream the caller already has (a custom
/// transport, a proxy tunnel, ...): `url` gives the `Host` header and the resource.
/// The stream is handed to a background task that drives the connection.
pub async fn client_handshake<S>(
    stream: S,
    url: &str,
    options: ClientOptions,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let url = parse_url(url, &options).map_err(Error::Url)?;
    let shared = new_client(&url, &options)?;
    let handle = Handle::new(&shared);
    tokio::spawn(driver::run(shared, stream));
    WebSocketStream::opened(handle).await
}

/// The idiomatic API's URL rules ([`ClientOptions::parse_url`]: the browser's, the
/// bad-port check only if asked) and the subprotocol list rules, both reported as
/// [`Error::Url`].
fn parse_url(url: &str, options: &ClientOptions) -> Result<WsUrl, websock_core::ApiError> {
    let url = options.parse_url(url)?;
    options.validate_protocols()?;
    Ok(url)
}

/// A client connection for `url` (CONNECTING, its request queued), created now.
fn new_client(url: &WsUrl, options: &ClientOptions) -> Result<Shared, Error> {
    let epoch = Instant::now();
    let conn = options
        .connection(url, Duration::ZERO)
        .map_err(Error::Api)?;
    Ok(Shared::new(conn, epoch))
}

/// DNS, TCP (`TCP_NODELAY`), and TLS for `wss://` (an I/O error if it fails).
pub(crate) async fn establish(url: WsUrl, options: ClientOptions) -> io::Result<MaybeTlsStream> {
    let host = url.host().trim_start_matches('[').trim_end_matches(']');
    let mut last_error = None;
    let mut tcp = None;
    for addr in tokio::net::lookup_host((host, url.port())).await? {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                tcp = Some(stream);
                break;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let tcp = match tcp {
        Some(tcp) => tcp,
        None => {
            return Err(last_error.unwrap_or_else(|| {
                io::Error::new(io::ErrorKind::NotFound, format!("no address for {host}"))
            }))
        }
    };
    tcp.set_nodelay(true)?;
    if !url.is_secure() {
        return Ok(MaybeTlsStream::Plain(tcp));
    }
    secure(tcp, &url, options).await
}

#[cfg(feature = "tls")]
async fn secure(tcp: TcpStream, url: &WsUrl, options: ClientOptions) -> io::Result<MaybeTlsStream> {
    let config = options
        .tls
        .unwrap_or_else(crate::tls::default_client_config);
    crate::tls::connect_tls(tcp, url.host(), config).await
}

/// Unreachable: without the `tls` feature, [`connect_with`] refuses `wss://` as
/// [`Error::Url`] and the browser's `WebSocket` constructor as `SyntaxError`, before
/// any connection starts.
#[cfg(not(feature = "tls"))]
async fn secure(_: TcpStream, _: &WsUrl, _: ClientOptions) -> io::Result<MaybeTlsStream> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "wss:// needs the `tls` feature",
    ))
}
