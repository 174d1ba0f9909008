//! The `WebSocket(url)` constructor's URL rules.
//!
//! In order (WHATWG WebSockets Standard, with the seeds' port rule):
//!
//! 1. Parse the input as a WHATWG URL (the `url` crate). Failure is a `SyntaxError`. There
//!    is no base URL here, so a relative URL such as `"/chat"` is a `SyntaxError`; a runtime
//!    that has a base (a document's URL) resolves against it before calling this.
//! 2. Scheme `http` becomes `ws`, `https` becomes `wss`; any scheme other than `ws` or `wss`
//!    is a `SyntaxError`.
//! 3. A fragment, even an empty one (`ws://host/#`), is a `SyntaxError`.
//! 4. An explicit port on the Fetch standard's "bad port" list is a `SecurityError` (the
//!    seeds' behaviour; today's standard lets the connection fail instead). A port left out,
//!    or equal to the scheme's default (80 for `ws`, 443 for `wss`), is never blocked.
//!    [`UrlOptions::check_bad_ports`] lets a lower-level native client skip this check.
//!
//! The `url` crate is used with `default-features = false`, so all of this also works
//! without `std` (alloc only).

use core::fmt;

use url::{Position, Url};

use crate::error::ApiError;

/// The Fetch standard's "bad port" list, sorted ascending.
const BAD_PORTS: [u16; 83] = [
    0, 1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101,
    102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427,
    465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990,
    993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667,
    6668, 6669, 6679, 6697, 10080,
];

/// Whether `port` is on the Fetch standard's "bad port" list (ports of other well-known
/// services, such as 25 for SMTP or 6000 for X11), which browsers refuse to connect to.
pub fn is_blocked_port(port: u16) -> bool {
    BAD_PORTS.binary_search(&port).is_ok()
}

/// Options for [`parse_websocket_url_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UrlOptions {
    /// Reject an explicit port on the "bad port" list with `SecurityError`, as the browser
    /// constructor does (see [`is_blocked_port`]). `true` by default; a native lower-level
    /// client may set it to `false` to connect to any port.
    pub check_bad_ports: bool,
}

impl Default for UrlOptions {
    /// The browser's rules: `check_bad_ports: true`.
    fn default() -> Self {
        UrlOptions {
            check_bad_ports: true,
        }
    }
}

/// A WebSocket URL accepted by the constructor's rules: absolute, scheme `ws` or `wss`
/// (after mapping `http`/`https`), no fragment, with a host.
///
/// This is the value of the browser's `url` attribute ([`WsUrl::as_str`]), and it carries
/// what the opening handshake needs ([`WsUrl::host_header`], [`WsUrl::resource`]) and what a
/// runtime needs to connect ([`WsUrl::host`], [`WsUrl::port`], [`WsUrl::is_secure`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WsUrl {
    url: Url,
    secure: bool,
}

impl WsUrl {
    /// The serialized URL, e.g. `"ws://localhost:8080/"`: the browser's `url` attribute.
    /// The scheme is already mapped (`http` → `ws`) and a default port is omitted.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The scheme: `"ws"` or `"wss"`.
    pub fn scheme(&self) -> &str {
        self.url.scheme()
    }

    /// Whether the scheme is `wss` (TLS).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The host as it appears in the URL: a (punycode, lowercase) domain, an IPv4 address,
    /// or an IPv6 address in brackets (`"[::1]"`).
    pub fn host(&self) -> &str {
        // Special schemes always have a host, so this slice is never empty for a `WsUrl`.
        &self.url[Position::BeforeHost..Position::AfterHost]
    }

    /// The port to connect to: the explicit one, or the default (80 for `ws`, 443 for `wss`).
    pub fn port(&self) -> u16 {
        match self.url.port() {
            Some(port) => port,
            None => self.default_port(),
        }
    }

    /// The explicit port, if the URL names one other than the scheme's default (the URL
    /// parser drops a port equal to the default).
    pub fn explicit_port(&self) -> Option<u16> {
        self.url.port()
    }

    /// The request target for the opening handshake: the path, plus `"?query"` if there is
    /// a query (even an empty one). `"/"` when the path is empty.
    pub fn resource(&self) -> &str {
        // Special schemes always have a path of at least "/"; the fallback is defensive.
        let resource = &self.url[Position::BeforePath..Position::AfterQuery];
        if resource.is_empty() {
            "/"
        } else {
            resource
        }
    }

    /// The value of the handshake's `Host` header: [`WsUrl::host`], followed by `":port"`
    /// only when the port is not the scheme's default (`"example.com"`,
    /// `"localhost:8080"`, `"[::1]:9000"`).
    pub fn host_header(&self) -> &str {
        // The serialization already omits a default port.
        &self.url[Position::BeforeHost..Position::AfterPort]
    }

    fn default_port(&self) -> u16 {
        if self.secure {
            443
        } else {
            80
        }
    }
}

impl fmt::Display for WsUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for WsUrl {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// Applies the browser constructor's URL rules (see the [module docs](self)), including the
/// bad-port check.
///
/// Errors: [`ApiError::Syntax`] for an unparsable or relative URL, a scheme other than
/// `ws`/`wss`/`http`/`https`, or a fragment; [`ApiError::Security`] for a blocked port.
pub fn parse_websocket_url(input: &str) -> Result<WsUrl, ApiError> {
    parse_websocket_url_with(input, UrlOptions::default())
}

/// Like [`parse_websocket_url`], with [`UrlOptions`] (e.g. to skip the bad-port check).
pub fn parse_websocket_url_with(input: &str, opts: UrlOptions) -> Result<WsUrl, ApiError> {
    let mut url = Url::parse(input).map_err(|_| ApiError::Syntax)?;

    let secure = match url.scheme() {
        "ws" => false,
        "wss" => true,
        "http" => {
            url.set_scheme("ws").map_err(|()| ApiError::Syntax)?;
            false
        }
        "https" => {
            url.set_scheme("wss").map_err(|()| ApiError::Syntax)?;
            true
        }
        _ => return Err(ApiError::Syntax),
    };

    if url.fragment().is_some() {
        return Err(ApiError::Syntax);
    }

    // Special schemes require a non-empty host; check anyway so `host()` is never empty.
    match url.host_str() {
        Some(host) if !host.is_empty() => {}
        _ => return Err(ApiError::Syntax),
    }

    if opts.check_bad_ports {
        if let Some(port) = url.port() {
            if is_blocked_port(port) {
                return Err(ApiError::Security);
            }
        }
    }

    Ok(WsUrl { url, secure })
}

/// Convenience for tests and callers that hold an owned string.
impl core::str::FromStr for WsUrl {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_websocket_url(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn ok(input: &str) -> WsUrl {
        match parse_websocket_url(input) {
            Ok(u) => u,
            Err(e) => panic!("{input:?} rejected with {e}"),
        }
    }

    fn err(input: &str) -> ApiError {
        match parse_websocket_url(input) {
            Ok(u) => panic!("{input:?} accepted as {u}"),
            Err(e) => e,
        }
    }

    // Rule 1: parse failure -> SyntaxError.
    #[test]
    fn unparsable_url_is_syntax_error() {
        for input in [
            "",
            "ws://",
            "ws://exa mple.com/",
            "ws://[::1/",
            "ws://host:99999/",
            "::",
        ] {
            assert_eq!(err(input), ApiError::Syntax, "{input:?}");
        }
    }

    #[test]
    fn relative_url_is_syntax_error() {
        for input in ["/foo", "foo", "//host/path", "?q"] {
            assert_eq!(err(input), ApiError::Syntax, "{input:?}");
        }
    }

    // Rule 2: http -> ws, https -> wss, other schemes -> SyntaxError.
    #[test]
    fn http_becomes_ws() {
        let u = ok("http://x");
        assert_eq!(u.as_str(), "ws://x/");
        assert_eq!(u.scheme(), "ws");
        assert!(!u.is_secure());
        assert_eq!(u.port(), 80);
    }

    #[test]
    fn https_becomes_wss() {
        let u = ok("https://x:443/a?b");
        assert_eq!(u.as_str(), "wss://x/a?b");
        assert!(u.is_secure());
        assert_eq!(u.port(), 443);
        assert_eq!(u.explicit_port(), None);
        assert_eq!(u.resource(), "/a?b");
        assert_eq!(u.host_header(), "x");
    }

    #[test]
    fn scheme_is_case_insensitive() {
        assert_eq!(ok("HTTPS://X/").as_str(), "wss://x/");
        assert_eq!(ok("Ws://x").as_str(), "ws://x/");
    }

    #[test]
    fn other_schemes_are_syntax_errors() {
        for input in [
            "ftp://x",
            "file:///tmp/x",
            "mailto:a@b",
            "javascript:alert(1)",
            "data:text/plain,x",
            "wsx://x",
            "about:blank",
        ] {
            assert_eq!(err(input), ApiError::Syntax, "{input:?}");
        }
    }

    #[test]
    fn non_default_port_survives_scheme_mapping() {
        let u = ok("http://x:443/");
        assert_eq!(u.as_str(), "ws://x:443/");
        assert_eq!(u.port(), 443);
        assert_eq!(u.host_header(), "x:443");
        let u = ok("https://x:80/");
        assert_eq!(u.as_str(), "wss://x:80/");
        assert_eq!(u.port(), 80);
    }

    // Rule 3: a fragment, even empty -> SyntaxError.
    #[test]
    fn fragment_is_syntax_error() {
        for input in [
            "ws://x/#",
            "ws://x/#frag",
            "ws://x#",
            "http://x/?q#f",
            "wss://x/a#%20",
        ] {
            assert_eq!(err(input), ApiError::Syntax, "{input:?}");
        }
    }

    // Rule 4: blocked ports -> SecurityError.
    #[test]
    fn blocked_explicit_port_is_security_error() {
        for input in [
            "ws://x:25",
            "ws://x:6000",
            "wss://x:0/",
            "http://x:21/",
            "ws://[::1]:22/",
        ] {
            assert_eq!(err(input), ApiError::Security, "{input:?}");
        }
    }

    #[test]
    fn default_and_ordinary_ports_are_not_blocked() {
        assert_eq!(ok("ws://x:80/").port(), 80);
        assert_eq!(ok("wss://x:443/").port(), 443);
        assert_eq!(ok("ws://x:8080/").port(), 8080);
        assert_eq!(ok("ws://x:65535/").port(), 65535);
    }

    #[test]
    fn port_check_can_be_skipped() {
        let opts = UrlOptions {
            check_bad_ports: false,
        };
        let u = parse_websocket_url_with("ws://x:25/", opts).expect("port check skipped");
        assert_eq!(u.port(), 25);
        // The other rules still apply.
        assert_eq!(
            parse_websocket_url_with("ws://x:25/#", opts),
            Err(ApiError::Syntax)
        );
        assert!(UrlOptions::default().check_bad_ports);
    }

    #[test]
    fn blocked_port_list() {
        assert!(
            BAD_PORTS.windows(2).all(|w| w[0] < w[1]),
            "list must be sorted"
        );
        for p in [0, 1, 25, 6000, 6697, 10080] {
            assert!(is_blocked_port(p), "{p}");
        }
        for p in [2, 80, 443, 8080, 10079, 10081, 65535] {
            assert!(!is_blocked_port(p), "{p}");
        }
    }

    // Accessors.
    #[test]
    fn ipv6_host_is_bracketed() {
        let u = ok("ws://[::1]:9000/");
        assert_eq!(u.host(), "[::1]");
        assert_eq!(u.port(), 9000);
        assert_eq!(u.host_header(), "[::1]:9000");
        assert_eq!(u.resource(), "/");
    }

    #[test]
    fn localhost_with_port() {
        let u = ok("ws://localhost:8080");
        assert_eq!(u.as_str(), "ws://localhost:8080/");
        assert_eq!(u.host(), "localhost");
        assert_eq!(u.host_header(), "localhost:8080");
        assert_eq!(u.to_string(), "ws://localhost:8080/");
    }

    #[test]
    fn resource_is_path_and_query() {
        assert_eq!(ok("ws://x").resource(), "/");
        assert_eq!(ok("ws://x?").resource(), "/?");
        assert_eq!(ok("ws://x/a/b?c=d&e").resource(), "/a/b?c=d&e");
        assert_eq!(ok("ws://x/a b").resource(), "/a%20b");
    }

    #[test]
    fn host_header_omits_default_port_and_userinfo() {
        let u = ok("wss://user:pw@Example.COM:443/chat");
        assert_eq!(u.host(), "example.com");
        assert_eq!(u.host_header(), "example.com");
        assert_eq!(u.port(), 443);
        assert_eq!(u.resource(), "/chat");
    }

    #[test]
    fn ipv4_and_idn_hosts() {
        assert_eq!(ok("ws://127.0.0.1:9001/").host(), "127.0.0.1");
        assert_eq!(ok("ws://0x7f.1/").host(), "127.0.0.1");
        assert_eq!(ok("ws://bücher.example/").host(), "xn--bcher-kva.example");
    }

    #[test]
    fn from_str_applies_the_browser_rules() {
        assert_eq!("ws://x:25".parse::<WsUrl>(), Err(ApiError::Security));
        assert_eq!(
            "http://x".parse::<WsUrl>().map(|u| u.is_secure()),
            Ok(false)
        );
    }
}
