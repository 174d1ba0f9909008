//! TLS: the rustls configurations (websock-core's, shared by every runtime: the ring
//! provider named explicitly, webpki roots) and the client's TLS handshake over std's TCP.

use std::net::TcpStream;
use std::sync::Arc;
use std::time::Instant;

use rustls::{ClientConfig, ClientConnection, ServerConfig, StreamOwned};
pub use websock_core::tls::{
    client_config_trusting, client_config_with_roots, default_client_config, server_config,
};

use crate::stream::MaybeTlsStream;
use crate::{Error, Result};

/// Client side: wrap `tcp` in TLS for `host` and complete the TLS handshake before
/// `deadline`.
pub(crate) fn client_stream(
    mut tcp: TcpStream,
    host: &str,
    config: Arc<ClientConfig>,
    deadline: Option<Instant>,
) -> Result<StreamOwned<ClientConnection, TcpStream>> {
    let name = websock_core::tls::server_name(host)?;
    let mut conn = ClientConnection::new(config, name).map_err(Error::tls)?;
    while conn.is_handshaking() {
        let left = crate::connect::time_left(deadline)?;
        tcp.set_read_timeout(left)?;
        tcp.set_write_timeout(left)?;
        conn.complete_io(&mut tcp).map_err(|e| match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                Error::Protocol(websock_core::Error::HandshakeTimeout)
            }
            _ => Error::from_io(e),
        })?;
    }
    tcp.set_read_timeout(None)?;
    tcp.set_write_timeout(None)?;
    Ok(StreamOwned::new(conn, tcp))
}

/// Server side: wrap an accepted TCP connection in TLS with `config`, then hand the
/// stream to [`accept`](crate::accept) or [`accept_with`](crate::accept_with). The TLS
/// handshake runs on first use, inside the WebSocket handshake and under its deadline
/// ([`Timeouts::handshake`](websock_core::Timeouts::handshake)), so a client that
/// never speaks cannot hold the thread forever.
///
/// # Errors
///
/// [`Error::Tls`] if `config` cannot be used.
pub fn accept_tls(tcp: TcpStream, config: Arc<ServerConfig>) -> Result<MaybeTlsStream> {
    let conn = rustls::ServerConnection::new(config).map_err(Error::tls)?;
    Ok(MaybeTlsStream::ServerTls(Box::new(StreamOwned::new(
        conn, tcp,
    ))))
}
