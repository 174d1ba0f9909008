//! HTTP `CONNECT` (RFC 9110 section 9.3.6): the request, with `Proxy-Authorization:
//! Basic` when credentials are given, and the reply head, parsed with `httparse` once
//! it is complete and bounded by [`MAX_REPLY_HEAD`].
//!
//! The reply is read without ever taking a byte past its head: [`HttpConnect::read_limit`]
//! asks only for as many bytes as could end the head, so whatever the tunnel carries
//! next stays in the socket for TLS or the WebSocket handshake.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;

use super::{ProxyAuth, ProxyError};

/// The longest reply head an HTTP proxy may send (status line and headers), in bytes.
pub const MAX_REPLY_HEAD: usize = 8 * 1024;

/// The most headers a reply head may have.
const MAX_HEADERS: usize = 64;

/// The client side of an HTTP `CONNECT`: the request to write, then the reply to read.
#[derive(Debug, Clone)]
pub struct HttpConnect {
    request: Vec<u8>,
    written: usize,
    head: Vec<u8>,
    done: bool,
}

impl HttpConnect {
    /// A `CONNECT` to `authority` (`host:port`, an IPv6 host in brackets), with Basic
    /// `Proxy-Authorization` if `auth` is given.
    pub fn new(authority: &str, auth: Option<&ProxyAuth>) -> HttpConnect {
        let mut request = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
        if let Some(auth) = auth {
            let token = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                auth.username(),
                auth.password()
            ));
            request.push_str(&format!("Proxy-Authorization: Basic {token}\r\n"));
        }
        request.push_str("\r\n");
        HttpConnect {
            request: request.into_bytes(),
            written: 0,
            head: Vec::new(),
            done: false,
        }
    }

    /// The bytes still to write (empty once the request is written).
    pub fn transmit(&self) -> &[u8] {
        &self.request[self.written..]
    }

    /// `n` bytes of [`transmit`](Self::transmit) were written.
    pub fn advance(&mut self, n: usize) {
        self.written = (self.written + n).min(self.request.len());
    }

    /// How many bytes to read at most now: 0 while the request is being written or once
    /// the reply is complete, else no more than could complete the head.
    pub fn read_limit(&self) -> usize {
        if self.done || !self.transmit().is_empty() {
            return 0;
        }
        let h = &self.head;
        let gap = if h.ends_with(b"\n") || h.ends_with(b"\n\r") {
            1
        } else {
            2
        };
        gap.min(MAX_REPLY_HEAD - h.len()).max(1)
    }

    /// Whether the proxy accepted: the tunnel is open.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Bytes read from the proxy (`data` empty: it closed the connection).
    ///
    /// # Errors
    ///
    /// [`ProxyError::Closed`], [`ProxyError::Malformed`], [`ProxyError::TooLarge`], or
    /// [`ProxyError::HttpStatus`] for a reply other than 2xx.
    pub fn received(&mut self, data: &[u8]) -> Result<(), ProxyError> {
        if self.done {
            return Err(ProxyError::Malformed("data after the CONNECT reply"));
        }
        if data.is_empty() {
            return Err(ProxyError::Closed);
        }
        self.head.extend_from_slice(data);
        let prefix = self.head.len().min(5);
        if self.head[..prefix] != b"HTTP/"[..prefix] {
            return Err(ProxyError::Malformed("not an HTTP response"));
        }
        if self.head.ends_with(b"\n\n") || self.head.ends_with(b"\n\r\n") {
            return self.parse();
        }
        if self.head.len() >= MAX_REPLY_HEAD {
            return Err(ProxyError::TooLarge {
                limit: MAX_REPLY_HEAD,
            });
        }
        Ok(())
    }

    /// The complete head: a 2xx opens the tunnel.
    fn parse(&mut self) -> Result<(), ProxyError> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut reply = httparse::Response::new(&mut headers);
        match reply.parse(&self.head) {
            Ok(httparse::Status::Complete(n)) if n == self.head.len() => {}
            Ok(_) => return Err(ProxyError::Malformed("the reply head does not parse")),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(ProxyError::Malformed("too many headers in the reply"))
            }
            Err(_) => return Err(ProxyError::Malformed("the reply head does not parse")),
        }
        let status = reply.code.unwrap_or(0);
        if (200..300).contains(&status) {
            self.done = true;
            self.head = Vec::new();
            return Ok(());
        }
        let reason = String::from(reply.reason.unwrap_or(""));
        Err(ProxyError::HttpStatus { status, reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn accepted(connect: &mut HttpConnect) {
        let len = connect.transmit().len();
        connect.advance(len);
    }

    /// Feeds `reply` the way a driver would: never more than `read_limit` at a time.
    fn feed(connect: &mut HttpConnect, reply: &[u8]) -> Result<usize, ProxyError> {
        let mut at = 0;
        while !connect.is_done() && at < reply.len() {
            let n = connect.read_limit().min(reply.len() - at);
            assert!(n > 0);
            connect.received(&reply[at..at + n])?;
            at += n;
        }
        Ok(at)
    }

    #[test]
    fn request_without_and_with_auth() {
        let c = HttpConnect::new("example.com:443", None);
        assert_eq!(
            c.transmit(),
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
        );
        let auth = ProxyAuth::new("aladdin", "opensesame").unwrap();
        let c = HttpConnect::new("[::1]:80", Some(&auth));
        let text = core::str::from_utf8(c.transmit()).unwrap();
        assert!(text.starts_with("CONNECT [::1]:80 HTTP/1.1\r\nHost: [::1]:80\r\n"));
        assert!(text.contains("\r\nProxy-Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
    }

    #[test]
    fn reads_only_while_the_request_is_written() {
        let mut c = HttpConnect::new("h:1", None);
        assert_eq!(c.read_limit(), 0);
        c.advance(3);
        assert_eq!(c.read_limit(), 0);
        accepted(&mut c);
        assert!(c.read_limit() > 0);
    }

    #[test]
    fn accepts_2xx_and_never_reads_past_the_head() {
        for reply in [
            &b"HTTP/1.1 200 Connection established\r\n\r\n"[..],
            b"HTTP/1.0 200 OK\r\nProxy-Agent: x\r\nVia: y\r\n\r\n",
            b"HTTP/1.1 204 No Content\n\n",
        ] {
            let mut c = HttpConnect::new("h:1", None);
            accepted(&mut c);
            let mut with_tunnel_data = reply.to_vec();
            with_tunnel_data.extend_from_slice(b"\x16\x03\x01 tls bytes");
            assert_eq!(feed(&mut c, &with_tunnel_data), Ok(reply.len()));
            assert!(c.is_done());
            assert_eq!(c.read_limit(), 0);
        }
    }

    #[test]
    fn refusals_carry_status_and_reason() {
        let mut c = HttpConnect::new("h:1", None);
        accepted(&mut c);
        let e = feed(
            &mut c,
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap_err();
        assert_eq!(
            e,
            ProxyError::HttpStatus {
                status: 403,
                reason: "Forbidden".to_string()
            }
        );
        assert!(e.is_refusal());
        assert_eq!(
            e.to_string(),
            "the HTTP proxy refused the CONNECT: 403 Forbidden"
        );
        let mut c = HttpConnect::new("h:1", None);
        accepted(&mut c);
        let e = feed(
            &mut c,
            b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n",
        );
        assert!(matches!(e, Err(ProxyError::HttpStatus { status: 407, .. })));
    }

    #[test]
    fn malformed_replies() {
        for reply in [
            &b"SSH-2.0-OpenSSH\r\n\r\n"[..],
            b"HTTP/1.1 abc OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
            b"HTTP/9.9 200 OK\r\n\r\n",
        ] {
            let mut c = HttpConnect::new("h:1", None);
            accepted(&mut c);
            let e = feed(&mut c, reply).unwrap_err();
            assert!(matches!(e, ProxyError::Malformed(_)), "{reply:?}: {e:?}");
            assert!(!e.is_refusal());
        }
        // Rejected at the first wrong byte, not after a full head.
        let mut c = HttpConnect::new("h:1", None);
        accepted(&mut c);
        assert!(matches!(c.received(b"X"), Err(ProxyError::Malformed(_))));
    }

    #[test]
    fn too_many_headers() {
        let mut reply = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            reply.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        reply.extend_from_slice(b"\r\n");
        let mut c = HttpConnect::new("h:1", None);
        accepted(&mut c);
        assert!(matches!(
            feed(&mut c, &reply),
            Err(ProxyError::Malformed(_))
        ));
    }

    #[test]
    fn oversized_head_is_refused_at_the_limit() {
        let mut reply = b"HTTP/1.1 200 OK\r\nX-Long: ".to_vec();
        reply.resize(MAX_REPLY_HEAD * 2, b'a');
        let mut c = HttpConnect::new("h:1", None);
        accepted(&mut c);
        let mut at = 0;
        let e = loop {
            let n = c.read_limit();
            match c.received(&reply[at..at + n]) {
                Ok(()) => at += n,
                Err(e) => break e,
            }
        };
        assert_eq!(
            e,
            ProxyError::TooLarge {
                limit: MAX_REPLY_HEAD
            }
        );
        assert!(at < MAX_REPLY_HEAD);
    }

    #[test]
    fn early_close() {
        let mut c = HttpConnect::new("h:1", None);
        accepted(&mut c);
        c.received(b"HTTP/1.1 2").unwrap();
        assert_eq!(c.received(b""), Err(ProxyError::Closed));
    }
}
