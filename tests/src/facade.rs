//! One blocking face over the three runtimes, so that a behaviour test is written once
//! and run against `websock-tokio`, `websock-smol` and `websock-std` alike.
//!
//! * [`connect`] gives a [`Conn`] (the idiomatic `WebSocketStream`: `send`,
//!   `try_send`, `send_uncompressed`, `send_fragment`, `ping`, `recv`, `recv_incoming`,
//!   `close`, `close_event`, `protocol`, `extensions`, `request`, `response`,
//!   `ready_state`, `role`, `buffered_amount`, `send_stream` / `recv_stream` (a blocking
//!   [`StreamWriter`] / [`StreamReader`]), `split` into [`SendHalf`] / [`RecvHalf`]);
//!   [`accept`] gives the server's [`Conn`] over a `std::net::TcpStream` (the runtime's
//!   `accept_with`), [`from_upgraded`] one over a stream upgraded elsewhere,
//!   [`serve_once`] / [`serve_one`] serve one connection on a thread, and
//!   [`serve_echo`] runs the runtime's echo server;
//! * [`browser`] and [`browser_with`] give a [`Browser`] (the browser-shaped
//!   `WebSocket`: `url`, `send`, `close`, `ready_state`, `next_event` with a timeout
//!   (`next_event_timeout`), `on_message`, `clone_handle`);
//! * [`RawListener`] / [`RawPeer`]: a hand-written server over a blocking
//!   `std::net::TcpStream` (handshake and frames written by hand) for a peer that must
//!   misbehave or act at a precise moment;
//! * [`each_runtime`] runs a test body once per runtime, each bounded by a timeout, and
//!   fails naming every runtime that failed.
//!
//! How each runtime is driven from blocking code: tokio on one background
//! current-thread runtime (a thread blocked in `Runtime::block_on` drives I/O, timers
//! and the driver tasks; callers wait with `Handle::block_on`), smol with
//! `smol::block_on` (its driver and dispatcher tasks run on smol's global executor),
//! std directly.

use std::io::{self, Read, Write};
use std::marker::PhantomData;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use websock_core::dom::{BrowserEvent, MessageData, ReadyState};
use websock_core::handshake::{Request, Response};
use websock_core::session::Incoming;
use websock_core::{
    ApiError, Bytes, ClientSettings, CloseEvent, Config, Decision, Message, MessageKind,
    PreparedMessage, Role, ServerSettings,
};

use crate::{run_with_timeout, Runtime};

/// The error every runtime reports (websock-core's `session::Error`, re-exported by
/// each runtime crate as its `Error`).
pub type Error = websock_core::session::Error;

/// Client options without TLS (websock-core's `ClientSettings`); converted to each
/// runtime's `ClientOptions` (the same fields, plus a TLS configuration left default).
pub type Options = ClientSettings;

/// Server options (websock-core's `ServerSettings`): every runtime's `ServerOptions`.
pub type ServerOptions = ServerSettings;

/// How long one runtime's run of a test body may take.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `body` once for each runtime of [`Runtime::ALL`] (or of those named in
/// `WEBSOCK_TEST_RUNTIMES`, comma-separated), each on its own thread
/// bounded by [`BODY_TIMEOUT`], and panics with every failure (each labelled with its
/// runtime's name) if any runtime failed.
pub fn each_runtime<F>(test: &str, body: F)
where
    F: Fn(Runtime) + Send + Sync + 'static,
{
    let body = Arc::new(body);
    let mut failures = Vec::new();
    // `WEBSOCK_TEST_RUNTIMES=smol,std` narrows a run down while debugging.
    let only = std::env::var("WEBSOCK_TEST_RUNTIMES").ok();
    for rt in Runtime::ALL {
        if let Some(only) = &only {
            if !only.split(',').any(|name| name.trim() == rt.to_string()) {
                continue;
            }
        }
        let body = body.clone();
        let what = format!("{test} [{rt}]");
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            run_with_timeout(&what, BODY_TIMEOUT, move || body(rt))
        }));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "panicked".to_owned());
            failures.push(format!("{rt}: {message}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{test}: {} of 3 runtimes failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The options as one runtime's `ClientOptions` (all three are `ClientSettings` with
/// the runtime's TLS configuration type).
fn convert<Tls: Default>(o: &Options) -> ClientSettings<Tls> {
    ClientSettings {
        protocols: o.protocols.clone(),
        headers: o.headers.clone(),
        limits: o.limits,
        timeouts: o.timeouts,
        streaming: Default::default(),
        deflate: o.deflate,
        check_bad_ports: o.check_bad_ports,
        proxy: o.proxy.clone(),
        tls: Tls::default(),
    }
}

/// The background tokio runtime every tokio connection of these tests runs on.
pub(crate) fn tokio_handle() -> &'static tokio::runtime::Handle {
    static HANDLE: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let handle = rt.handle().clone();
        std::thread::Builder::new()
            .name("behaviour-tokio".into())
            .spawn(move || rt.block_on(std::future::pending::<()>()))
            .expect("spawn the tokio runtime thread");
        handle
    })
}

/// A connected idiomatic `WebSocketStream`, blocking.
pub trait Conn: Send {
    /// `send(message)`.
    fn send(&mut self, message: Message) -> Result<(), Error>;
    /// `try_send(message)`: queues without waiting for room (`Error::Send(Full)` when
    /// the send queue is over its limit).
    fn try_send(&mut self, message: Message) -> Result<(), Error>;
    /// `send_uncompressed(message)`: without permessage-deflate.
    fn send_uncompressed(&mut self, message: Message) -> Result<(), Error>;
    /// `try_send_uncompressed(message)`.
    fn try_send_uncompressed(&mut self, message: Message) -> Result<(), Error>;
    /// `feed(message)`: queued, written by a later `flush` (or send, close, driving).
    fn feed(&mut self, message: Message) -> Result<(), Error>;
    /// `send_prepared(&prepared)`: a message encoded once, sent as `send` sends.
    fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error>;
    /// `try_send_prepared(&prepared)`.
    fn try_send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error>;
    /// `feed_prepared(&prepared)`.
    fn feed_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error>;
    /// `flush()`: waits until everything queued was handed to the transport.
    fn flush(&mut self) -> Result<(), Error>;
    /// `send_fragment(kind, data, fin)`.
    fn send_fragment(&mut self, kind: MessageKind, data: Bytes, fin: bool) -> Result<(), Error>;
    /// `ping(payload)`: queued; its pong is reported by `recv_incoming`.
    fn ping(&mut self, payload: Bytes) -> Result<(), Error>;
    /// `protocol()`: the agreed subprotocol.
    fn protocol(&self) -> Option<String>;
    /// `extensions()`: the agreed extensions, as the `Sec-WebSocket-Extensions` text.
    fn extensions(&self) -> String;
    /// `request()`: the opening request (the server's side).
    fn request(&self) -> Option<Request>;
    /// `response()`: the opening response (the client's side).
    fn response(&self) -> Option<Response>;
    /// `ready_state()`.
    fn ready_state(&self) -> ReadyState;
    /// `role()`: client or server.
    fn role(&self) -> Role;
    /// `buffered_amount()`: bytes queued and not yet handed to the transport.
    fn buffered_amount(&self) -> usize;
    /// `send_queue_len()`: the send queue's length in bytes, frame headers included.
    fn send_queue_len(&self) -> usize;
    /// `send_stream(kind)`, with `fragment_size(n)` when given and `uncompressed()`
    /// when asked: a message written piece by piece.
    fn send_stream(
        &mut self,
        kind: MessageKind,
        fragment_size: Option<usize>,
        uncompressed: bool,
    ) -> Box<dyn StreamWriter + '_>;
    /// `recv_stream()`: the next message, read piece by piece.
    fn recv_stream(&mut self) -> Option<Result<Box<dyn StreamReader + '_>, Error>>;
    /// `recv()`: the next message; `Some(Err)` once on failure, then `None`.
    fn recv(&mut self) -> Option<Result<Message, Error>>;
    /// `recv_incoming()`: the next message, ping or pong.
    fn recv_incoming(&mut self) -> Option<Result<Incoming, Error>>;
    /// `try_recv()`: a message already received, without I/O or waiting.
    fn try_recv(&mut self) -> Option<Result<Message, Error>>;
    /// `incoming()`, its first `n` items (fewer if it ends first): std's `Messages`
    /// iterator, the async handles' `Messages` stream.
    fn incoming_take(&mut self, n: usize) -> Vec<Result<Message, Error>>;
    /// `close(code, reason)`: waits for the closing handshake; the close event.
    fn close(&mut self, code: Option<u16>, reason: &str) -> Result<CloseEvent, Error>;
    /// `close_event()`: how the connection closed, once it has.
    fn close_event(&self) -> Option<CloseEvent>;
    /// `split()`: the sender and receiver halves.
    fn split(self: Box<Self>) -> (Box<dyn SendHalf>, Box<dyn RecvHalf>);
}

/// A message being sent piece by piece (`MessageWriter`): `std::io::Write` (std's
/// own; the async handles' `AsyncWrite`, blocked on), and `finish`. Dropped unfinished,
/// it cuts the message short.
pub trait StreamWriter: io::Write {
    /// `finish()`: the last fragment.
    fn finish(self: Box<Self>) -> Result<(), Error>;
}

/// A message being received piece by piece (`MessageReader`): `std::io::Read` (std's
/// own; the async handles' `AsyncRead`, blocked on), `kind` and `chunk`.
pub trait StreamReader: io::Read {
    /// `kind()`: text or binary.
    fn kind(&self) -> MessageKind;
    /// `chunk()`: the next piece as it arrived (text: valid UTF-8 on its own).
    fn chunk(&mut self) -> Option<Result<Bytes, Error>>;
}

/// The sending half of a split [`Conn`].
pub trait SendHalf: Send {
    /// `send(message)`.
    fn send(&mut self, message: Message) -> Result<(), Error>;
    /// `send_uncompressed(message)`.
    fn send_uncompressed(&mut self, message: Message) -> Result<(), Error>;
    /// `try_send_uncompressed(message)`.
    fn try_send_uncompressed(&mut self, message: Message) -> Result<(), Error>;
    /// `try_send(message)`.
    fn try_send(&mut self, message: Message) -> Result<(), Error>;
    /// `feed(message)`.
    fn feed(&mut self, message: Message) -> Result<(), Error>;
    /// `send_prepared(&prepared)`.
    fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error>;
    /// `try_send_prepared(&prepared)`.
    fn try_send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error>;
    /// `feed_prepared(&prepared)`.
    fn feed_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error>;
    /// `buffered_amount()`.
    fn buffered_amount(&self) -> usize;
    /// `send_queue_len()`.
    fn send_queue_len(&self) -> usize;
    /// `close(code, reason)`: waits for the closing handshake, whether or not the
    /// receiver is receiving meanwhile; the close event.
    fn close(&mut self, code: Option<u16>, reason: &str) -> Result<CloseEvent, Error>;
    /// `send_fragment(kind, data, fin)`.
    fn send_fragment(&mut self, kind: MessageKind, data: Bytes, fin: bool) -> Result<(), Error>;
    /// `ping(payload)`.
    fn ping(&mut self, payload: Bytes) -> Result<(), Error>;
    /// `flush()`: waits until everything queued was handed to the transport.
    fn flush(&mut self) -> Result<(), Error>;
    /// `clone()`: another sender on the same connection (every runtime's sender half is
    /// `Clone`; the implementations call the methods above through `&self`, so the
    /// halves' `&self` receivers are pinned at compile time).
    fn clone_half(&self) -> Box<dyn SendHalf>;
}

/// The receiving half of a split [`Conn`].
pub trait RecvHalf: Send {
    /// `recv()`.
    fn recv(&mut self) -> Option<Result<Message, Error>>;
    /// `recv_incoming()`.
    fn recv_incoming(&mut self) -> Option<Result<Incoming, Error>>;
    /// `try_recv()`.
    fn try_recv(&mut self) -> Option<Result<Message, Error>>;
    /// `incoming()`, its first `n` items (see [`Conn::incoming_take`]).
    fn incoming_take(&mut self, n: usize) -> Vec<Result<Message, Error>>;
    /// `close_event()`.
    fn close_event(&self) -> Option<CloseEvent>;
}

/// `connect_with(url, options)` with `rt`'s crate, blocking.
pub fn connect(rt: Runtime, url: &str, options: &Options) -> Result<Box<dyn Conn>, Error> {
    connect_tls(rt, url, options, None)
}

/// [`connect`] with `tls` as the options' rustls client configuration for `wss://`
/// (`None`: the runtime's default, the webpki roots).
pub fn connect_tls(
    rt: Runtime,
    url: &str,
    options: &Options,
    tls: Option<Arc<websock_tokio::rustls::ClientConfig>>,
) -> Result<Box<dyn Conn>, Error> {
    Ok(match rt {
        Runtime::Tokio => {
            let mut options: websock_tokio::ClientOptions = convert(options);
            options.tls = tls;
            let ws = tokio_handle().block_on(websock_tokio::connect_with(url, options))?;
            tokio_conn(ws)
        }
        Runtime::Smol => {
            let mut options: websock_smol::ClientOptions = convert(options);
            options.tls = tls;
            let ws = smol::block_on(websock_smol::connect_with(url, options))?;
            smol_conn(ws)
        }
        Runtime::Std => {
            let mut options: websock_std::ClientOptions = convert(options);
            options.tls = tls;
            std_conn(websock_std::connect_with(url, options)?)
        }
    })
}

/// `client_handshake(tcp, url, options)` with `rt`'s crate: the opening handshake over
/// a TCP connection the caller opened.
pub fn client_handshake(
    rt: Runtime,
    tcp: TcpStream,
    url: &str,
    options: &Options,
) -> Result<Box<dyn Conn>, Error> {
    Ok(match rt {
        Runtime::Tokio => {
            tcp.set_nonblocking(true)?;
            let options: websock_tokio::ClientOptions = convert(options);
            tokio_conn(tokio_handle().block_on(async {
                let tcp = tokio::net::TcpStream::from_std(tcp)?;
                websock_tokio::client_handshake(tcp, url, options).await
            })?)
        }
        Runtime::Smol => {
            let options: websock_smol::ClientOptions = convert(options);
            let tcp = async_io::Async::new(tcp)?;
            smol_conn(smol::block_on(websock_smol::client_handshake(
                tcp, url, options,
            ))?)
        }
        Runtime::Std => {
            let options: websock_std::ClientOptions = convert(options);
            std_conn(websock_std::client_handshake(tcp, url, options)?)
        }
    })
}

/// `accept_with(tcp, options, decide)` with `rt`'s crate, blocking: the server's side of
/// a connection a `std::net::TcpListener` accepted (tokio and smol take the socket over
/// as their own non-blocking `TcpStream`).
pub fn accept(
    rt: Runtime,
    tcp: TcpStream,
    options: &ServerOptions,
    decide: impl FnOnce(&Request) -> Decision,
) -> Result<Box<dyn Conn>, Error> {
    let options = options.clone();
    Ok(match rt {
        Runtime::Tokio => {
            tcp.set_nonblocking(true)?;
            let ws = tokio_handle().block_on(async {
                let tcp = tokio::net::TcpStream::from_std(tcp)?;
                websock_tokio::accept_with(tcp, options, decide).await
            })?;
            tokio_conn(ws)
        }
        Runtime::Smol => {
            let tcp = async_io::Async::new(tcp)?;
            let ws = smol::block_on(websock_smol::accept_with(tcp, options, decide))?;
            smol_conn(ws)
        }
        Runtime::Std => std_conn(websock_std::accept_with(tcp, options, decide)?),
    })
}

/// `from_upgraded(tcp, role, protocol, config)` with `rt`'s crate: a connection open
/// from the start over a stream whose upgrade was done elsewhere.
pub fn from_upgraded(
    rt: Runtime,
    tcp: TcpStream,
    role: Role,
    protocol: Option<String>,
    config: Config,
) -> Result<Box<dyn Conn>, Error> {
    Ok(match rt {
        Runtime::Tokio => {
            tcp.set_nonblocking(true)?;
            let _entered = tokio_handle().enter();
            let tcp = tokio::net::TcpStream::from_std(tcp)?;
            let ws = websock_tokio::from_upgraded(tcp, role, protocol, config);
            tokio_conn(ws)
        }
        Runtime::Smol => {
            let tcp = async_io::Async::new(tcp)?;
            let ws = websock_smol::from_upgraded(tcp, role, protocol, config);
            smol_conn(ws)
        }
        Runtime::Std => std_conn(websock_std::from_upgraded(tcp, role, protocol, config)),
    })
}

/// `rt`'s server for one connection on `127.0.0.1:0`: on its own thread, accepts it
/// with `options` and `decide` ([`accept`]) and gives the outcome to `then`.
pub fn serve_once<T: Send + 'static>(
    rt: Runtime,
    options: ServerOptions,
    decide: impl FnOnce(&Request) -> Decision + Send + 'static,
    then: impl FnOnce(Result<Box<dyn Conn>, Error>) -> T + Send + 'static,
) -> (SocketAddr, std::thread::JoinHandle<T>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        then(accept(rt, tcp, &options, decide))
    });
    (addr, server)
}

/// [`serve_once`] with the default options, accepting the request; `then` gets the
/// connection (the accept must succeed). Returns `ws://127.0.0.1:PORT/`.
pub fn serve_one<T: Send + 'static>(
    rt: Runtime,
    then: impl FnOnce(Box<dyn Conn>) -> T + Send + 'static,
) -> (String, std::thread::JoinHandle<T>) {
    let (addr, server) = serve_once(
        rt,
        ServerOptions::default(),
        |_| Decision::accept(),
        move |ws| then(ws.unwrap_or_else(|e| panic!("{rt}: accept: {e:?}"))),
    );
    (format!("ws://{addr}/"), server)
}

/// Runs `rt`'s echo server on `127.0.0.1:0` (a thread per connection, each accepted
/// with [`accept`] and `decide`, echoing every message until the connection ends), and
/// returns its address. The server lives as long as the test process.
pub fn serve_echo<F>(rt: Runtime, options: ServerOptions, decide: F) -> SocketAddr
where
    F: Fn(&Request) -> Decision + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let decide = Arc::new(decide);
    std::thread::Builder::new()
        .name(format!("{rt} echo server"))
        .spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { continue };
                let (decide, options) = (decide.clone(), options.clone());
                std::thread::spawn(move || {
                    let Ok(mut ws) = accept(rt, tcp, &options, |r| decide(r)) else {
                        return;
                    };
                    while let Some(Ok(message)) = ws.recv() {
                        if ws.send(message).is_err() {
                            break;
                        }
                    }
                });
            }
        })
        .expect("spawn the echo server");
    addr
}

/// A tokio `WebSocketStream` over any transport as a [`Conn`].
pub(crate) fn tokio_conn<S: 'static>(ws: websock_tokio::WebSocketStream<S>) -> Box<dyn Conn> {
    Box::new(async_face::Stream::<_, TokioBlocking>(ws, PhantomData))
}

/// A smol `WebSocketStream` over any transport as a [`Conn`].
pub(crate) fn smol_conn<S: 'static>(ws: websock_smol::WebSocketStream<S>) -> Box<dyn Conn> {
    Box::new(async_face::Stream::<_, SmolBlocking>(ws, PhantomData))
}

/// A std `WebSocketStream` over any transport as a [`Conn`].
pub(crate) fn std_conn<S: 'static>(ws: websock_std::WebSocketStream<S>) -> Box<dyn Conn> {
    Box::new(std_face::Stream(ws))
}

/// The browser-shaped `WebSocket`, blocking.
pub trait Browser: Send {
    /// `url`.
    fn url(&self) -> String;
    /// `send(data)`.
    fn send(&self, data: MessageData) -> Result<(), ApiError>;
    /// `close(code, reason)`.
    fn close(&self, code: Option<u16>, reason: Option<&str>) -> Result<(), ApiError>;
    /// `readyState`.
    fn ready_state(&self) -> ReadyState;
    /// The next event no handler took, waiting at most `timeout`; `None` if none came
    /// in time or the events are over.
    fn next_event(&self, timeout: Duration) -> Option<BrowserEvent>;
    /// `onmessage = handler` (the handler is not given the event's target).
    fn on_message(&self, handler: Box<dyn FnMut(MessageData) + Send>);
    /// `clone()`: another handle to the same connection.
    fn clone_handle(&self) -> Box<dyn Browser>;
}

/// `WebSocket::new(url, protocols)` with `rt`'s crate.
pub fn browser(rt: Runtime, url: &str, protocols: &[&str]) -> Result<Box<dyn Browser>, ApiError> {
    Ok(match rt {
        Runtime::Tokio => {
            // Must be created inside the runtime (it spawns its driver task).
            let _entered = tokio_handle().enter();
            Box::new(async_face::Browser::<_, TokioBlocking>(
                websock_tokio::WebSocket::new(url, protocols)?,
                PhantomData,
            ))
        }
        Runtime::Smol => Box::new(async_face::Browser::<_, SmolBlocking>(
            websock_smol::WebSocket::new(url, protocols)?,
            PhantomData,
        )),
        Runtime::Std => Box::new(std_face::Browser(websock_std::WebSocket::new(
            url, protocols,
        )?)),
    })
}

/// `WebSocket::with_options(url, options)` with `rt`'s crate, `tls` as the options'
/// rustls client configuration for `wss://` (`None`: the runtime's default).
pub fn browser_with(
    rt: Runtime,
    url: &str,
    options: &Options,
    tls: Option<Arc<websock_tokio::rustls::ClientConfig>>,
) -> Result<Box<dyn Browser>, ApiError> {
    Ok(match rt {
        Runtime::Tokio => {
            let mut options: websock_tokio::ClientOptions = convert(options);
            options.tls = tls;
            let _entered = tokio_handle().enter();
            Box::new(async_face::Browser::<_, TokioBlocking>(
                websock_tokio::WebSocket::with_options(url, options)?,
                PhantomData,
            ))
        }
        Runtime::Smol => {
            let mut options: websock_smol::ClientOptions = convert(options);
            options.tls = tls;
            Box::new(async_face::Browser::<_, SmolBlocking>(
                websock_smol::WebSocket::with_options(url, options)?,
                PhantomData,
            ))
        }
        Runtime::Std => {
            let mut options: websock_std::ClientOptions = convert(options);
            options.tls = tls;
            Box::new(std_face::Browser(websock_std::WebSocket::with_options(
                url, options,
            )?))
        }
    })
}

/// How the test thread waits for an async runtime's futures.
trait Blocking: Send + Sync + 'static {
    /// Runs `f` to completion.
    fn block_on<F: std::future::Future>(f: F) -> F::Output;
}

/// tokio: on the one background runtime (timers are created inside its context).
struct TokioBlocking;

impl Blocking for TokioBlocking {
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio_handle().block_on(f)
    }
}

/// smol: `smol::block_on`.
struct SmolBlocking;

impl Blocking for SmolBlocking {
    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        smol::block_on(f)
    }
}

/// tokio and smol: both crates' handles are websock-core's async handles, so one face
/// serves both, told how to block by `B`.
mod async_face {
    use std::marker::PhantomData;

    use super::*;
    use futures_lite::StreamExt;
    use websock_core::handle::{self, Runtime, WebSocketReceiver, WebSocketSender};

    pub(super) struct Stream<S, B>(
        pub(super) handle::WebSocketStream<S>,
        pub(super) PhantomData<B>,
    );

    impl<S: 'static, B: Blocking> Conn for Stream<S, B> {
        fn send(&mut self, message: Message) -> Result<(), Error> {
            B::block_on(self.0.send(message))
        }
        fn try_send(&mut self, message: Message) -> Result<(), Error> {
            self.0.try_send(message)
        }
        fn send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
            B::block_on(self.0.send_uncompressed(message))
        }
        fn try_send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
            self.0.try_send_uncompressed(message)
        }
        fn feed(&mut self, message: Message) -> Result<(), Error> {
            B::block_on(self.0.feed(message))
        }
        fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
            B::block_on(self.0.send_prepared(prepared))
        }
        fn try_send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
            self.0.try_send_prepared(prepared)
        }
        fn feed_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
            B::block_on(self.0.feed_prepared(prepared))
        }
        fn flush(&mut self) -> Result<(), Error> {
            B::block_on(self.0.flush())
        }
        fn send_fragment(
            &mut self,
            kind: MessageKind,
            data: Bytes,
            fin: bool,
        ) -> Result<(), Error> {
            B::block_on(self.0.send_fragment(kind, data, fin))
        }
        fn ping(&mut self, payload: Bytes) -> Result<(), Error> {
            self.0.ping(payload)
        }
        fn protocol(&self) -> Option<String> {
            self.0.protocol().map(str::to_owned)
        }
        fn extensions(&self) -> String {
            self.0.extensions().to_owned()
        }
        fn request(&self) -> Option<Request> {
            self.0.request().cloned()
        }
        fn response(&self) -> Option<Response> {
            self.0.response().cloned()
        }
        fn ready_state(&self) -> ReadyState {
            self.0.ready_state()
        }
        fn role(&self) -> Role {
            self.0.role()
        }
        fn buffered_amount(&self) -> usize {
            self.0.buffered_amount()
        }
        fn send_queue_len(&self) -> usize {
            self.0.send_queue_len()
        }
        fn send_stream(
            &mut self,
            kind: MessageKind,
            fragment_size: Option<usize>,
            uncompressed: bool,
        ) -> Box<dyn StreamWriter + '_> {
            let mut writer = self.0.send_stream(kind);
            if let Some(n) = fragment_size {
                writer = writer.fragment_size(n);
            }
            if uncompressed {
                writer = writer.uncompressed();
            }
            Box::new(Writer::<B>(Some(writer), PhantomData))
        }
        fn recv_stream(&mut self) -> Option<Result<Box<dyn StreamReader + '_>, Error>> {
            let reader = B::block_on(self.0.recv_stream())?;
            Some(reader.map(|r| Box::new(Reader::<B>(r, PhantomData)) as Box<dyn StreamReader>))
        }
        fn recv(&mut self) -> Option<Result<Message, Error>> {
            B::block_on(self.0.recv())
        }
        fn recv_incoming(&mut self) -> Option<Result<Incoming, Error>> {
            B::block_on(self.0.recv_incoming())
        }
        fn try_recv(&mut self) -> Option<Result<Message, Error>> {
            self.0.try_recv()
        }
        fn incoming_take(&mut self, n: usize) -> Vec<Result<Message, Error>> {
            let messages: handle::Messages<'_> = self.0.incoming();
            B::block_on(StreamExt::collect(StreamExt::take(messages, n)))
        }
        fn close(&mut self, code: Option<u16>, reason: &str) -> Result<CloseEvent, Error> {
            B::block_on(self.0.close(code, reason))
        }
        fn close_event(&self) -> Option<CloseEvent> {
            self.0.close_event()
        }
        fn split(self: Box<Self>) -> (Box<dyn SendHalf>, Box<dyn RecvHalf>) {
            let (tx, rx) = self.0.split();
            (
                Box::new(Sender::<B>(tx, PhantomData)),
                Box::new(Receiver::<B>(rx, PhantomData)),
            )
        }
    }

    struct Writer<'a, B>(Option<handle::MessageWriter<'a>>, PhantomData<B>);

    impl<B: Blocking> io::Write for Writer<'_, B> {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let writer = self.0.as_mut().expect("not finished");
            B::block_on(futures_lite::AsyncWriteExt::write(writer, buf))
        }
        fn flush(&mut self) -> io::Result<()> {
            let writer = self.0.as_mut().expect("not finished");
            B::block_on(futures_lite::AsyncWriteExt::flush(writer))
        }
    }

    impl<B: Blocking> StreamWriter for Writer<'_, B> {
        fn finish(mut self: Box<Self>) -> Result<(), Error> {
            let writer = self.0.take().expect("not finished");
            B::block_on(writer.finish())
        }
    }

    struct Reader<'a, B>(handle::MessageReader<'a>, PhantomData<B>);

    impl<B: Blocking> io::Read for Reader<'_, B> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            B::block_on(futures_lite::AsyncReadExt::read(&mut self.0, buf))
        }
    }

    impl<B: Blocking> StreamReader for Reader<'_, B> {
        fn kind(&self) -> MessageKind {
            self.0.kind()
        }
        fn chunk(&mut self) -> Option<Result<Bytes, Error>> {
            B::block_on(self.0.chunk())
        }
    }

    struct Sender<B>(WebSocketSender, PhantomData<B>);

    impl<B: Blocking> Sender<B> {
        /// The sender through a shared reference: its methods take `&self`.
        fn shared(&self) -> &WebSocketSender {
            &self.0
        }
    }

    impl<B: Blocking> SendHalf for Sender<B> {
        fn send(&mut self, message: Message) -> Result<(), Error> {
            B::block_on(self.shared().send(message))
        }
        fn send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
            B::block_on(self.shared().send_uncompressed(message))
        }
        fn try_send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
            self.shared().try_send_uncompressed(message)
        }
        fn try_send(&mut self, message: Message) -> Result<(), Error> {
            self.shared().try_send(message)
        }
        fn feed(&mut self, message: Message) -> Result<(), Error> {
            B::block_on(self.shared().feed(message))
        }
        fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
            B::block_on(self.shared().send_prepared(prepared))
        }
        fn try_send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
            self.shared().try_send_prepared(prepared)
        }
        fn feed_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
            B::block_on(self.shared().feed_prepared(prepared))
        }
        fn send_fragment(
            &mut self,
            kind: MessageKind,
            data: Bytes,
            fin: bool,
        ) -> Result<(), Error> {
            B::block_on(self.shared().send_fragment(kind, data, fin))
        }
        fn ping(&mut self, payload: Bytes) -> Result<(), Error> {
            self.shared().ping(payload)
        }
        fn flush(&mut self) -> Result<(), Error> {
            B::block_on(self.shared().flush())
        }
        fn clone_half(&self) -> Box<dyn SendHalf> {
            Box::new(Sender::<B>(self.0.clone(), PhantomData))
        }
        fn buffered_amount(&self) -> usize {
            self.0.buffered_amount()
        }
        fn send_queue_len(&self) -> usize {
            self.0.send_queue_len()
        }
        fn close(&mut self, code: Option<u16>, reason: &str) -> Result<CloseEvent, Error> {
            B::block_on(self.shared().close(code, reason))
        }
    }

    struct Receiver<B>(WebSocketReceiver, PhantomData<B>);

    impl<B: Blocking> RecvHalf for Receiver<B> {
        fn recv(&mut self) -> Option<Result<Message, Error>> {
            B::block_on(self.0.recv())
        }
        fn recv_incoming(&mut self) -> Option<Result<Incoming, Error>> {
            B::block_on(self.0.recv_incoming())
        }
        fn try_recv(&mut self) -> Option<Result<Message, Error>> {
            self.0.try_recv()
        }
        fn incoming_take(&mut self, n: usize) -> Vec<Result<Message, Error>> {
            let messages: handle::Messages<'_> = self.0.incoming();
            B::block_on(StreamExt::collect(StreamExt::take(messages, n)))
        }
        fn close_event(&self) -> Option<CloseEvent> {
            self.0.close_event()
        }
    }

    pub(super) struct Browser<R, B>(pub(super) handle::WebSocket<R>, pub(super) PhantomData<B>);

    impl<R: Runtime, B: Blocking> super::Browser for Browser<R, B> {
        fn url(&self) -> String {
            self.0.url().to_string()
        }
        fn send(&self, data: MessageData) -> Result<(), ApiError> {
            self.0.send(data)
        }
        fn close(&self, code: Option<u16>, reason: Option<&str>) -> Result<(), ApiError> {
            self.0.close(code, reason)
        }
        fn ready_state(&self) -> ReadyState {
            self.0.ready_state()
        }
        fn next_event(&self, timeout: Duration) -> Option<BrowserEvent> {
            B::block_on(self.0.next_event_timeout(timeout))
        }
        fn on_message(&self, mut handler: Box<dyn FnMut(MessageData) + Send>) {
            self.0.on_message(move |_, data| handler(data));
        }
        fn clone_handle(&self) -> Box<dyn super::Browser> {
            Box::new(Browser::<R, B>(self.0.clone(), PhantomData))
        }
    }
}

mod std_face {
    use super::*;
    use websock_std::{WebSocket, WebSocketReceiver, WebSocketSender};

    pub(super) struct Stream<S>(pub(super) websock_std::WebSocketStream<S>);

    impl<S: 'static> Conn for Stream<S> {
        fn send(&mut self, message: Message) -> Result<(), Error> {
            self.0.send(message)
        }
        fn try_send(&mut self, message: Message) -> Result<(), Error> {
            self.0.try_send(message)
        }
        fn send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
            self.0.send_uncompressed(message)
        }
        fn try_send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
            self.0.try_send_uncompressed(message)
        }
        fn feed(&mut self, message: Message) -> Result<(), Error> {
            self.0.feed(message)
        }
        fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
            self.0.send_prepared(prepared)
        }
        fn try_send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
            self.0.try_send_prepared(prepared)
        }
        fn feed_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
            self.0.feed_prepared(prepared)
        }
        fn flush(&mut self) -> Result<(), Error> {
            self.0.flush()
        }
        fn send_fragment(
            &mut self,
            kind: MessageKind,
            data: Bytes,
            fin: bool,
        ) -> Result<(), Error> {
            self.0.send_fragment(kind, data, fin)
        }
        fn ping(&mut self, payload: Bytes) -> Result<(), Error> {
            self.0.ping(payload)
        }
        fn protocol(&self) -> Option<String> {
            self.0.protocol().map(str::to_owned)
        }
        fn extensions(&self) -> String {
            self.0.extensions().to_owned()
        }
        fn request(&self) -> Option<Request> {
            self.0.request().cloned()
        }
        fn response(&self) -> Option<Response> {
            self.0.response().cloned()
        }
        fn ready_state(&self) -> ReadyState {
            self.0.ready_state()
        }
        fn role(&self) -> Role {
            self.0.role()
        }
        fn buffered_amount(&self) -> usize {
            self.0.buffered_amount()
        }
        fn send_queue_len(&self) -> usize {
            self.0.send_queue_len()
        }
        fn send_stream(
            &mut self,
            kind: MessageKind,
            fragment_size: Option<usize>,
            uncompressed: bool,
        ) -> Box<dyn StreamWriter + '_> {
            let mut writer = self.0.send_stream(kind);
            if let Some(n) = fragment_size {
                writer = writer.fragment_size(n);
            }
            if uncompressed {
                writer = writer.uncompressed();
            }
            Box::new(writer)
        }
        fn recv_stream(&mut self) -> Option<Result<Box<dyn StreamReader + '_>, Error>> {
            let reader = self.0.recv_stream()?;
            Some(reader.map(|r| Box::new(r) as Box<dyn StreamReader>))
        }
        fn recv(&mut self) -> Option<Result<Message, Error>> {
            self.0.recv()
        }
        fn recv_incoming(&mut self) -> Option<Result<Incoming, Error>> {
            self.0.recv_incoming()
        }
        fn try_recv(&mut self) -> Option<Result<Message, Error>> {
            self.0.try_recv()
        }
        fn incoming_take(&mut self, n: usize) -> Vec<Result<Message, Error>> {
            let messages: websock_std::Messages<'_> = self.0.incoming();
            messages.take(n).collect()
        }
        fn close(&mut self, code: Option<u16>, reason: &str) -> Result<CloseEvent, Error> {
            self.0.close(code, reason)
        }
        fn close_event(&self) -> Option<CloseEvent> {
            self.0.close_event()
        }
        fn split(self: Box<Self>) -> (Box<dyn SendHalf>, Box<dyn RecvHalf>) {
            let (tx, rx) = self.0.split();
            (Box::new(Sender(tx)), Box::new(Receiver(rx)))
        }
    }

    impl StreamWriter for websock_std::MessageWriter<'_> {
        fn finish(self: Box<Self>) -> Result<(), Error> {
            (*self).finish()
        }
    }

    impl StreamReader for websock_std::MessageReader<'_> {
        fn kind(&self) -> MessageKind {
            websock_std::MessageReader::kind(self)
        }
        fn chunk(&mut self) -> Option<Result<Bytes, Error>> {
            websock_std::MessageReader::chunk(self)
        }
    }

    struct Sender(WebSocketSender);

    impl Sender {
        /// The sender through a shared reference: its methods take `&self`.
        fn shared(&self) -> &WebSocketSender {
            &self.0
        }
    }

    impl SendHalf for Sender {
        fn send(&mut self, message: Message) -> Result<(), Error> {
            self.shared().send(message)
        }
        fn send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
            self.shared().send_uncompressed(message)
        }
        fn try_send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
            self.shared().try_send_uncompressed(message)
        }
        fn try_send(&mut self, message: Message) -> Result<(), Error> {
            self.shared().try_send(message)
        }
        fn feed(&mut self, message: Message) -> Result<(), Error> {
            self.shared().feed(message)
        }
        fn send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
            self.shared().send_prepared(prepared)
        }
        fn try_send_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
            self.shared().try_send_prepared(prepared)
        }
        fn feed_prepared(&mut self, prepared: &PreparedMessage) -> Result<(), Error> {
            self.shared().feed_prepared(prepared)
        }
        fn send_fragment(
            &mut self,
            kind: MessageKind,
            data: Bytes,
            fin: bool,
        ) -> Result<(), Error> {
            self.shared().send_fragment(kind, data, fin)
        }
        fn ping(&mut self, payload: Bytes) -> Result<(), Error> {
            self.shared().ping(payload)
        }
        fn flush(&mut self) -> Result<(), Error> {
            self.shared().flush()
        }
        fn clone_half(&self) -> Box<dyn SendHalf> {
            Box::new(Sender(self.0.clone()))
        }
        fn buffered_amount(&self) -> usize {
            self.0.buffered_amount()
        }
        fn send_queue_len(&self) -> usize {
            self.0.send_queue_len()
        }
        fn close(&mut self, code: Option<u16>, reason: &str) -> Result<CloseEvent, Error> {
            self.shared().close(code, reason)
        }
    }

    struct Receiver(WebSocketReceiver);

    impl RecvHalf for Receiver {
        fn recv(&mut self) -> Option<Result<Message, Error>> {
            self.0.recv()
        }
        fn recv_incoming(&mut self) -> Option<Result<Incoming, Error>> {
            self.0.recv_incoming()
        }
        fn try_recv(&mut self) -> Option<Result<Message, Error>> {
            self.0.try_recv()
        }
        fn incoming_take(&mut self, n: usize) -> Vec<Result<Message, Error>> {
            let messages: websock_std::Messages<'_> = self.0.incoming();
            messages.take(n).collect()
        }
        fn close_event(&self) -> Option<CloseEvent> {
            self.0.close_event()
        }
    }

    pub(super) struct Browser(pub(super) WebSocket);

    impl super::Browser for Browser {
        fn url(&self) -> String {
            self.0.url().to_string()
        }
        fn send(&self, data: MessageData) -> Result<(), ApiError> {
            self.0.send(data)
        }
        fn close(&self, code: Option<u16>, reason: Option<&str>) -> Result<(), ApiError> {
            self.0.close(code, reason)
        }
        fn ready_state(&self) -> ReadyState {
            self.0.ready_state()
        }
        fn next_event(&self, timeout: Duration) -> Option<BrowserEvent> {
            self.0.next_event_timeout(timeout)
        }
        fn on_message(&self, mut handler: Box<dyn FnMut(MessageData) + Send>) {
            self.0.on_message(move |_, data| handler(data));
        }
        fn clone_handle(&self) -> Box<dyn super::Browser> {
            Box::new(Browser(self.0.clone()))
        }
    }
}

/// How long a raw peer waits for any one read or write.
pub const RAW_IO_TIMEOUT: Duration = Duration::from_secs(10);

/// How long [`RawPeer::finish`] waits for the client to close its TCP side.
pub const EOF_TIMEOUT: Duration = Duration::from_secs(5);

/// A listener on `127.0.0.1:0` for a [`RawPeer`].
#[derive(Debug)]
pub struct RawListener {
    listener: TcpListener,
    addr: SocketAddr,
}

impl RawListener {
    /// Binds `127.0.0.1:0`.
    pub fn bind() -> RawListener {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let addr = listener.local_addr().expect("local addr");
        RawListener { listener, addr }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `ws://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// Accepts one TCP connection within [`RAW_IO_TIMEOUT`]; the stream is blocking,
    /// with read and write timeouts of [`RAW_IO_TIMEOUT`].
    pub fn accept_tcp(&self) -> io::Result<TcpStream> {
        let deadline = Instant::now() + RAW_IO_TIMEOUT;
        loop {
            match self.listener.accept() {
                Ok((tcp, _)) => {
                    tcp.set_nonblocking(false)?;
                    tcp.set_read_timeout(Some(RAW_IO_TIMEOUT))?;
                    tcp.set_write_timeout(Some(RAW_IO_TIMEOUT))?;
                    tcp.set_nodelay(true)?;
                    return Ok(tcp);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if Instant::now() > deadline {
                        return Err(io::Error::new(io::ErrorKind::TimedOut, "no client came"));
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Accepts one connection and reads its upgrade request; answers `101` (no
    /// subprotocol, no extension).
    pub fn accept(&self) -> io::Result<RawPeer> {
        let mut tcp = self.accept_tcp()?;
        let head = read_head(&mut tcp)?;
        let key = head
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("sec-websocket-key")
                    .then(|| value.trim().to_owned())
            })
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no key"))?;
        let accept = websock_core::handshake::accept_key(key.as_bytes());
        let response = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        tcp.write_all(response.as_bytes())?;
        Ok(RawPeer { tcp })
    }

    /// Accepts one connection, reads its upgrade request and answers with an HTTP
    /// `status` (and an empty body), then closes.
    pub fn reject(&self, status: u16) -> io::Result<()> {
        let mut tcp = self.accept_tcp()?;
        read_head(&mut tcp)?;
        let response =
            format!("HTTP/1.1 {status} Nope\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        tcp.write_all(response.as_bytes())?;
        let _ = tcp.shutdown(Shutdown::Write);
        drain(&mut tcp);
        Ok(())
    }
}

/// Reads an HTTP head, up to and including its blank line.
fn read_head(tcp: &mut TcpStream) -> io::Result<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if tcp.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// Reads until end of stream, an error, or [`RAW_IO_TIMEOUT`].
fn drain(tcp: &mut TcpStream) {
    let deadline = Instant::now() + RAW_IO_TIMEOUT;
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match tcp.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// Opcodes of RFC 6455.
pub mod opcode {
    /// Text frame.
    pub const TEXT: u8 = 0x1;
    /// Binary frame.
    pub const BINARY: u8 = 0x2;
    /// Close frame.
    pub const CLOSE: u8 = 0x8;
    /// Ping frame.
    pub const PING: u8 = 0x9;
    /// Pong frame.
    pub const PONG: u8 = 0xA;
}

/// A frame a [`RawPeer`] read (unmasked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// FIN bit.
    pub fin: bool,
    /// The opcode (see [`opcode`]).
    pub opcode: u8,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

impl Frame {
    /// A Close frame's code, if it is one and has a code.
    pub fn close_code(&self) -> Option<u16> {
        (self.opcode == opcode::CLOSE && self.payload.len() >= 2)
            .then(|| u16::from_be_bytes([self.payload[0], self.payload[1]]))
    }
}

/// The encoding of one unmasked (server) frame with FIN set.
pub fn encode_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0x80 | opcode];
    match payload.len() {
        n if n < 126 => out.push(n as u8),
        n if n <= 0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
    out
}

/// The server side of an upgraded connection, written by hand: frames out unmasked,
/// frames in unmasked here. Every read and write is bounded by [`RAW_IO_TIMEOUT`]
/// (or the timeouts set on [`RawPeer::tcp`]).
#[derive(Debug)]
pub struct RawPeer {
    /// The TCP stream (blocking, with timeouts).
    pub tcp: TcpStream,
}

impl RawPeer {
    /// Writes one frame with FIN set.
    pub fn send_frame(&mut self, opcode: u8, payload: &[u8]) -> io::Result<()> {
        self.tcp.write_all(&encode_frame(opcode, payload))
    }

    /// Writes a text frame.
    pub fn send_text(&mut self, text: &str) -> io::Result<()> {
        self.send_frame(opcode::TEXT, text.as_bytes())
    }

    /// Writes a Close frame with `code` and no reason.
    pub fn send_close(&mut self, code: u16) -> io::Result<()> {
        self.send_frame(opcode::CLOSE, &code.to_be_bytes())
    }

    /// Reads one frame.
    pub fn read_frame(&mut self) -> io::Result<Frame> {
        let mut head = [0u8; 2];
        self.tcp.read_exact(&mut head)?;
        let fin = head[0] & 0x80 != 0;
        let opcode = head[0] & 0x0F;
        let masked = head[1] & 0x80 != 0;
        let len = match head[1] & 0x7F {
            126 => {
                let mut b = [0u8; 2];
                self.tcp.read_exact(&mut b)?;
                u64::from(u16::from_be_bytes(b))
            }
            127 => {
                let mut b = [0u8; 8];
                self.tcp.read_exact(&mut b)?;
                u64::from_be_bytes(b)
            }
            n => u64::from(n),
        };
        let mut mask = [0u8; 4];
        if masked {
            self.tcp.read_exact(&mut mask)?;
        }
        let len = usize::try_from(len)
            .ok()
            .filter(|&n| n <= 16 << 20)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "frame too large"))?;
        let mut payload = vec![0u8; len];
        self.tcp.read_exact(&mut payload)?;
        if masked {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= mask[i % 4];
            }
        }
        Ok(Frame {
            fin,
            opcode,
            payload,
        })
    }

    /// Reads frames until a Close frame, returning the frames before it and the Close.
    pub fn read_until_close(&mut self) -> io::Result<(Vec<Frame>, Frame)> {
        let mut before = Vec::new();
        loop {
            let frame = self.read_frame()?;
            if frame.opcode == opcode::CLOSE {
                return Ok((before, frame));
            }
            before.push(frame);
        }
    }

    /// Ends the connection as a server should: shuts the write side down, then reads
    /// (discarding) until the client closes its side too, then drops the stream.
    ///
    /// # Errors
    ///
    /// `TimedOut` if the client did not close its side (end of stream or reset) within
    /// [`EOF_TIMEOUT`]; another read error.
    pub fn finish(mut self) -> io::Result<()> {
        let _ = self.tcp.shutdown(Shutdown::Write);
        self.tcp.set_read_timeout(Some(EOF_TIMEOUT))?;
        let deadline = Instant::now() + EOF_TIMEOUT;
        let mut buf = [0u8; 4096];
        loop {
            match self.tcp.read(&mut buf) {
                Ok(0) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Ok(()),
                Ok(_) if Instant::now() < deadline => {}
                Ok(_) => return Err(io::Error::new(io::ErrorKind::TimedOut, "no EOF")),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "the client did not close its TCP side within {EOF_TIMEOUT:?} \
                             of the server's"
                        ),
                    ))
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A client written by hand: sends an upgrade request, reads the 101, then is left to
/// the caller (to stay silent, or never read).
pub fn raw_client(addr: SocketAddr) -> std::net::TcpStream {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(
        b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    s
}

/// A local address on which nothing listens (connecting is refused), and that no other
/// test can take while this process runs: the local end of a live connection, kept for
/// the rest of the process. (A port freed by dropping a listener can be handed to
/// another test's server before the connection under test is tried.)
pub fn refused_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let client =
        std::net::TcpStream::connect(listener.local_addr().expect("local addr")).expect("connect");
    let (server_end, _) = listener.accept().expect("accept");
    let addr = client.local_addr().expect("local addr");
    Box::leak(Box::new((client, server_end)));
    addr
}
