//! TLS: the rustls configurations (websock-core's `tls`, shared by every runtime: the
//! crypto provider by feature, `ring` or `aws-lc-rs`, named explicitly; the trusted roots
//! by feature or at run time with [`Roots`]) and the client's TLS handshake over std's TCP.

use std::io;
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::{
    ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection, SideData,
    StreamOwned,
};
#[cfg(feature = "aws-lc-rs")]
pub use websock_core::tls::aws_lc_rs_provider;
#[cfg(feature = "native-roots")]
pub use websock_core::tls::native_roots;
#[cfg(feature = "ring")]
pub use websock_core::tls::ring_provider;
#[cfg(feature = "webpki-roots")]
pub use websock_core::tls::webpki_roots;
pub use websock_core::tls::{
    client_config, client_config_trusting, client_config_with_provider, client_config_with_roots,
    crypto_provider, default_client_config, server_config, server_config_from_pem,
    server_config_with_provider, try_default_client_config, Roots,
};

use crate::stream::MaybeTlsStream;
use crate::{Error, Result};

/// Runs the client side of a TLS handshake over `tcp` for the server name `host` (a DNS
/// name or an IP address; brackets around IPv6 are removed); then hand the stream to
/// [`client_handshake`](crate::client_handshake). The same item as websock-tokio's and
/// websock-smol's `tls::connect_tls`; being blocking (a call that cannot be dropped),
/// the handshake must finish within
/// [`ACCEPT_TIMEOUT`](websock_core::tls::ACCEPT_TIMEOUT) (10 s), one socket read or
/// write at a time, else `Error::Protocol(HandshakeTimeout)`.
///
/// # Errors
///
/// [`Error::Io`] (`InvalidInput`) for a host that is not a valid server name,
/// [`Error::Tls`] or [`Error::Io`] if the handshake fails.
pub fn connect_tls(
    tcp: TcpStream,
    host: &str,
    config: Arc<ClientConfig>,
) -> Result<MaybeTlsStream> {
    let deadline = Instant::now().checked_add(websock_core::tls::ACCEPT_TIMEOUT);
    let stream = client_stream(tcp, host, config, deadline)?;
    Ok(MaybeTlsStream::ClientTls(Box::new(stream)))
}

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
    complete_handshake(&mut conn, &mut tcp, deadline)?;
    Ok(StreamOwned::new(conn, tcp))
}

/// The TLS server handshake over an accepted `tcp` connection, to finish within
/// [`ACCEPT_TIMEOUT`](websock_core::tls::ACCEPT_TIMEOUT) (10 s), else
/// `Error::Protocol(HandshakeTimeout)`; then hand the stream to
/// [`accept`](crate::accept) or [`accept_with`](crate::accept_with).
/// [`accept_tls_within`] takes another bound.
pub fn accept_tls(tcp: TcpStream, config: Arc<ServerConfig>) -> Result<MaybeTlsStream> {
    accept_tls_within(tcp, config, websock_core::tls::ACCEPT_TIMEOUT)
}

/// [`accept_tls`] with the TLS handshake bounded by `timeout` instead.
pub fn accept_tls_within(
    mut tcp: TcpStream,
    config: Arc<ServerConfig>,
    timeout: Duration,
) -> Result<MaybeTlsStream> {
    let mut conn = ServerConnection::new(config).map_err(Error::tls)?;
    let deadline = Instant::now().checked_add(timeout);
    complete_handshake(&mut conn, &mut tcp, deadline)?;
    Ok(MaybeTlsStream::ServerTls(Box::new(StreamOwned::new(
        conn, tcp,
    ))))
}

/// Runs `conn`'s TLS handshake over `tcp` until it is done or `deadline` passes: one
/// socket read or write at a time, each bounded by the time left, so a peer that
/// trickles its handshake one byte at a time cannot stretch it.
fn complete_handshake<D: SideData>(
    conn: &mut ConnectionCommon<D>,
    tcp: &mut TcpStream,
    deadline: Option<Instant>,
) -> Result<()> {
    while conn.is_handshaking() || conn.wants_write() {
        let left = crate::runtime::time_left(deadline)?;
        tcp.set_read_timeout(left)?;
        tcp.set_write_timeout(left)?;
        let step = if conn.wants_write() {
            conn.write_tls(tcp).map(drop)
        } else {
            match conn.read_tls(tcp) {
                Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(_) => conn.process_new_packets().map(drop).map_err(|e| {
                    // Tell the peer why (best effort), then report rustls' error.
                    let _ = conn.write_tls(tcp);
                    io::Error::new(io::ErrorKind::InvalidData, e)
                }),
                Err(e) => Err(e),
            }
        };
        step.map_err(|e| match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                Error::Protocol(websock_core::Error::HandshakeTimeout)
            }
            _ => Error::from_io(e),
        })?;
    }
    tcp.set_read_timeout(None)?;
    tcp.set_write_timeout(None)?;
    Ok(())
}
