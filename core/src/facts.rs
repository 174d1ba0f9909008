//! What a transport told about itself when a connection opened (its addresses, the TLS
//! facts), kept for the handles: the async ones ([`handle`](crate::handle)) and the
//! blocking ones ([`blocking`](crate::blocking)) alike.

use std::net::SocketAddr;
use std::sync::OnceLock;

use crate::handshake::{Request, Response};
use crate::session::Agreed;
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
/// [`Facts`] are at `self.<path>` (or, with `@opened`, in the [`Opened`] that
/// `self.<path>.opened()` returns).
macro_rules! transport_facts {
    (@opened $($field:ident).+) => {
        /// The peer's socket address, as the transport reported it when the connection
        /// opened; `None` for a transport without one (a Unix socket, a pipe, an
        /// upgraded HTTP stream).
        pub fn peer_addr(&self) -> Option<std::net::SocketAddr> {
            self.$($field).+.opened().facts.peer_addr
        }

        /// The local socket address, as the transport reported it when the connection
        /// opened; `None` for a transport without one.
        pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
            self.$($field).+.opened().facts.local_addr
        }

        /// The TLS session's facts (protocol version, cipher suite, ALPN, server name,
        /// the peer's certificates), captured once when the connection opened; `None`
        /// over a plain transport.
        #[cfg(feature = "rustls")]
        pub fn tls(&self) -> Option<&crate::tls::TlsInfo> {
            self.$($field).+.opened().facts.tls.as_deref()
        }
    };
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

/// What a connection's handles keep about its opening, shared by them all: what the
/// handshake agreed ([`Agreed`]) and the transport's [`Facts`]. The async handles keep
/// it in the connection's shared allocation (set once when the connection opens; empty,
/// the default, until then), the blocking ones in an allocation of its own.
///
/// The server's request head is kept compact ([`RequestHead`]): a [`Request`] is
/// rebuilt from it the first time [`request`](Self::request) is asked.
#[derive(Debug, Default)]
pub(crate) struct Opened {
    protocol: Option<String>,
    extensions: String,
    /// Boxed: a server's connections (most of them) have none.
    response: Option<Box<Response>>,
    request: Option<RequestHead>,
    pub(crate) facts: Facts,
}

impl Opened {
    /// Keeps `agreed` and `facts`.
    pub(crate) fn new(agreed: Agreed, facts: Facts) -> Opened {
        Opened {
            protocol: agreed.protocol,
            extensions: agreed.extensions,
            response: agreed.response.map(Box::new),
            request: agreed.request.as_ref().map(RequestHead::new),
            facts,
        }
    }

    /// [`Agreed::protocol`].
    pub(crate) fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// [`Agreed::extensions`].
    pub(crate) fn extensions(&self) -> &str {
        &self.extensions
    }

    /// [`Agreed::response`].
    pub(crate) fn response(&self) -> Option<&Response> {
        self.response.as_deref()
    }

    /// [`Agreed::request`].
    pub(crate) fn request(&self) -> Option<&Request> {
        self.request.as_ref().map(RequestHead::request)
    }
}

/// Fields a [`RequestHead`] stores as a one-byte tag (see there). At most 64 entries
/// (a tag under 128 is one byte).
const COMMON: [&[u8]; 22] = [
    b"GET",
    b"Host",
    b"Upgrade",
    b"Connection",
    b"Sec-WebSocket-Key",
    b"Sec-WebSocket-Version",
    b"Sec-WebSocket-Extensions",
    b"Sec-WebSocket-Protocol",
    b"Origin",
    b"User-Agent",
    b"websocket",
    b"13",
    b"upgrade",
    b"host",
    b"connection",
    b"sec-websocket-key",
    b"sec-websocket-version",
    b"sec-websocket-extensions",
    b"sec-websocket-protocol",
    b"origin",
    b"user-agent",
    b"permessage-deflate; client_max_window_bits",
];

/// A [`Request`] kept in one allocation: the version byte, then its fields in the order
/// method, path, then each header's name and value, each as a tag (LEB128): `2 * len`
/// followed by the field's `len` bytes, or `2 * i + 1` for a field equal byte for byte
/// to [`COMMON`]`[i]` (the method, header names and values every upgrade request
/// carries, as clients spell them: most of a typical request's bytes). The [`Request`]
/// itself is rebuilt, once, when it is first asked for.
#[derive(Debug)]
struct RequestHead {
    bytes: Box<[u8]>,
    parsed: OnceLock<Box<Request>>,
}

impl RequestHead {
    fn new(request: &Request) -> RequestHead {
        let mut bytes = Vec::new();
        bytes.push(request.version);
        let mut field = |b: &[u8]| {
            let common = COMMON.iter().position(|c| *c == b);
            let mut len = match common {
                Some(i) => 2 * i + 1,
                None => 2 * b.len(),
            };
            loop {
                let low = (len & 0x7f) as u8;
                len >>= 7;
                if len == 0 {
                    bytes.push(low);
                    break;
                }
                bytes.push(low | 0x80);
            }
            if common.is_none() {
                bytes.extend_from_slice(b);
            }
        };
        field(request.method.as_bytes());
        field(request.path.as_bytes());
        for (name, value) in &request.headers {
            field(name.as_bytes());
            field(value);
        }
        RequestHead {
            bytes: bytes.into_boxed_slice(),
            parsed: OnceLock::new(),
        }
    }

    fn request(&self) -> &Request {
        self.parsed.get_or_init(|| Box::new(self.decode()))
    }

    /// The request [`new`](Self::new) was given.
    fn decode(&self) -> Request {
        let Some((&version, mut rest)) = self.bytes.split_first() else {
            return Request::default();
        };
        let mut field = || -> Option<&[u8]> {
            let mut tag = 0usize;
            let mut shift = 0;
            loop {
                let (&b, tail) = rest.split_first()?;
                rest = tail;
                tag |= usize::from(b & 0x7f) << shift;
                shift += 7;
                if b & 0x80 == 0 {
                    break;
                }
            }
            if tag & 1 == 1 {
                return COMMON.get(tag >> 1).copied();
            }
            let (value, tail) = rest.split_at_checked(tag >> 1)?;
            rest = tail;
            Some(value)
        };
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let method = field().map(text).unwrap_or_default();
        let path = field().map(text).unwrap_or_default();
        let mut headers = Vec::new();
        while let (Some(name), Some(value)) = (field(), field()) {
            headers.push((text(name), value.to_vec()));
        }
        Request {
            method,
            path,
            version,
            headers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_request_head_gives_back_the_request() {
        let long = vec![b'x'; 300];
        let request = Request {
            method: "GET".into(),
            path: "/chat?room=1".into(),
            version: 1,
            headers: vec![
                ("Host".into(), b"example.com".to_vec()),
                ("Upgrade".into(), b"websocket".to_vec()),
                ("connection".into(), b"Upgrade".to_vec()),
                ("Sec-WebSocket-Version".into(), b"13".to_vec()),
                ("Sec-Websocket-Version".into(), b"13 ".to_vec()),
                ("X-Long".into(), long),
                ("X-Raw".into(), b"\xff\x00 ".to_vec()),
                ("X-Empty".into(), Vec::new()),
            ],
        };
        let head = RequestHead::new(&request);
        assert!(head.bytes.len() < 400);
        // The common fields take one byte each.
        let plain = Request {
            method: "GET".into(),
            path: "/".into(),
            version: 1,
            headers: vec![
                ("Upgrade".into(), b"websocket".to_vec()),
                ("Sec-WebSocket-Version".into(), b"13".to_vec()),
            ],
        };
        let plain_head = RequestHead::new(&plain);
        assert_eq!(plain_head.bytes.len(), 1 + 1 + 2 + 4);
        assert_eq!(plain_head.request(), &plain);
        assert_eq!(head.request(), &request);
        assert_eq!(head.request().header_str("host"), Some("example.com"));
        assert_eq!(
            RequestHead::new(&Request::default()).request(),
            &Request::default()
        );
    }
}
