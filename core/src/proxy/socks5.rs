//! SOCKS5 (RFC 1928), `CONNECT` only, with no authentication or username/password
//! (RFC 1929). The destination is sent as the proxy should resolve it: a domain name
//! as a domain name (DNS happens at the proxy), an IP address as an address.
//!
//! Every reply has a known length, so [`Socks5::read_limit`] asks for exactly the bytes
//! still missing and nothing of the tunnel is ever read here.

use alloc::vec::Vec;
use core::net::IpAddr;

use super::{ProxyAuth, ProxyError};

const VERSION: u8 = 0x05;
const NO_AUTH: u8 = 0x00;
const USER_PASS: u8 = 0x02;
const NO_ACCEPTABLE: u8 = 0xFF;
const CMD_CONNECT: u8 = 0x01;
const ATYP_IPV4: u8 = 0x01;
const ATYP_DOMAIN: u8 = 0x03;
const ATYP_IPV6: u8 = 0x04;

/// Where the exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The method offer is sent; the proxy's choice (2 bytes) is awaited.
    Method,
    /// The username and password are sent; their status (2 bytes) is awaited.
    Auth,
    /// The `CONNECT` is sent; the reply (10, 22 or 7 + name bytes) is awaited.
    Connect,
    /// The tunnel is open.
    Done,
}

/// The client side of a SOCKS5 `CONNECT`.
#[derive(Debug, Clone)]
pub struct Socks5 {
    state: State,
    out: Vec<u8>,
    written: usize,
    reply: Vec<u8>,
    request: Vec<u8>,
    auth: Option<Vec<u8>>,
}

impl Socks5 {
    /// A `CONNECT` to `host` (a domain name, an IPv4 address, or an IPv6 address with or
    /// without brackets) and `port`, offering username/password authentication if `auth`
    /// is given (and no authentication in any case).
    ///
    /// # Errors
    ///
    /// [`ProxyError::InvalidTarget`] for an empty host or a name over 255 bytes.
    pub fn new(host: &str, port: u16, auth: Option<&ProxyAuth>) -> Result<Socks5, ProxyError> {
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let mut request = Vec::with_capacity(7 + bare.len());
        request.extend_from_slice(&[VERSION, CMD_CONNECT, 0x00]);
        match bare.parse::<IpAddr>() {
            Ok(IpAddr::V4(ip)) => {
                request.push(ATYP_IPV4);
                request.extend_from_slice(&ip.octets());
            }
            Ok(IpAddr::V6(ip)) => {
                request.push(ATYP_IPV6);
                request.extend_from_slice(&ip.octets());
            }
            Err(_) => {
                let len = u8::try_from(bare.len()).map_err(|_| {
                    ProxyError::InvalidTarget("a SOCKS5 domain name over 255 bytes")
                })?;
                if len == 0 {
                    return Err(ProxyError::InvalidTarget("an empty host"));
                }
                request.push(ATYP_DOMAIN);
                request.push(len);
                request.extend_from_slice(bare.as_bytes());
            }
        }
        request.extend_from_slice(&port.to_be_bytes());
        let auth = auth.map(|a| {
            // Lengths were checked when the credentials were made (1..=255, 0..=255).
            let (user, pass) = (a.username().as_bytes(), a.password().as_bytes());
            let mut msg = Vec::with_capacity(3 + user.len() + pass.len());
            msg.push(0x01);
            msg.push(user.len() as u8);
            msg.extend_from_slice(user);
            msg.push(pass.len() as u8);
            msg.extend_from_slice(pass);
            msg
        });
        let out = match auth {
            Some(_) => alloc::vec![VERSION, 2, NO_AUTH, USER_PASS],
            None => alloc::vec![VERSION, 1, NO_AUTH],
        };
        Ok(Socks5 {
            state: State::Method,
            out,
            written: 0,
            reply: Vec::new(),
            request,
            auth,
        })
    }

    /// The bytes still to write (empty while a reply is awaited or once done).
    pub fn transmit(&self) -> &[u8] {
        &self.out[self.written..]
    }

    /// `n` bytes of [`transmit`](Self::transmit) were written.
    pub fn advance(&mut self, n: usize) {
        self.written = (self.written + n).min(self.out.len());
    }

    /// How many bytes to read at most now: exactly what the awaited reply still lacks
    /// (as far as is known), 0 while writing or once done.
    pub fn read_limit(&self) -> usize {
        if !self.transmit().is_empty() {
            return 0;
        }
        let have = self.reply.len();
        match self.state {
            State::Done => 0,
            State::Method | State::Auth => 2 - have,
            State::Connect if have < 5 => 5 - have,
            State::Connect => connect_reply_len(self.reply[3], self.reply[4]).saturating_sub(have),
        }
    }

    /// Whether the tunnel is open.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Bytes read from the proxy (`data` empty: it closed the connection). Give no more
    /// than [`read_limit`](Self::read_limit) at a time.
    ///
    /// # Errors
    ///
    /// [`ProxyError::Closed`], [`ProxyError::Malformed`] (including more bytes than
    /// asked for), [`ProxyError::Socks5NoAcceptableMethod`],
    /// [`ProxyError::Socks5AuthFailed`], [`ProxyError::Socks5Refused`].
    pub fn received(&mut self, data: &[u8]) -> Result<(), ProxyError> {
        if data.is_empty() {
            return Err(ProxyError::Closed);
        }
        if data.len() > self.read_limit() {
            return Err(ProxyError::Malformed(
                "more bytes than the SOCKS5 reply holds",
            ));
        }
        self.reply.extend_from_slice(data);
        match self.state {
            State::Method if self.reply.len() == 2 => self.method_chosen(),
            State::Auth if self.reply.len() == 2 => self.auth_answered(),
            State::Connect => self.connect_answered(),
            _ => Ok(()),
        }
    }

    fn method_chosen(&mut self) -> Result<(), ProxyError> {
        if self.reply[0] != VERSION {
            return Err(ProxyError::Malformed("not a SOCKS5 method selection"));
        }
        match (self.reply[1], self.auth.take()) {
            (NO_AUTH, _) => self.send(State::Connect, None),
            (USER_PASS, Some(auth)) => self.send(State::Auth, Some(auth)),
            (NO_ACCEPTABLE, _) => Err(ProxyError::Socks5NoAcceptableMethod),
            _ => Err(ProxyError::Malformed(
                "the proxy chose a method that was not offered",
            )),
        }
    }

    fn auth_answered(&mut self) -> Result<(), ProxyError> {
        // RFC 1929 says version 1; some servers answer with the SOCKS version, 5.
        if !matches!(self.reply[0], 0x01 | VERSION) {
            return Err(ProxyError::Malformed("not a username/password status"));
        }
        match self.reply[1] {
            0x00 => self.send(State::Connect, None),
            status => Err(ProxyError::Socks5AuthFailed { status }),
        }
    }

    fn connect_answered(&mut self) -> Result<(), ProxyError> {
        let r = &self.reply;
        if r[0] != VERSION {
            return Err(ProxyError::Malformed("not a SOCKS5 reply"));
        }
        if r.len() >= 2 && r[1] != 0x00 {
            return Err(ProxyError::Socks5Refused { reply: r[1] });
        }
        if r.len() >= 4 && !matches!(r[3], ATYP_IPV4 | ATYP_DOMAIN | ATYP_IPV6) {
            return Err(ProxyError::Malformed(
                "unknown address type in the SOCKS5 reply",
            ));
        }
        if r.len() >= 5 && r.len() == connect_reply_len(r[3], r[4]) {
            self.state = State::Done;
            self.reply = Vec::new();
            self.out = Vec::new();
            self.written = 0;
        }
        Ok(())
    }

    /// Queues the next message (credentials, or the `CONNECT`) and awaits its reply.
    fn send(&mut self, next: State, auth: Option<Vec<u8>>) -> Result<(), ProxyError> {
        self.out = match auth {
            Some(auth) => auth,
            None => core::mem::take(&mut self.request),
        };
        self.written = 0;
        self.reply.clear();
        self.state = next;
        Ok(())
    }
}

/// The length of a `CONNECT` reply whose address type is `atyp` and fifth byte `b4`.
fn connect_reply_len(atyp: u8, b4: u8) -> usize {
    match atyp {
        ATYP_IPV4 => 4 + 4 + 2,
        ATYP_IPV6 => 4 + 16 + 2,
        _ => 4 + 1 + usize::from(b4) + 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;

    /// Takes what the client wants written.
    fn take(s: &mut Socks5) -> Vec<u8> {
        let out = s.transmit().to_vec();
        s.advance(out.len());
        out
    }

    /// Feeds `reply` no faster than `read_limit` allows.
    fn feed(s: &mut Socks5, reply: &[u8]) -> Result<(), ProxyError> {
        let mut at = 0;
        while at < reply.len() {
            let n = s.read_limit().min(reply.len() - at);
            assert!(n > 0, "the client stopped reading at {at}");
            s.received(&reply[at..at + n])?;
            at += n;
        }
        Ok(())
    }

    #[test]
    fn no_auth_domain_connect() {
        let mut s = Socks5::new("example.com", 443, None).unwrap();
        assert_eq!(s.read_limit(), 0);
        assert_eq!(take(&mut s), [5, 1, 0]);
        assert_eq!(s.read_limit(), 2);
        feed(&mut s, &[5, 0]).unwrap();
        let mut expected = vec![5, 1, 0, 3, 11];
        expected.extend_from_slice(b"example.com");
        expected.extend_from_slice(&[0x01, 0xBB]);
        assert_eq!(take(&mut s), expected);
        assert_eq!(s.read_limit(), 5);
        feed(&mut s, &[5, 0, 0, 1, 10, 0, 0, 1, 0x1F, 0x90]).unwrap();
        assert!(s.is_done());
        assert_eq!((s.read_limit(), s.transmit()), (0, &[][..]));
    }

    #[test]
    fn addresses() {
        let mut s = Socks5::new("10.1.2.3", 80, None).unwrap();
        take(&mut s);
        feed(&mut s, &[5, 0]).unwrap();
        assert_eq!(take(&mut s), [5, 1, 0, 1, 10, 1, 2, 3, 0, 80]);
        let mut s = Socks5::new("[::1]", 80, None).unwrap();
        take(&mut s);
        feed(&mut s, &[5, 0]).unwrap();
        let mut v6 = vec![5, 1, 0, 4];
        v6.extend_from_slice(&[0; 15]);
        v6.extend_from_slice(&[1, 0, 80]);
        assert_eq!(take(&mut s), v6);
        // The reply's bound address may be a domain or IPv6: its length is read exactly.
        let mut reply = vec![5, 0, 0, 3, 4];
        reply.extend_from_slice(b"host\x00\x50");
        feed(&mut s, &reply).unwrap();
        assert!(s.is_done());
        let mut s = Socks5::new("h", 1, None).unwrap();
        take(&mut s);
        feed(&mut s, &[5, 0]).unwrap();
        take(&mut s);
        let mut reply = vec![5, 0, 0, 4];
        reply.extend_from_slice(&[0; 18]);
        feed(&mut s, &reply).unwrap();
        assert!(s.is_done());
    }

    #[test]
    fn bad_targets() {
        let long = "a".repeat(256);
        assert!(matches!(
            Socks5::new(&long, 1, None),
            Err(ProxyError::InvalidTarget(_))
        ));
        assert!(Socks5::new(&long[..255], 1, None).is_ok());
        assert!(matches!(
            Socks5::new("", 1, None),
            Err(ProxyError::InvalidTarget(_))
        ));
    }

    #[test]
    fn username_password() {
        let auth = ProxyAuth::new("user", "pw").unwrap();
        let mut s = Socks5::new("h", 7, Some(&auth)).unwrap();
        assert_eq!(take(&mut s), [5, 2, 0, 2]);
        feed(&mut s, &[5, 2]).unwrap();
        assert_eq!(take(&mut s), [1, 4, b'u', b's', b'e', b'r', 2, b'p', b'w']);
        feed(&mut s, &[1, 0]).unwrap();
        assert_eq!(take(&mut s), [5, 1, 0, 3, 1, b'h', 0, 7]);
        feed(&mut s, &[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap();
        assert!(s.is_done());
        // The proxy may still pick "no authentication".
        let mut s = Socks5::new("h", 7, Some(&auth)).unwrap();
        take(&mut s);
        feed(&mut s, &[5, 0]).unwrap();
        assert_eq!(take(&mut s)[..2], [5, 1]);
    }

    #[test]
    fn auth_refusals() {
        let auth = ProxyAuth::new("user", "bad").unwrap();
        let mut s = Socks5::new("h", 7, Some(&auth)).unwrap();
        take(&mut s);
        feed(&mut s, &[5, 2]).unwrap();
        take(&mut s);
        let e = feed(&mut s, &[1, 1]).unwrap_err();
        assert_eq!(e, ProxyError::Socks5AuthFailed { status: 1 });
        assert!(e.is_refusal());
        // Credentials required but none configured.
        let mut s = Socks5::new("h", 7, None).unwrap();
        take(&mut s);
        assert_eq!(
            feed(&mut s, &[5, 0xFF]),
            Err(ProxyError::Socks5NoAcceptableMethod)
        );
        // A method that was not offered.
        let mut s = Socks5::new("h", 7, None).unwrap();
        take(&mut s);
        assert!(matches!(
            feed(&mut s, &[5, 2]),
            Err(ProxyError::Malformed(_))
        ));
    }

    #[test]
    fn connect_refused_is_reported_at_the_code() {
        let mut s = Socks5::new("h", 7, None).unwrap();
        take(&mut s);
        feed(&mut s, &[5, 0]).unwrap();
        take(&mut s);
        // Reported as soon as the code is read, without waiting for the rest.
        s.received(&[5]).unwrap();
        let e = s.received(&[5]).unwrap_err();
        assert_eq!(e, ProxyError::Socks5Refused { reply: 5 });
        assert_eq!(
            e.to_string(),
            "the SOCKS5 proxy refused the CONNECT: connection refused (reply 0x05)"
        );
    }

    #[test]
    fn malformed_replies() {
        let mut s = Socks5::new("h", 7, None).unwrap();
        take(&mut s);
        assert!(matches!(
            feed(&mut s, &[4, 0]),
            Err(ProxyError::Malformed(_))
        ));
        let mut s = Socks5::new("h", 7, None).unwrap();
        take(&mut s);
        feed(&mut s, &[5, 0]).unwrap();
        take(&mut s);
        assert!(matches!(
            feed(&mut s, &[5, 0, 0, 9, 0]),
            Err(ProxyError::Malformed(_))
        ));
        let mut s = Socks5::new("h", 7, None).unwrap();
        take(&mut s);
        feed(&mut s, &[5, 0]).unwrap();
        take(&mut s);
        assert!(matches!(
            feed(&mut s, &[0x48, 0x54]),
            Err(ProxyError::Malformed(_))
        ));
        // More than asked for.
        let mut s = Socks5::new("h", 7, None).unwrap();
        take(&mut s);
        assert!(matches!(
            s.received(&[5, 0, 0]),
            Err(ProxyError::Malformed(_))
        ));
        // Closed mid-reply.
        let mut s = Socks5::new("h", 7, None).unwrap();
        take(&mut s);
        s.received(&[5]).unwrap();
        assert_eq!(s.received(&[]), Err(ProxyError::Closed));
    }
}
