//! What a transport told about itself when a connection opened (its addresses, the TLS
//! facts), kept for the handles: the async ones ([`handle`](crate::handle)) and the
//! blocking ones ([`blocking`](crate::blocking)) alike.

use std::net::SocketAddr;

use crate::Connection;

/// A transport's `peer_addr`, `local_addr` and `tls_info`, asked once when the
/// connection opened.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    pub(crate) peer_addr: Option<SocketAddr>,
    pub(crate) local_addr: Option<SocketAddr>,
    /// Boxed: over a plain transport (most connections) it costs one word, not the
    /// ~100 bytes of a `TlsInfo`, in every connection's state and handles.
    #[cfg(feature = "rustls")]
    pub(crate) tls: Option<alloc::boxed::Box<crate::tls::TlsInfo>>,
}

impl Facts {
    /// The facts a handle keeps: client side, the TLS server name is the host of the
    /// URL `conn` was created for ([`TlsInfo::with_client_url`](crate::tls::TlsInfo::with_client_url)).
    pub(crate) fn for_handles(self, conn: &Connection) -> Facts {
        #[cfg(feature = "rustls")]
        let tls = self
            .tls
            .map(|tls| alloc::boxed::Box::new((*tls).with_client_url(conn.url())));
        #[cfg(not(feature = "rustls"))]
        let _ = conn;
        Facts {
            #[cfg(feature = "rustls")]
            tls,
            ..self
        }
    }
}

/// The getters `peer_addr`, `local_addr` and `tls` (feature `rustls`) of a handle whose
/// [`Facts`] are at `self.<path>`.
macro_rules! transport_facts {
    ($($field:ident).+) => {
        /// The peer's socket address, as the transport reported it when the connection
        /// opened; `None` for a transport without one (a Unix socket, a pipe, an
        /// upgraded HTTP stream).
        pub fn peer_addr(&self) -> Option<std::net::SocketAddr> {
            self.$($field).+.peer_addr
        }

        /// The local socket address, as the transport reported it when the connection
        /// opened; `None` for a transport without one.
        pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
            self.$($field).+.local_addr
        }

        /// The TLS session's facts (protocol version, cipher suite, ALPN, server name,
        /// the peer's certificates), captured once when the connection opened; `None`
        /// over a plain transport.
        #[cfg(feature = "rustls")]
        pub fn tls(&self) -> Option<&crate::tls::TlsInfo> {
            self.$($field).+.tls.as_deref()
        }
    };
}
pub(crate) use transport_facts;
