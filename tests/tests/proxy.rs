//! Client proxies, the same suite on each runtime: `ws://` and `wss://` through an HTTP
//! `CONNECT` proxy and a SOCKS5 proxy, proxy authentication, refusals, a malformed
//! reply, and a proxy that never answers (the handshake deadline covers it); the
//! browser `WebSocket` through both proxies, and refused by one (error, close 1006).
//!
//! The proxies are written here, on std threads ([`TestProxy`]): each records what the
//! client sent it ([`Seen`]), then tunnels to the destination it was asked for, or
//! misbehaves as told ([`Behaviour`]). The server is websock-std's conversation server
//! (it echoes).

use std::future::{poll_fn, Future};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::thread;
use std::time::{Duration, Instant};

use websock_core::dom::{BrowserEvent, MessageData};
use websock_core::handle::{self, Runtime as AsyncRuntime, Timer};
use websock_core::proxy::{Proxy, ProxyError};
use websock_core::{ApiError, ClientSettings, Message};
use websock_tests::facade::{connect_tls, each_runtime, Error, Options};
use websock_tests::tls::TestCert;
use websock_tests::{Runtime, Scheme};

/// `user:pass`, base64: what a Basic `Proxy-Authorization` for them carries.
const USER_PASS_BASIC: &str = "dXNlcjpwYXNz";

/// The proxy protocol a [`TestProxy`] speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Http,
    Socks5,
}

/// How a [`TestProxy`] treats each client.
#[derive(Debug, Clone, Copy, Default)]
struct Behaviour {
    /// Demand these credentials (`user`, `pass`).
    require_auth: bool,
    /// Refuse the CONNECT with this HTTP status or SOCKS5 reply code.
    refuse: Option<u16>,
    /// Read the request, never answer.
    silent: bool,
    /// Answer with bytes that are not the protocol.
    garbage: bool,
}

/// What a proxy saw from one client.
#[derive(Debug, Clone, Default)]
struct Seen {
    /// HTTP: the request head.
    head: String,
    /// SOCKS5: the methods offered.
    methods: Vec<u8>,
    /// SOCKS5: the username and password sent.
    credentials: Option<(String, String)>,
    /// SOCKS5: the address type of the CONNECT (1 IPv4, 3 domain, 4 IPv6).
    atyp: u8,
    /// The destination asked for, `host:port`.
    target: String,
}

/// A proxy on 127.0.0.1 (port 0), one thread per client; it never stops accepting
/// (the test process ends it).
struct TestProxy {
    kind: Kind,
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl TestProxy {
    fn start(kind: Kind, behaviour: Behaviour) -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let addr = listener.local_addr().expect("proxy address");
        let log = Arc::new(Mutex::new(Vec::new()));
        let accept_log = log.clone();
        thread::Builder::new()
            .name("test-proxy".into())
            .spawn(move || {
                for client in listener.incoming().flatten() {
                    let log = accept_log.clone();
                    thread::spawn(move || {
                        let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
                        let _ = match kind {
                            Kind::Http => serve_http(client, behaviour, &log),
                            Kind::Socks5 => serve_socks5(client, behaviour, &log),
                        };
                    });
                }
            })
            .expect("spawn the proxy");
        TestProxy { kind, addr, log }
    }

    /// The proxy as a URL, with `credentials` if given.
    fn url(&self, credentials: Option<&str>) -> String {
        let scheme = match self.kind {
            Kind::Http => "http",
            Kind::Socks5 => "socks5h",
        };
        match credentials {
            Some(c) => format!("{scheme}://{c}@{}", self.addr),
            None => format!("{scheme}://{}", self.addr),
        }
    }

    /// The client options with this proxy (and `credentials`).
    fn options(&self, credentials: Option<&str>) -> Options {
        let proxy = Proxy::parse(&self.url(credentials)).expect("the proxy URL parses");
        Options::default().proxy(proxy)
    }

    /// What the clients so far sent.
    fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }
}

fn record(log: &Mutex<Vec<Seen>>, seen: &Seen) {
    log.lock().unwrap().push(seen.clone());
}

/// Copies both ways until each side ends, then closes.
fn pipe(client: TcpStream, server: TcpStream) -> io::Result<()> {
    let (mut c2, mut s2) = (client.try_clone()?, server.try_clone()?);
    let up = thread::spawn(move || {
        let mut c = client;
        let mut s = server;
        let _ = io::copy(&mut c, &mut s);
        let _ = s.shutdown(Shutdown::Write);
    });
    let _ = io::copy(&mut s2, &mut c2);
    let _ = c2.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

/// Waits for the client to go away (a silent proxy).
fn hold(mut client: TcpStream) -> io::Result<()> {
    let mut sink = [0; 64];
    while client.read(&mut sink)? > 0 {}
    Ok(())
}

fn serve_http(mut client: TcpStream, b: Behaviour, log: &Mutex<Vec<Seen>>) -> io::Result<()> {
    // Byte by byte: whatever follows the head belongs to the tunnel.
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
        let mut byte = [0];
        if client.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let target = head
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or("")
        .to_owned();
    let seen = Seen {
        head: head.clone(),
        target: target.clone(),
        ..Seen::default()
    };
    record(log, &seen);
    if b.silent {
        return hold(client);
    }
    if b.garbage {
        return client.write_all(b"SSH-2.0-OpenSSH_9.6\r\n\r\n");
    }
    if let Some(status) = b.refuse {
        let reply = format!("HTTP/1.1 {status} Forbidden\r\nContent-Length: 0\r\n\r\n");
        return client.write_all(reply.as_bytes());
    }
    let expected = format!("\r\nProxy-Authorization: Basic {USER_PASS_BASIC}\r\n");
    if b.require_auth && !head.contains(&expected) {
        return client.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\n\
              Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n",
        );
    }
    let server = match TcpStream::connect(&target) {
        Ok(s) => s,
        Err(_) => return client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n"),
    };
    client.write_all(b"HTTP/1.1 200 Connection established\r\nVia: test\r\n\r\n")?;
    pipe(client, server)
}

fn read_vec(client: &mut TcpStream, n: usize) -> io::Result<Vec<u8>> {
    let mut v = vec![0; n];
    client.read_exact(&mut v)?;
    Ok(v)
}

fn serve_socks5(mut client: TcpStream, b: Behaviour, log: &Mutex<Vec<Seen>>) -> io::Result<()> {
    let mut seen = Seen::default();
    let greeting = read_vec(&mut client, 2)?;
    seen.methods = read_vec(&mut client, usize::from(greeting[1]))?;
    if b.silent {
        record(log, &seen);
        return hold(client);
    }
    if b.garbage {
        record(log, &seen);
        return client.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    }
    if b.require_auth {
        if !seen.methods.contains(&2) {
            record(log, &seen);
            return client.write_all(&[5, 0xFF]);
        }
        client.write_all(&[5, 2])?;
        let version_and_len = read_vec(&mut client, 2)?;
        let user = read_vec(&mut client, usize::from(version_and_len[1]))?;
        let plen = read_vec(&mut client, 1)?;
        let pass = read_vec(&mut client, usize::from(plen[0]))?;
        let (user, pass) = (
            String::from_utf8_lossy(&user).into_owned(),
            String::from_utf8_lossy(&pass).into_owned(),
        );
        let ok = (user.as_str(), pass.as_str()) == ("user", "pass");
        seen.credentials = Some((user, pass));
        if !ok {
            record(log, &seen);
            return client.write_all(&[1, 1]);
        }
        client.write_all(&[1, 0])?;
    } else {
        client.write_all(&[5, 0])?;
    }
    let request = read_vec(&mut client, 4)?;
    seen.atyp = request[3];
    let host = match request[3] {
        1 => {
            let a = read_vec(&mut client, 4)?;
            format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])
        }
        3 => {
            let len = read_vec(&mut client, 1)?;
            String::from_utf8_lossy(&read_vec(&mut client, usize::from(len[0]))?).into_owned()
        }
        _ => {
            let a: [u8; 16] = read_vec(&mut client, 16)?.try_into().unwrap();
            format!("[{}]", std::net::Ipv6Addr::from(a))
        }
    };
    let port = read_vec(&mut client, 2)?;
    seen.target = format!("{host}:{}", u16::from_be_bytes([port[0], port[1]]));
    record(log, &seen);
    if let Some(code) = b.refuse {
        return client.write_all(&[5, code as u8, 0, 1, 0, 0, 0, 0, 0, 0]);
    }
    let server = match TcpStream::connect(&seen.target) {
        Ok(s) => s,
        Err(_) => return client.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]),
    };
    // A domain-typed bound address, to exercise the variable-length reply.
    client.write_all(&[5, 0, 0, 3, 5, b'p', b'r', b'o', b'x', b'y', 0x1F, 0x90])?;
    pipe(client, server)
}

/// Connects with `options` (and the test certificate for `wss://`), sends a text,
/// expects its echo, and closes.
fn echo(rt: Runtime, url: &str, options: &Options) -> Result<(), Error> {
    let tls = url
        .starts_with("wss:")
        .then(|| TestCert::get().client_config(rt));
    let mut ws = connect_tls(rt, url, options, tls)?;
    ws.send(Message::text("through the proxy"))?;
    match ws.recv() {
        Some(Ok(m)) => assert_eq!(m, Message::text("through the proxy"), "{rt}: the echo"),
        other => panic!("{rt}: no echo: {other:?}"),
    }
    ws.close(Some(1000), "")?;
    Ok(())
}

/// The [`ProxyError`] inside a connect error (`Error::Io`).
fn proxy_error(e: &Error) -> Option<&ProxyError> {
    match e {
        Error::Io(io) => io.get_ref()?.downcast_ref::<ProxyError>(),
        _ => None,
    }
}

/// Connecting through `proxy` fails: returns the error (after checking that nothing
/// past the proxy was reached).
fn connect_fails(rt: Runtime, url: &str, options: &Options) -> Error {
    let tls = url
        .starts_with("wss:")
        .then(|| TestCert::get().client_config(rt));
    match connect_tls(rt, url, options, tls) {
        Ok(_) => panic!("{rt}: connected through a proxy that should have failed"),
        Err(e) => e,
    }
}

#[test]
fn ws_through_http_connect() {
    let server = Runtime::Std.start_server(Scheme::Ws);
    let url = server.url("/");
    let port = server.addr.port();
    let proxy = Arc::new(TestProxy::start(Kind::Http, Behaviour::default()));
    let p = proxy.clone();
    each_runtime("ws_through_http_connect", move |rt| {
        let before = p.seen().len();
        echo(rt, &url, &p.options(None)).unwrap_or_else(|e| panic!("{rt}: {e}"));
        let seen = p.seen();
        assert_eq!(seen.len(), before + 1, "{rt}: one CONNECT");
        let head = &seen[before].head;
        assert!(
            head.starts_with(&format!("CONNECT 127.0.0.1:{port} HTTP/1.1\r\n")),
            "{rt}: {head:?}"
        );
        assert!(
            head.contains(&format!("\r\nHost: 127.0.0.1:{port}\r\n")),
            "{rt}: {head:?}"
        );
        assert!(!head.contains("Proxy-Authorization"), "{rt}: {head:?}");
    });
}

#[test]
fn ws_through_socks5_sends_names_to_the_proxy() {
    let server = Runtime::Std.start_server(Scheme::Ws);
    let port = server.addr.port();
    let proxy = Arc::new(TestProxy::start(Kind::Socks5, Behaviour::default()));
    let p = proxy.clone();
    each_runtime("ws_through_socks5", move |rt| {
        // An IP address goes as an address, a name as a name (DNS at the proxy).
        for (url, atyp, target) in [
            (
                format!("ws://127.0.0.1:{port}/"),
                1,
                format!("127.0.0.1:{port}"),
            ),
            (
                format!("ws://localhost:{port}/"),
                3,
                format!("localhost:{port}"),
            ),
        ] {
            let before = p.seen().len();
            echo(rt, &url, &p.options(None)).unwrap_or_else(|e| panic!("{rt} {url}: {e}"));
            let seen = &p.seen()[before];
            assert_eq!(seen.methods, [0], "{rt}: only 'no authentication' offered");
            assert_eq!(
                (seen.atyp, seen.target.as_str()),
                (atyp, target.as_str()),
                "{rt}"
            );
        }
    });
}

#[test]
fn wss_through_both_proxies() {
    let server = Runtime::Std.start_server(Scheme::Wss);
    let url = server.url("/");
    let port = server.addr.port();
    let http = Arc::new(TestProxy::start(Kind::Http, Behaviour::default()));
    let socks = Arc::new(TestProxy::start(Kind::Socks5, Behaviour::default()));
    each_runtime("wss_through_both_proxies", move |rt| {
        for p in [&http, &socks] {
            let before = p.seen().len();
            echo(rt, &url, &p.options(None)).unwrap_or_else(|e| panic!("{rt} {:?}: {e}", p.kind));
            assert_eq!(p.seen()[before].target, format!("localhost:{port}"), "{rt}");
        }
    });
}

#[test]
fn http_proxy_authentication() {
    let server = Runtime::Std.start_server(Scheme::Ws);
    let url = server.url("/");
    let b = Behaviour {
        require_auth: true,
        ..Behaviour::default()
    };
    let proxy = Arc::new(TestProxy::start(Kind::Http, b));
    each_runtime("http_proxy_authentication", move |rt| {
        let e = connect_fails(rt, &url, &proxy.options(None));
        let pe = proxy_error(&e).unwrap_or_else(|| panic!("{rt}: not a proxy error: {e:?}"));
        assert!(
            matches!(pe, ProxyError::HttpStatus { status: 407, reason } if reason == "Proxy Authentication Required"),
            "{rt}: {pe:?}"
        );
        assert!(matches!(&e, Error::Io(io) if io.kind() == io::ErrorKind::PermissionDenied));
        let before = proxy.seen().len();
        echo(rt, &url, &proxy.options(Some("user:pass"))).unwrap_or_else(|e| panic!("{rt}: {e}"));
        let head = &proxy.seen()[before].head;
        let sent = format!("\r\nProxy-Authorization: Basic {USER_PASS_BASIC}\r\n");
        assert!(head.contains(&sent), "{rt}: {head:?}");
    });
}

#[test]
fn socks5_authentication() {
    let server = Runtime::Std.start_server(Scheme::Ws);
    let url = server.url("/");
    let b = Behaviour {
        require_auth: true,
        ..Behaviour::default()
    };
    let proxy = Arc::new(TestProxy::start(Kind::Socks5, b));
    each_runtime("socks5_authentication", move |rt| {
        let e = connect_fails(rt, &url, &proxy.options(None));
        assert_eq!(
            proxy_error(&e),
            Some(&ProxyError::Socks5NoAcceptableMethod),
            "{rt}: {e:?}"
        );
        let e = connect_fails(rt, &url, &proxy.options(Some("user:wrong")));
        assert_eq!(
            proxy_error(&e),
            Some(&ProxyError::Socks5AuthFailed { status: 1 }),
            "{rt}"
        );
        let before = proxy.seen().len();
        echo(rt, &url, &proxy.options(Some("user:pass"))).unwrap_or_else(|e| panic!("{rt}: {e}"));
        let seen = &proxy.seen()[before];
        assert_eq!(seen.methods, [0, 2], "{rt}");
        assert_eq!(
            seen.credentials,
            Some(("user".into(), "pass".into())),
            "{rt}"
        );
    });
}

#[test]
fn refusals_are_clear_errors() {
    let server = Runtime::Std.start_server(Scheme::Ws);
    let url = server.url("/");
    let refuse = |code| Behaviour {
        refuse: Some(code),
        ..Behaviour::default()
    };
    let http = Arc::new(TestProxy::start(Kind::Http, refuse(403)));
    let socks = Arc::new(TestProxy::start(Kind::Socks5, refuse(5)));
    each_runtime("refusals_are_clear_errors", move |rt| {
        let e = connect_fails(rt, &url, &http.options(None));
        let pe = proxy_error(&e).unwrap_or_else(|| panic!("{rt}: not a proxy error: {e:?}"));
        assert!(
            matches!(pe, ProxyError::HttpStatus { status: 403, .. }),
            "{rt}: {pe:?}"
        );
        assert!(pe.is_refusal());
        assert!(e.to_string().contains("403"), "{rt}: {e}");
        assert!(matches!(&e, Error::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused));

        let e = connect_fails(rt, &url, &socks.options(None));
        assert_eq!(
            proxy_error(&e),
            Some(&ProxyError::Socks5Refused { reply: 5 }),
            "{rt}: {e:?}"
        );
        assert!(
            e.to_string().contains("connection refused (reply 0x05)"),
            "{rt}: {e}"
        );
    });
}

#[test]
fn malformed_replies_are_the_proxys_fault() {
    let server = Runtime::Std.start_server(Scheme::Ws);
    let url = server.url("/");
    let b = Behaviour {
        garbage: true,
        ..Behaviour::default()
    };
    let http = Arc::new(TestProxy::start(Kind::Http, b));
    let socks = Arc::new(TestProxy::start(Kind::Socks5, b));
    each_runtime("malformed_replies_are_the_proxys_fault", move |rt| {
        for p in [&http, &socks] {
            let e = connect_fails(rt, &url, &p.options(None));
            let pe = proxy_error(&e).unwrap_or_else(|| panic!("{rt}: not a proxy error: {e:?}"));
            assert!(
                matches!(pe, ProxyError::Malformed(_)),
                "{rt} {:?}: {pe:?}",
                p.kind
            );
            assert!(
                e.to_string().contains("malformed reply from the proxy"),
                "{rt}: {e}"
            );
        }
    });
}

#[test]
fn a_silent_proxy_hits_the_handshake_deadline() {
    let server = Runtime::Std.start_server(Scheme::Ws);
    let url = server.url("/");
    let b = Behaviour {
        silent: true,
        ..Behaviour::default()
    };
    let http = Arc::new(TestProxy::start(Kind::Http, b));
    let socks = Arc::new(TestProxy::start(Kind::Socks5, b));
    each_runtime("a_silent_proxy_hits_the_handshake_deadline", move |rt| {
        for p in [&http, &socks] {
            let mut options = p.options(None);
            options.timeouts.handshake = Some(Duration::from_millis(300));
            let started = Instant::now();
            let e = connect_fails(rt, &url, &options);
            let took = started.elapsed();
            assert!(
                matches!(e, Error::Protocol(websock_core::Error::HandshakeTimeout)),
                "{rt} {:?}: {e:?}",
                p.kind
            );
            assert!(
                took >= Duration::from_millis(250),
                "{rt}: gave up after {took:?}"
            );
            assert!(took < Duration::from_secs(5), "{rt}: took {took:?}");
        }
    });
}

#[test]
fn an_unreachable_proxy_is_an_io_error() {
    let addr = websock_tests::facade::refused_addr();
    let proxy = Proxy::http(&addr.to_string()).unwrap();
    each_runtime("an_unreachable_proxy_is_an_io_error", move |rt| {
        let options = Options::default().proxy(proxy.clone());
        let e = connect_fails(rt, "ws://127.0.0.1:9/", &options);
        assert!(
            matches!(&e, Error::Io(io) if io.kind() == io::ErrorKind::ConnectionRefused),
            "{rt}: {e:?}"
        );
        assert_eq!(proxy_error(&e), None, "{rt}: the proxy never answered");
    });
}

/// How long the browser-face tests wait for any one event.
const EVENT_WAIT: Duration = Duration::from_secs(10);

/// The browser `WebSocket` of `rt` to `url` through `proxy`: sends a text once open,
/// closes once a message arrives, and returns the events up to the close event (or
/// until none comes within [`EVENT_WAIT`]).
fn browser_conversation(rt: Runtime, url: &str, proxy: Proxy) -> Vec<BrowserEvent> {
    match rt {
        Runtime::Tokio => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(async_conversation::<websock_tokio::Tokio>(url, proxy)),
        Runtime::Smol => smol::block_on(async_conversation::<websock_smol::Smol>(url, proxy)),
        Runtime::Std => {
            let options = websock_std::ClientOptions::new()
                .proxy(proxy)
                .check_bad_ports(false);
            let ws = websock_std::WebSocket::with_options(url, options).expect("the constructor");
            let mut events = Vec::new();
            while let Some(event) = ws.next_event_timeout(EVENT_WAIT) {
                if converse_on(&event, |text| ws.send(text), || ws.close(None, None)) {
                    events.push(event);
                    break;
                }
                events.push(event);
            }
            events
        }
    }
}

/// [`browser_conversation`] on websock-core's async browser face (tokio's and smol's
/// `WebSocket`), waiting with the runtime's own timer.
async fn async_conversation<R: AsyncRuntime>(url: &str, proxy: Proxy) -> Vec<BrowserEvent> {
    let options = ClientSettings::<R::Tls>::new()
        .proxy(proxy)
        .check_bad_ports(false);
    let ws = handle::WebSocket::<R>::with_options(url, options).expect("the constructor");
    let mut events = Vec::new();
    while let Some(Some(event)) = within::<R, _>(EVENT_WAIT, ws.next_event()).await {
        if converse_on(&event, |text| ws.send(text), || ws.close(None, None)) {
            events.push(event);
            break;
        }
        events.push(event);
    }
    events
}

/// The conversation's answer to `event`: a text once open, a close once the echo is
/// in. True for the close event (the last).
fn converse_on(
    event: &BrowserEvent,
    send: impl FnOnce(&'static str) -> Result<(), ApiError>,
    close: impl FnOnce() -> Result<(), ApiError>,
) -> bool {
    match event {
        BrowserEvent::Open => send("through the proxy").expect("send once open"),
        BrowserEvent::Message(_) => close().expect("close"),
        _ => {}
    }
    event.is_close()
}

/// `future`'s output, or `None` once `wait` has passed on `R`'s clock.
async fn within<R: AsyncRuntime, T>(wait: Duration, future: impl Future<Output = T>) -> Option<T> {
    let at = R::now() + wait;
    let mut timer = R::timer();
    let mut future = pin!(future);
    poll_fn(|cx| {
        if let Poll::Ready(out) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(out));
        }
        timer.poll_until(cx, at).map(|()| None)
    })
    .await
}

/// Every runtime's browser `WebSocket` dials through the proxy in its options, HTTP
/// `CONNECT` and SOCKS5 alike (websock-core's one transport setup for tokio and smol,
/// std's own), and talks to the server through the tunnel.
#[test]
fn browser_face_goes_through_both_proxies() {
    let server = Runtime::Std.start_server(Scheme::Ws);
    let port = server.addr.port();
    let http = Arc::new(TestProxy::start(Kind::Http, Behaviour::default()));
    let socks = Arc::new(TestProxy::start(Kind::Socks5, Behaviour::default()));
    each_runtime("browser_face_goes_through_both_proxies", move |rt| {
        for p in [&http, &socks] {
            let before = p.seen().len();
            let proxy = Proxy::parse(&p.url(None)).unwrap();
            let events = browser_conversation(rt, &format!("ws://localhost:{port}/"), proxy);
            let text = MessageData::Text("through the proxy".into());
            assert!(
                matches!(
                    events.as_slice(),
                    [BrowserEvent::Open, BrowserEvent::Message(m), BrowserEvent::Close(c)]
                        if *m == text && c.was_clean && c.code == 1005
                ),
                "{rt} {:?}: {events:?}",
                p.kind
            );
            let seen = p.seen();
            assert_eq!(seen.len(), before + 1, "{rt} {:?}: one tunnel", p.kind);
            assert_eq!(
                seen[before].target,
                format!("localhost:{port}"),
                "{rt} {:?}",
                p.kind
            );
        }
    });
}

/// A proxy that refuses the tunnel fails the browser `WebSocket` as any failed
/// connection does: `error`, then `close` with 1006 (not clean), and nothing else.
#[test]
fn browser_face_refused_by_the_proxy_errors_then_closes_1006() {
    let server = Runtime::Std.start_server(Scheme::Ws);
    let url = server.url("/");
    let refuse = |code| Behaviour {
        refuse: Some(code),
        ..Behaviour::default()
    };
    let http = Arc::new(TestProxy::start(Kind::Http, refuse(403)));
    let socks = Arc::new(TestProxy::start(Kind::Socks5, refuse(5)));
    each_runtime(
        "browser_face_refused_by_the_proxy_errors_then_closes_1006",
        move |rt| {
            for p in [&http, &socks] {
                let before = p.seen().len();
                let proxy = Proxy::parse(&p.url(None)).unwrap();
                let events = browser_conversation(rt, &url, proxy);
                assert!(
                    matches!(
                        events.as_slice(),
                        [BrowserEvent::Error, BrowserEvent::Close(c)]
                            if c.code == 1006 && !c.was_clean
                    ),
                    "{rt} {:?}: {events:?}",
                    p.kind
                );
                assert_eq!(p.seen().len(), before + 1, "{rt} {:?}: asked", p.kind);
            }
        },
    );
}
