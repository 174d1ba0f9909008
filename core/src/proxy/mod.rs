//! Client proxies, sans-IO: an HTTP `CONNECT` or SOCKS5 tunnel to the WebSocket server,
//! opened before TLS and the opening handshake.
//!
//! * [`Proxy`]: the configuration (`http://user:pass@host:port`,
//!   `socks5h://host:port`), set on the client options (`ClientSettings::proxy`);
//!   [`Proxy::from_env`] reads the usual environment variables, only when asked.
//! * [`ProxyHandshake`]: the tunnel's exchange as a state machine. A runtime connects
//!   TCP to [`Proxy::host`] / [`Proxy::port`], then repeats [`ProxyHandshake::step`]:
//!   write what it offers, or read at most as many bytes as it asks for, until
//!   [`Step::Done`]; the socket is then a tunnel to the server (run TLS for `wss://`,
//!   then the WebSocket handshake, over it). The exchange never reads a byte past the
//!   proxy's reply, so nothing needs to be handed back.
//! * [`ProxyError`]: what went wrong, by who is at fault.
//!
//! ```
//! use websock_core::proxy::{Proxy, Step};
//!
//! let proxy = Proxy::parse("socks5h://user:secret@proxy.example:1080").unwrap();
//! assert_eq!((proxy.host(), proxy.port()), ("proxy.example", 1080));
//! let mut tunnel = proxy.handshake("echo.example", 443).unwrap();
//! // The method offer: SOCKS5, two methods, none and username/password.
//! let Step::Write(bytes) = tunnel.step() else { panic!() };
//! assert_eq!(bytes, [5, 2, 0, 2]);
//! tunnel.advance(4);
//! assert_eq!(tunnel.step(), Step::Read(2));
//! ```

mod error;
mod http_connect;
mod socks5;

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

pub use error::ProxyError;
pub use http_connect::{HttpConnect, MAX_REPLY_HEAD};
pub use socks5::Socks5;

/// The proxy protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProxyKind {
    /// An HTTP proxy, asked with `CONNECT host:port` (`http://` URLs).
    HttpConnect,
    /// A SOCKS5 proxy (`socks5://` and `socks5h://` URLs: both send domain names to the
    /// proxy, which resolves them).
    Socks5,
}

/// A username and password for a proxy (HTTP Basic `Proxy-Authorization`, or SOCKS5
/// username/password authentication). `Debug` does not show the password.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ProxyAuth {
    username: String,
    password: String,
}

impl ProxyAuth {
    /// Credentials: the username must not be empty, and neither may exceed 255 bytes
    /// (SOCKS5's limit, RFC 1929) or hold control characters.
    ///
    /// # Errors
    ///
    /// [`ProxyError::InvalidUrl`] otherwise.
    pub fn new(
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Result<Self, ProxyError> {
        let (username, password) = (username.into(), password.into());
        if username.is_empty() {
            return Err(ProxyError::InvalidUrl("an empty proxy username"));
        }
        if username.len() > 255 || password.len() > 255 {
            return Err(ProxyError::InvalidUrl(
                "a proxy username or password over 255 bytes",
            ));
        }
        if username
            .chars()
            .chain(password.chars())
            .any(char::is_control)
        {
            return Err(ProxyError::InvalidUrl(
                "a control character in the proxy credentials",
            ));
        }
        if username.contains(':') {
            return Err(ProxyError::InvalidUrl("a ':' in the proxy username"));
        }
        Ok(ProxyAuth { username, password })
    }

    /// The username.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The password.
    pub fn password(&self) -> &str {
        &self.password
    }
}

impl fmt::Debug for ProxyAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProxyAuth")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A proxy to reach WebSocket servers through: its protocol, address and optional
/// credentials. Set it on the client options (`options.proxy(proxy)`); every runtime's
/// `connect` / `connect_with` then connects to the proxy, opens the tunnel, and runs TLS
/// and the opening handshake through it, all within the handshake timeout.
///
/// ```
/// use websock_core::proxy::{Proxy, ProxyKind};
///
/// let p = Proxy::http("http://alice:s%40cret@10.0.0.1:3128").unwrap();
/// assert_eq!((p.kind(), p.host(), p.port()), (ProxyKind::HttpConnect, "10.0.0.1", 3128));
/// assert_eq!(p.auth().unwrap().password(), "s@cret");
/// let p = Proxy::parse("socks5h://[::1]").unwrap();
/// assert_eq!((p.kind(), p.host(), p.port()), (ProxyKind::Socks5, "::1", 1080));
/// assert!(Proxy::socks5("localhost:9050").unwrap().auth().is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Proxy {
    kind: ProxyKind,
    host: String,
    port: u16,
    auth: Option<ProxyAuth>,
}

impl Proxy {
    /// An HTTP `CONNECT` proxy from a URL `http://[user:pass@]host[:port]` (port 80 by
    /// default) or a bare `host:port`. Percent-encoded credentials are decoded.
    ///
    /// # Errors
    ///
    /// [`ProxyError::InvalidUrl`] for another scheme, no host, a path, query or
    /// fragment, or bad credentials.
    pub fn http(url: &str) -> Result<Proxy, ProxyError> {
        Self::parse_as(url, Some(ProxyKind::HttpConnect))
    }

    /// A SOCKS5 proxy from a URL `socks5h://[user:pass@]host[:port]` or `socks5://...`
    /// (both let the proxy resolve the server's name), port 1080 by default, or a bare
    /// `host:port`.
    ///
    /// # Errors
    ///
    /// As [`http`](Self::http).
    pub fn socks5(url: &str) -> Result<Proxy, ProxyError> {
        Self::parse_as(url, Some(ProxyKind::Socks5))
    }

    /// A proxy from a URL whose scheme names the protocol: `http://` (HTTP `CONNECT`),
    /// `socks5://` or `socks5h://`; without a scheme, HTTP (as curl assumes).
    ///
    /// # Errors
    ///
    /// [`ProxyError::InvalidUrl`] for other schemes (`https://` proxies, SOCKS4, ...) and
    /// as [`http`](Self::http).
    pub fn parse(url: &str) -> Result<Proxy, ProxyError> {
        Self::parse_as(url, None)
    }

    /// A proxy of `kind` at `host` (a name or an IP address, IPv6 with or without
    /// brackets) and `port`, without credentials.
    pub fn new(kind: ProxyKind, host: impl Into<String>, port: u16) -> Proxy {
        let host: String = host.into();
        let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(bare) => bare.to_owned(),
            None => host,
        };
        Proxy {
            kind,
            host,
            port,
            auth: None,
        }
    }

    /// The same proxy with credentials (see [`ProxyAuth::new`]).
    pub fn with_auth(mut self, auth: ProxyAuth) -> Proxy {
        self.auth = Some(auth);
        self
    }

    /// The protocol.
    pub fn kind(&self) -> ProxyKind {
        self.kind
    }

    /// The proxy's host to connect TCP to: a name, or an IP address (IPv6 without
    /// brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The credentials, if any.
    pub fn auth(&self) -> Option<&ProxyAuth> {
        self.auth.as_ref()
    }

    /// The exchange that asks this proxy for a tunnel to `host` (a name or an IP
    /// address, IPv6 with or without brackets) and `port`.
    ///
    /// # Errors
    ///
    /// [`ProxyError::InvalidTarget`] for a destination the protocol cannot express.
    pub fn handshake(&self, host: &str, port: u16) -> Result<ProxyHandshake, ProxyError> {
        match self.kind {
            ProxyKind::HttpConnect => {
                if host.is_empty() {
                    return Err(ProxyError::InvalidTarget("an empty host"));
                }
                let bare = host.trim_start_matches('[').trim_end_matches(']');
                let authority = if bare.contains(':') {
                    format!("[{bare}]:{port}")
                } else {
                    format!("{bare}:{port}")
                };
                Ok(ProxyHandshake::Http(HttpConnect::new(
                    &authority,
                    self.auth(),
                )))
            }
            ProxyKind::Socks5 => Ok(ProxyHandshake::Socks5(Socks5::new(
                host,
                port,
                self.auth(),
            )?)),
        }
    }

    /// The exchange for a WebSocket URL's host and port ([`handshake`](Self::handshake)).
    ///
    /// # Errors
    ///
    /// As [`handshake`](Self::handshake).
    pub fn handshake_for(&self, url: &crate::dom::WsUrl) -> Result<ProxyHandshake, ProxyError> {
        self.handshake(url.host(), url.port())
    }

    fn parse_as(url: &str, expected: Option<ProxyKind>) -> Result<Proxy, ProxyError> {
        let url = url.trim();
        let with_scheme;
        let url = if url.contains("://") {
            url
        } else {
            let scheme = match expected {
                Some(ProxyKind::Socks5) => "socks5h",
                _ => "http",
            };
            with_scheme = format!("{scheme}://{url}");
            &with_scheme
        };
        let parsed =
            url::Url::parse(url).map_err(|_| ProxyError::InvalidUrl("it does not parse"))?;
        let (kind, default_port) = match parsed.scheme() {
            "http" => (ProxyKind::HttpConnect, 80),
            "socks5" | "socks5h" => (ProxyKind::Socks5, 1080),
            "https" => {
                return Err(ProxyError::InvalidUrl(
                    "https:// proxies (TLS to the proxy) are not supported",
                ))
            }
            _ => {
                return Err(ProxyError::InvalidUrl(
                    "the scheme is not http, socks5 or socks5h",
                ))
            }
        };
        if expected.is_some_and(|e| e != kind) {
            return Err(ProxyError::InvalidUrl(
                "the scheme names another proxy protocol",
            ));
        }
        if !matches!(parsed.path(), "" | "/")
            || parsed.query().is_some()
            || parsed.fragment().is_some()
        {
            return Err(ProxyError::InvalidUrl(
                "a proxy URL has no path, query or fragment",
            ));
        }
        let host = match parsed.host() {
            Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            _ => return Err(ProxyError::InvalidUrl("no host")),
        };
        let mut proxy = Proxy::new(kind, host, parsed.port().unwrap_or(default_port));
        if parsed.username().is_empty() && parsed.password().is_some() {
            return Err(ProxyError::InvalidUrl(
                "a proxy password without a username",
            ));
        }
        if !parsed.username().is_empty() {
            let username = percent_decode(parsed.username())?;
            let password = percent_decode(parsed.password().unwrap_or(""))?;
            proxy = proxy.with_auth(ProxyAuth::new(username, password)?);
        }
        Ok(proxy)
    }

    /// The proxy the environment names for `target` (a `ws://` / `wss://` URL), as curl
    /// and most HTTP clients read it: `https_proxy` / `HTTPS_PROXY` for `wss://`,
    /// `http_proxy` / `HTTP_PROXY` for `ws://`, then `all_proxy` / `ALL_PROXY` (the
    /// lowercase name first, empty values ignored), unless `no_proxy` / `NO_PROXY`
    /// exempts the host (`*`, or a comma-separated list of names, each matching itself
    /// and its subdomains, and IP addresses). The value is parsed by [`parse`](Self::parse).
    ///
    /// Never applied implicitly: pass the result to the options' `proxy` yourself.
    ///
    /// # Errors
    ///
    /// [`ProxyError::InvalidTarget`] for a `target` that is not a WebSocket URL,
    /// [`ProxyError::InvalidUrl`] for a variable that does not parse.
    #[cfg(feature = "std")]
    pub fn from_env(target: &str) -> Result<Option<Proxy>, ProxyError> {
        Self::from_vars(target, |name| std::env::var(name).ok())
    }

    /// [`from_env`](Self::from_env) over any source of variables.
    #[cfg(feature = "std")]
    fn from_vars(
        target: &str,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Proxy>, ProxyError> {
        let options = crate::dom::UrlOptions {
            check_bad_ports: false,
        };
        let url = crate::dom::parse_websocket_url_with(target, options)
            .map_err(|_| ProxyError::InvalidTarget("not a ws:// or wss:// URL"))?;
        let get = |names: &[&str]| {
            names
                .iter()
                .filter_map(|n| var(n))
                .map(|v| v.trim().to_owned())
                .find(|v| !v.is_empty())
        };
        if let Some(list) = get(&["no_proxy", "NO_PROXY"]) {
            if no_proxy_matches(&list, url.host()) {
                return Ok(None);
            }
        }
        let scheme_vars: &[&str] = if url.is_secure() {
            &["https_proxy", "HTTPS_PROXY"]
        } else {
            &["http_proxy", "HTTP_PROXY"]
        };
        match get(scheme_vars).or_else(|| get(&["all_proxy", "ALL_PROXY"])) {
            Some(value) => Proxy::parse(&value).map(Some),
            None => Ok(None),
        }
    }
}

impl core::str::FromStr for Proxy {
    type Err = ProxyError;

    /// [`Proxy::parse`].
    fn from_str(url: &str) -> Result<Proxy, ProxyError> {
        Proxy::parse(url)
    }
}

#[cfg(feature = "std")]
/// Whether a `no_proxy` list exempts `host` (as [`crate::dom::WsUrl::host`] gives it).
fn no_proxy_matches(list: &str, host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    list.split(',').map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry.trim_start_matches("*.").trim_start_matches('.');
        // An entry may carry a port ("host:8080", "[::1]:80"); ports are not compared.
        let entry = match entry.strip_prefix('[') {
            Some(rest) => rest.split(']').next().unwrap_or(""),
            None if entry.matches(':').count() == 1 => entry.split(':').next().unwrap_or(""),
            None => entry,
        };
        if entry.is_empty() {
            return false;
        }
        host.eq_ignore_ascii_case(entry)
            || (host.len() > entry.len()
                && host.as_bytes()[host.len() - entry.len() - 1] == b'.'
                && host[host.len() - entry.len()..].eq_ignore_ascii_case(entry))
    })
}

/// Decodes `%XX` escapes (URL userinfo) into UTF-8.
fn percent_decode(s: &str) -> Result<String, ProxyError> {
    let bad = ProxyError::InvalidUrl("bad percent-encoding in the credentials");
    let mut out = Vec::with_capacity(s.len());
    let mut bytes = s.bytes();
    while let Some(b) = bytes.next() {
        if b != b'%' {
            out.push(b);
            continue;
        }
        let hex = [bytes.next(), bytes.next()];
        let digit = |d: Option<u8>| d.and_then(|d| (d as char).to_digit(16));
        match (digit(hex[0]), digit(hex[1])) {
            (Some(hi), Some(lo)) => out.push((hi * 16 + lo) as u8),
            _ => return Err(bad),
        }
    }
    String::from_utf8(out).map_err(|_| bad)
}

/// What a driver does next for a [`ProxyHandshake`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// Write these bytes (all or part), then call [`ProxyHandshake::advance`].
    Write(&'a [u8]),
    /// Read at most this many bytes (never more: they would belong to the tunnel), and
    /// hand them to [`ProxyHandshake::received`] (an empty slice for the end of stream).
    Read(usize),
    /// The tunnel is open: the stream now reaches the server.
    Done,
}

/// The exchange that opens a tunnel through a proxy: HTTP `CONNECT` or SOCKS5.
///
/// A driver loop (blocking, here; an async one is the same with `.await`):
///
/// ```no_run
/// # use std::io::{Read, Write};
/// # use websock_core::proxy::{Proxy, ProxyHandshake, Step};
/// # fn tunnel(tcp: &mut std::net::TcpStream, mut hs: ProxyHandshake) -> std::io::Result<()> {
/// let mut buf = [0u8; 512];
/// loop {
///     match hs.step() {
///         Step::Write(bytes) => {
///             let n = tcp.write(bytes)?;
///             hs.advance(n);
///         }
///         Step::Read(max) => {
///             let n = tcp.read(&mut buf[..max.min(512)])?;
///             hs.received(&buf[..n])?;
///         }
///         Step::Done => return Ok(()),
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ProxyHandshake {
    /// HTTP `CONNECT`.
    Http(HttpConnect),
    /// SOCKS5.
    Socks5(Socks5),
}

impl ProxyHandshake {
    /// What to do next: write, read (at most so many bytes), or nothing (done).
    pub fn step(&self) -> Step<'_> {
        let (out, limit, done) = match self {
            ProxyHandshake::Http(h) => (h.transmit(), h.read_limit(), h.is_done()),
            ProxyHandshake::Socks5(s) => (s.transmit(), s.read_limit(), s.is_done()),
        };
        if !out.is_empty() {
            Step::Write(out)
        } else if done {
            Step::Done
        } else {
            Step::Read(limit)
        }
    }

    /// `n` bytes of the offered [`Step::Write`] were written.
    pub fn advance(&mut self, n: usize) {
        match self {
            ProxyHandshake::Http(h) => h.advance(n),
            ProxyHandshake::Socks5(s) => s.advance(n),
        }
    }

    /// Bytes read from the proxy, no more than [`Step::Read`] allowed (`data` empty: the
    /// end of stream).
    ///
    /// # Errors
    ///
    /// The [`ProxyError`] that ends the exchange: the proxy refused, its reply is
    /// malformed or too large, or it closed the connection.
    pub fn received(&mut self, data: &[u8]) -> Result<(), ProxyError> {
        match self {
            ProxyHandshake::Http(h) => h.received(data),
            ProxyHandshake::Socks5(s) => s.received(data),
        }
    }

    /// Whether the tunnel is open.
    pub fn is_done(&self) -> bool {
        matches!(self.step(), Step::Done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn parse_urls() {
        let p = Proxy::parse("http://u:p@proxy:3128").unwrap();
        assert_eq!(p.kind(), ProxyKind::HttpConnect);
        assert_eq!((p.host(), p.port()), ("proxy", 3128));
        let auth = p.auth().unwrap();
        assert_eq!((auth.username(), auth.password()), ("u", "p"));
        assert_eq!(
            Proxy::parse("proxy:8080").unwrap().kind(),
            ProxyKind::HttpConnect
        );
        assert_eq!(Proxy::parse("http://proxy").unwrap().port(), 80);
        assert_eq!(Proxy::parse("http://proxy/").unwrap().port(), 80);
        assert_eq!(Proxy::parse("socks5://proxy").unwrap().port(), 1080);
        assert_eq!(
            Proxy::socks5("proxy:9050").unwrap().kind(),
            ProxyKind::Socks5
        );
        assert_eq!(Proxy::socks5("socks5h://[::1]:9").unwrap().host(), "::1");
        assert_eq!(Proxy::http("127.0.0.1:9").unwrap().host(), "127.0.0.1");
        let p = Proxy::parse("socks5h://us%3Aer@h").unwrap_err();
        assert!(matches!(p, ProxyError::InvalidUrl(_)), "':' in a username");
        let p = Proxy::parse("socks5h://user:p%3Aw%20d@h").unwrap();
        assert_eq!(p.auth().unwrap().password(), "p:w d");
        assert_eq!("socks5://h:1".parse::<Proxy>().unwrap().port(), 1);
        for bad in [
            "https://proxy:443",
            "socks4://proxy",
            "ftp://proxy",
            "http://proxy/path",
            "http://proxy?q",
            "http://proxy#f",
            "http://",
            "http://u:%zz@h",
            "http://u:%ff@h",
            "http://:p@h",
        ] {
            assert!(
                matches!(Proxy::parse(bad), Err(ProxyError::InvalidUrl(_))),
                "{bad}"
            );
        }
        assert!(Proxy::http("socks5://h").is_err());
        assert!(Proxy::socks5("http://h").is_err());
        let long = "a".repeat(256);
        assert!(Proxy::parse(&format!("socks5://{long}:p@h")).is_err());
    }

    #[test]
    fn debug_hides_the_password() {
        let p = Proxy::parse("http://user:hunter2@h").unwrap();
        let shown = format!("{p:?}");
        assert!(
            shown.contains("user") && !shown.contains("hunter2"),
            "{shown}"
        );
    }

    #[test]
    fn new_strips_brackets() {
        let p = Proxy::new(ProxyKind::Socks5, "[::1]", 1);
        assert_eq!(p.host(), "::1");
        assert!(p.auth().is_none());
    }

    #[test]
    fn handshake_targets() {
        let p = Proxy::parse("http://h:1").unwrap();
        let hs = p.handshake("[::1]", 443).unwrap();
        let Step::Write(bytes) = hs.step() else {
            panic!()
        };
        assert!(bytes.starts_with(b"CONNECT [::1]:443 HTTP/1.1\r\n"));
        let hs = p.handshake("::1", 443).unwrap();
        let Step::Write(bytes) = hs.step() else {
            panic!()
        };
        assert!(bytes.starts_with(b"CONNECT [::1]:443 HTTP/1.1\r\n"));
        assert!(p.handshake("", 1).is_err());
        let url = crate::dom::parse_websocket_url("wss://echo.example/x").unwrap();
        let hs = p.handshake_for(&url).unwrap();
        let Step::Write(bytes) = hs.step() else {
            panic!()
        };
        assert!(bytes.starts_with(b"CONNECT echo.example:443 HTTP/1.1\r\n"));
    }

    #[test]
    fn steps_through_an_http_tunnel() {
        let p = Proxy::http("h:1").unwrap();
        let mut hs = p.handshake("s", 80).unwrap();
        let Step::Write(bytes) = hs.step() else {
            panic!()
        };
        let n = bytes.len();
        hs.advance(n);
        let reply = b"HTTP/1.1 200 OK\r\n\r\n";
        let mut at = 0;
        while let Step::Read(max) = hs.step() {
            let n = max.min(reply.len() - at);
            hs.received(&reply[at..at + n]).unwrap();
            at += n;
        }
        assert_eq!((hs.step(), at), (Step::Done, reply.len()));
        assert!(hs.is_done());
    }

    #[test]
    fn steps_through_a_socks5_tunnel() {
        let p = Proxy::socks5("h:1").unwrap();
        let mut hs = p.handshake("s", 80).unwrap();
        let script: [(&[u8], &[u8]); 2] = [
            (&[5, 1, 0], &[5, 0]),
            (
                &[5, 1, 0, 3, 1, b's', 0, 80],
                &[5, 0, 0, 1, 1, 2, 3, 4, 0, 1],
            ),
        ];
        for (expect, reply) in script {
            assert_eq!(hs.step(), Step::Write(expect));
            hs.advance(expect.len());
            let mut at = 0;
            while at < reply.len() {
                let Step::Read(max) = hs.step() else { panic!() };
                let n = max.min(reply.len() - at);
                hs.received(&reply[at..at + n]).unwrap();
                at += n;
            }
        }
        assert_eq!(hs.step(), Step::Done);
    }

    #[cfg(feature = "std")]
    #[test]
    fn environment() {
        let env = |pairs: Vec<(&'static str, &'static str)>| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let vars = vec![
            ("HTTPS_PROXY", "http://secure:1"),
            ("http_proxy", "http://plain:2"),
            ("HTTP_PROXY", "http://ignored:3"),
            ("ALL_PROXY", "socks5h://all:4"),
            ("no_proxy", "localhost, .internal.example,10.0.0.1:80,[::1]"),
        ];
        let from = |target: &str| Proxy::from_vars(target, env(vars.clone()));
        assert_eq!(from("wss://a.example").unwrap().unwrap().host(), "secure");
        assert_eq!(from("ws://a.example").unwrap().unwrap().host(), "plain");
        assert_eq!(from("ws://localhost:1").unwrap(), None);
        assert_eq!(from("ws://x.internal.example").unwrap(), None);
        assert_eq!(from("ws://internal.example").unwrap(), None);
        assert!(from("ws://notinternal.example").unwrap().is_some());
        assert_eq!(from("ws://10.0.0.1").unwrap(), None);
        assert_eq!(from("ws://[::1]:9").unwrap(), None);
        assert!(matches!(
            from("http2://x"),
            Err(ProxyError::InvalidTarget(_))
        ));
        let only_all = |target: &str| {
            Proxy::from_vars(
                target,
                env(vec![("ALL_PROXY", "socks5h://all:4"), ("http_proxy", " ")]),
            )
        };
        assert_eq!(
            only_all("ws://a").unwrap().unwrap().kind(),
            ProxyKind::Socks5
        );
        let star = Proxy::from_vars("ws://a", env(vec![("NO_PROXY", "*"), ("ALL_PROXY", "h:1")]));
        assert_eq!(star.unwrap(), None);
        assert_eq!(Proxy::from_vars("ws://a", env(vec![])).unwrap(), None);
        let bad = Proxy::from_vars("ws://a", env(vec![("ALL_PROXY", "ftp://x")]));
        assert!(matches!(bad, Err(ProxyError::InvalidUrl(_))));
    }
}
