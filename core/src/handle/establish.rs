//! A client's transport, one way for every runtime and both faces
//! ([`connect_with`](super::connect_with) and [`WebSocket`](super::WebSocket)): TCP to
//! the server, or to the proxy and through its tunnel, then TLS for `wss://`. The
//! runtime gives the pieces ([`Runtime::connect_tcp`], [`Runtime::secure`]); the order,
//! and the proxy exchange over the runtime's TCP stream, are here.

use core::future::poll_fn;
use std::io::{self, IoSlice};

use bytes::BytesMut;

use super::{Runtime, Transport};
use crate::dom::WsUrl;
use crate::proxy::{Proxy, ProxyHandshake, Step};

/// Most bytes one read of the proxy's reply asks for (fewer if the exchange allows
/// fewer: it never reads past the reply).
const MAX_PROXY_READ: usize = 512;

/// The transport for `url`: DNS and TCP (with `TCP_NODELAY`) to the server, or with
/// `proxy` to the proxy, which is asked for a tunnel to the server (HTTP `CONNECT` or
/// SOCKS5, [`ProxyHandshake`]); then TLS for `wss://` with `tls`.
///
/// Unbounded in time: the handles run it within the handshake deadline. A proxy that
/// refuses or answers wrongly is an I/O error with the
/// [`ProxyError`](crate::proxy::ProxyError) inside.
///
/// # Errors
///
/// The I/O error of DNS, TCP, the proxy exchange or TLS.
pub async fn establish<R: Runtime>(
    url: WsUrl,
    proxy: Option<Proxy>,
    tls: R::Tls,
) -> io::Result<R::Transport> {
    let tcp = match &proxy {
        None => {
            let host = url.host().trim_start_matches('[').trim_end_matches(']');
            R::connect_tcp(host, url.port()).await?
        }
        Some(proxy) => {
            let handshake = proxy.handshake_for(&url)?;
            let mut tcp = R::connect_tcp(proxy.host(), proxy.port()).await?;
            tunnel(&mut tcp, handshake).await?;
            tcp
        }
    };
    R::secure(tcp, &url, tls).await
}

/// Runs the proxy's `handshake` over `tcp` until the tunnel is open, reading no byte
/// past the proxy's reply.
async fn tunnel<T: Transport>(tcp: &mut T, mut handshake: ProxyHandshake) -> io::Result<()> {
    loop {
        match handshake.step() {
            Step::Write(bytes) => {
                let n = poll_fn(|cx| tcp.poll_write_vectored(cx, &[IoSlice::new(bytes)])).await?;
                if n == 0 {
                    return Err(io::ErrorKind::WriteZero.into());
                }
                handshake.advance(n);
                poll_fn(|cx| tcp.poll_flush(cx)).await?;
            }
            Step::Read(max) => {
                let max = max.clamp(1, MAX_PROXY_READ);
                // A transport reads into the buffer's spare capacity: exactly `max`.
                let mut buf = BytesMut::with_capacity(max);
                drop(buf.split_off(max));
                let n = poll_fn(|cx| tcp.poll_read_buf(cx, &mut buf)).await?;
                if n > max || buf.len() > max {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the transport read past the proxy's reply",
                    ));
                }
                handshake.received(&buf)?;
            }
            Step::Done => return Ok(()),
        }
    }
}
