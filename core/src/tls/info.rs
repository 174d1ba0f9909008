//! [`TlsInfo`]: what a connection's TLS handshake settled, captured once when the
//! transport is set up.

use alloc::string::String;
use alloc::vec::Vec;

use rustls::pki_types::CertificateDer;
use rustls::{ClientConnection, CommonState, ProtocolVersion, ServerConnection};

/// The facts of an established TLS session, as the runtimes report them
/// (`WebSocketStream::tls()`): taken from rustls' `ClientConnection` /
/// `ServerConnection` once, after the handshake, so reading them costs nothing per
/// message. Cloned out of the connection: it stays valid after the connection closes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The negotiated protocol version (`ProtocolVersion::TLSv1_3`, `TLSv1_2`).
    pub protocol_version: Option<ProtocolVersion>,
    /// The negotiated cipher suite's IANA name (`"TLS13_AES_256_GCM_SHA384"`, ...).
    pub cipher_suite: Option<&'static str>,
    /// The ALPN protocol both sides agreed on, if any (for example `b"http/1.1"`).
    pub alpn_protocol: Option<Vec<u8>>,
    /// The server name (SNI). Server side: the name the client asked for. Client side:
    /// the host of the URL the client connected to, which it verified the certificate
    /// against and sent as SNI; `None` for an IP address (no SNI is sent for one).
    pub server_name: Option<String>,
    /// The peer's certificate chain (DER), its own certificate first; empty when the
    /// peer sent none (a server that did not ask for client certificates).
    pub peer_certificates: Vec<CertificateDer<'static>>,
}

impl TlsInfo {
    /// The facts of a client connection whose handshake is complete; `server_name` is
    /// the name it was created with (rustls does not keep it): see
    /// [`with_client_url`](Self::with_client_url) to derive it from the URL.
    pub fn from_client(conn: &ClientConnection, server_name: Option<&str>) -> TlsInfo {
        TlsInfo::from_state(conn, server_name)
    }

    /// The facts of a server connection whose handshake is complete, with the SNI the
    /// client sent.
    pub fn from_server(conn: &ServerConnection) -> TlsInfo {
        TlsInfo::from_state(conn, conn.server_name())
    }

    /// The facts of either side's connection state (a `ConnectionCommon` derefs to it)
    /// whose handshake is complete, with `server_name` as the caller knows it.
    pub fn from_state(state: &CommonState, server_name: Option<&str>) -> TlsInfo {
        TlsInfo {
            protocol_version: state.protocol_version(),
            cipher_suite: state
                .negotiated_cipher_suite()
                .and_then(|suite| suite.suite().as_str()),
            alpn_protocol: state.alpn_protocol().map(<[u8]>::to_vec),
            server_name: server_name.map(String::from),
            peer_certificates: state
                .peer_certificates()
                .map_or_else(Vec::new, <[_]>::to_vec),
        }
    }

    /// Client side: fills [`server_name`](Self::server_name), if unset, with the host
    /// of `url` (a client connection's
    /// [`Connection::url`](crate::Connection::url)) when it is a DNS name, as the
    /// client's TLS handshake sent it. Leaves it unset for an IP address or a URL that
    /// does not parse (an empty one: a server, or a connection upgraded elsewhere).
    #[must_use]
    pub fn with_client_url(mut self, url: &str) -> TlsInfo {
        if self.server_name.is_none() {
            self.server_name = match url::Url::parse(url).ok().as_ref().and_then(|u| u.host()) {
                Some(url::Host::Domain(name)) => Some(String::from(name)),
                _ => None,
            };
        }
        self
    }
}
