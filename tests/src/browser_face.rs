//! The browser-shaped `WebSocket` of each runtime behind one blocking trait ([`Face`]),
//! with everything a conformance case reads or calls, a recorder of the events as a
//! page would log them ([`Log`]), and a hand-scripted server ([`ScriptedServer`]) for
//! what a well-behaved server never does (dropping TCP after open, a bad frame, a Close
//! in the same segment as the `101`, an extensions header spelled its own way).
//!
//! The log's lines are the format the Chromium interop test's page prints, so one list
//! of expected lines states the browser's result for websock and for Chromium alike:
//!
//! * `open rs=1 protocol="" extensions="permessage-deflate"`
//! * `message "text" rs=1`, `message blob[3] rs=1`, `message arraybuffer[3] rs=1`
//! * `error rs=3`
//! * `close 1006 "" clean=false rs=3`
//!
//! (`rs` is `readyState` as the handler sees it; strings are JSON, as
//! `JSON.stringify` writes them.)

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use websock_core::dom::{BinaryType, BrowserEvent, Compat, MessageData, ReadyState};
use websock_core::{ApiError, ClientSettings, CloseEvent};

use crate::facade::{opcode, Options, RawPeer, RAW_IO_TIMEOUT};
use crate::Runtime;

/// An `onopen` or `onerror` handler for a [`Face`] (given the socket).
pub type Handler = Box<dyn FnMut(&dyn Face) + Send>;

/// An `onmessage` handler for a [`Face`].
pub type MessageHandler = Box<dyn FnMut(&dyn Face, MessageData) + Send>;

/// An `onclose` handler for a [`Face`].
pub type CloseHandler = Box<dyn FnMut(&dyn Face, CloseEvent) + Send>;

/// One runtime's browser `WebSocket`, blocking where the runtime is async.
pub trait Face: Send + Sync {
    /// `url`.
    fn url(&self) -> String;
    /// `readyState`.
    fn ready_state(&self) -> ReadyState;
    /// `bufferedAmount`.
    fn buffered_amount(&self) -> usize;
    /// `protocol`.
    fn protocol(&self) -> String;
    /// `extensions`.
    fn extensions(&self) -> String;
    /// `binaryType`.
    fn binary_type(&self) -> BinaryType;
    /// `binaryType = value`.
    fn set_binary_type(&self, binary_type: BinaryType);
    /// The [`Compat`] the socket was created with.
    fn compat(&self) -> Compat;
    /// `send(data)`.
    fn send(&self, data: MessageData) -> Result<(), ApiError>;
    /// `send(string)` with the string as UTF-16.
    fn send_utf16(&self, units: &[u16]) -> Result<(), ApiError>;
    /// `close(code, reason)`.
    fn close(&self, code: Option<u16>, reason: Option<&str>) -> Result<(), ApiError>;
    /// `close(code, reason)` with the reason as UTF-16.
    fn close_utf16(&self, code: Option<u16>, reason: Option<&[u16]>) -> Result<(), ApiError>;
    /// The next event no handler took, waiting at most `timeout`.
    fn next_event(&self, timeout: Duration) -> Option<BrowserEvent>;
    /// `onopen`.
    fn on_open(&self, handler: Handler);
    /// `onmessage`.
    fn on_message(&self, handler: MessageHandler);
    /// `onerror`.
    fn on_error(&self, handler: Handler);
    /// `onclose`.
    fn on_close(&self, handler: CloseHandler);
}

/// `rt`'s `WebSocket::with_compat(url, options, compat)`.
pub fn open(
    rt: Runtime,
    url: &str,
    options: &Options,
    compat: Compat,
) -> Result<Box<dyn Face>, ApiError> {
    Ok(match rt {
        Runtime::Tokio => {
            // Created inside the runtime: it spawns its driver and dispatcher tasks.
            let _entered = tokio_handle().enter();
            Box::new(websock_tokio::WebSocket::with_compat(
                url,
                convert(options),
                compat,
            )?)
        }
        Runtime::Smol => Box::new(websock_smol::WebSocket::with_compat(
            url,
            convert(options),
            compat,
        )?),
        Runtime::Std => Box::new(websock_std::WebSocket::with_compat(
            url,
            convert(options),
            compat,
        )?),
    })
}

/// `rt`'s `WebSocket::new(url, protocols)` (the default, [`Compat::Mdn`]).
pub fn new(rt: Runtime, url: &str, protocols: &[&str]) -> Result<Box<dyn Face>, ApiError> {
    open(
        rt,
        url,
        &Options::new().protocols(protocols.iter().copied()),
        Compat::Mdn,
    )
}

/// The options as one runtime's `ClientOptions`, built with the builders (so a field
/// added to the settings keeps its default here).
fn convert<Tls: Default>(o: &Options) -> ClientSettings<Tls> {
    let mut s = ClientSettings::<Tls>::new()
        .protocols(o.protocols.iter().cloned())
        .limits(o.limits)
        .timeouts(o.timeouts)
        .deflate(o.deflate);
    for (name, value) in &o.headers {
        s = s.header(name.clone(), value.clone());
    }
    if let Some(check) = o.check_bad_ports {
        s = s.check_bad_ports(check);
    }
    s
}

/// The background tokio runtime of these tests' tokio sockets.
fn tokio_handle() -> &'static tokio::runtime::Handle {
    static HANDLE: OnceLock<tokio::runtime::Handle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let handle = rt.handle().clone();
        thread::Builder::new()
            .name("browser-face-tokio".into())
            .spawn(move || rt.block_on(std::future::pending::<()>()))
            .expect("spawn the tokio runtime thread");
        handle
    })
}

/// The async runtimes' face (websock-core's `handle::WebSocket`, which websock-tokio
/// and websock-smol name `WebSocket`).
impl<R: websock_core::handle::Runtime> Face for websock_core::handle::WebSocket<R> {
    fn url(&self) -> String {
        websock_core::handle::WebSocket::url(self).to_owned()
    }
    fn ready_state(&self) -> ReadyState {
        websock_core::handle::WebSocket::ready_state(self)
    }
    fn buffered_amount(&self) -> usize {
        websock_core::handle::WebSocket::buffered_amount(self)
    }
    fn protocol(&self) -> String {
        websock_core::handle::WebSocket::protocol(self)
    }
    fn extensions(&self) -> String {
        websock_core::handle::WebSocket::extensions(self)
    }
    fn binary_type(&self) -> BinaryType {
        websock_core::handle::WebSocket::binary_type(self)
    }
    fn set_binary_type(&self, binary_type: BinaryType) {
        websock_core::handle::WebSocket::set_binary_type(self, binary_type)
    }
    fn compat(&self) -> Compat {
        websock_core::handle::WebSocket::compat(self)
    }
    fn send(&self, data: MessageData) -> Result<(), ApiError> {
        websock_core::handle::WebSocket::send(self, data)
    }
    fn send_utf16(&self, units: &[u16]) -> Result<(), ApiError> {
        websock_core::handle::WebSocket::send_utf16(self, units)
    }
    fn close(&self, code: Option<u16>, reason: Option<&str>) -> Result<(), ApiError> {
        websock_core::handle::WebSocket::close(self, code, reason)
    }
    fn close_utf16(&self, code: Option<u16>, reason: Option<&[u16]>) -> Result<(), ApiError> {
        websock_core::handle::WebSocket::close_utf16(self, code, reason)
    }
    fn next_event(&self, timeout: Duration) -> Option<BrowserEvent> {
        // The event future needs no runtime (a lock and a waker); the timer is
        // async-io's own.
        futures_lite::future::block_on(futures_lite::future::or(
            websock_core::handle::WebSocket::next_event(self),
            async {
                async_io::Timer::after(timeout).await;
                None
            },
        ))
    }
    fn on_open(&self, mut handler: Handler) {
        websock_core::handle::WebSocket::on_open(self, move |ws| handler(ws));
    }
    fn on_message(&self, mut handler: MessageHandler) {
        websock_core::handle::WebSocket::on_message(self, move |ws, data| handler(ws, data));
    }
    fn on_error(&self, mut handler: Handler) {
        websock_core::handle::WebSocket::on_error(self, move |ws| handler(ws));
    }
    fn on_close(&self, mut handler: CloseHandler) {
        websock_core::handle::WebSocket::on_close(self, move |ws, c| handler(ws, c));
    }
}

/// websock-std's face.
impl Face for websock_std::WebSocket {
    fn url(&self) -> String {
        websock_std::WebSocket::url(self).to_owned()
    }
    fn ready_state(&self) -> ReadyState {
        websock_std::WebSocket::ready_state(self)
    }
    fn buffered_amount(&self) -> usize {
        websock_std::WebSocket::buffered_amount(self)
    }
    fn protocol(&self) -> String {
        websock_std::WebSocket::protocol(self)
    }
    fn extensions(&self) -> String {
        websock_std::WebSocket::extensions(self)
    }
    fn binary_type(&self) -> BinaryType {
        websock_std::WebSocket::binary_type(self)
    }
    fn set_binary_type(&self, binary_type: BinaryType) {
        websock_std::WebSocket::set_binary_type(self, binary_type)
    }
    fn compat(&self) -> Compat {
        websock_std::WebSocket::compat(self)
    }
    fn send(&self, data: MessageData) -> Result<(), ApiError> {
        websock_std::WebSocket::send(self, data)
    }
    fn send_utf16(&self, units: &[u16]) -> Result<(), ApiError> {
        websock_std::WebSocket::send_utf16(self, units)
    }
    fn close(&self, code: Option<u16>, reason: Option<&str>) -> Result<(), ApiError> {
        websock_std::WebSocket::close(self, code, reason)
    }
    fn close_utf16(&self, code: Option<u16>, reason: Option<&[u16]>) -> Result<(), ApiError> {
        websock_std::WebSocket::close_utf16(self, code, reason)
    }
    fn next_event(&self, timeout: Duration) -> Option<BrowserEvent> {
        websock_std::WebSocket::next_event_timeout(self, timeout)
    }
    fn on_open(&self, mut handler: Handler) {
        websock_std::WebSocket::on_open(self, move |ws| handler(ws));
    }
    fn on_message(&self, mut handler: MessageHandler) {
        websock_std::WebSocket::on_message(self, move |ws, data| handler(ws, data));
    }
    fn on_error(&self, mut handler: Handler) {
        websock_std::WebSocket::on_error(self, move |ws| handler(ws));
    }
    fn on_close(&self, mut handler: CloseHandler) {
        websock_std::WebSocket::on_close(self, move |ws, c| handler(ws, c));
    }
}

/// A string as JSON (what `JSON.stringify` writes for it).
pub fn json(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// The log line for a message event seen with readyState `rs`.
pub fn message_line(data: &MessageData, rs: u16) -> String {
    match data {
        MessageData::Text(t) => format!("message {} rs={rs}", json(t)),
        MessageData::Blob(b) => format!("message blob[{}] rs={rs}", b.len()),
        MessageData::ArrayBuffer(b) => format!("message arraybuffer[{}] rs={rs}", b.len()),
    }
}

/// The log line for an open event.
pub fn open_line(rs: u16, protocol: &str, extensions: &str) -> String {
    format!(
        "open rs={rs} protocol={} extensions={}",
        json(protocol),
        json(extensions)
    )
}

/// The log line for a close event.
pub fn close_line(code: u16, reason: &str, clean: bool, rs: u16) -> String {
    format!("close {code} {} clean={clean} rs={rs}", json(reason))
}

/// The log line for an error event.
pub fn error_line(rs: u16) -> String {
    format!("error rs={rs}")
}

/// What a page logs from its four handlers, in order, ending with the close event.
///
/// An event that fired before the handlers were set (a refused connection can fail
/// within microseconds) waits in the socket's queue instead: [`Log::wait_close`] takes
/// those too, logging them the same way (`readyState` read once the event is taken,
/// which is when it is dispatched).
pub struct Log {
    lines: Mutex<Vec<String>>,
    changed: Condvar,
    on_open: Mutex<OpenAction>,
    on_message: Mutex<MessageAction>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log").field("lines", &self.lines()).finish()
    }
}

/// What a logging page's `onopen` also does (after logging).
pub type OpenAction = Box<dyn FnMut(&dyn Face, &Log) + Send>;

/// What a logging page's `onmessage` also does (after logging).
pub type MessageAction = Box<dyn FnMut(&dyn Face, &MessageData, &Log) + Send>;

impl Log {
    /// Sets all four handlers of `face` to log their event (with `readyState` as the
    /// handler sees it; `protocol` and `extensions` at open), then run `on_open` /
    /// `on_message`.
    pub fn attach(face: &dyn Face, on_open: OpenAction, on_message: MessageAction) -> Arc<Log> {
        let log = Arc::new(Log {
            lines: Mutex::default(),
            changed: Condvar::new(),
            on_open: Mutex::new(on_open),
            on_message: Mutex::new(on_message),
        });
        let l = log.clone();
        face.on_open(Box::new(move |ws| l.opened(ws)));
        let l = log.clone();
        face.on_message(Box::new(move |ws, data| l.message(ws, &data)));
        let l = log.clone();
        face.on_error(Box::new(move |ws| l.errored(ws)));
        let l = log.clone();
        face.on_close(Box::new(move |ws, c| l.closed(ws, &c)));
        log
    }

    /// Like [`attach`](Self::attach), doing nothing besides logging.
    pub fn attach_quiet(face: &dyn Face) -> Arc<Log> {
        Log::attach(face, Box::new(|_, _| {}), Box::new(|_, _, _| {}))
    }

    fn opened(&self, ws: &dyn Face) {
        self.note(open_line(
            ws.ready_state().as_u16(),
            &ws.protocol(),
            &ws.extensions(),
        ));
        (self.on_open.lock().unwrap_or_else(|e| e.into_inner()))(ws, self);
    }

    fn message(&self, ws: &dyn Face, data: &MessageData) {
        self.note(message_line(data, ws.ready_state().as_u16()));
        (self.on_message.lock().unwrap_or_else(|e| e.into_inner()))(ws, data, self);
    }

    fn errored(&self, ws: &dyn Face) {
        self.note(error_line(ws.ready_state().as_u16()));
    }

    fn closed(&self, ws: &dyn Face, c: &CloseEvent) {
        self.note(close_line(
            c.code,
            &c.reason,
            c.was_clean,
            ws.ready_state().as_u16(),
        ));
    }

    /// Adds a line of the test's own (for example the `readyState` an action saw).
    pub fn note(&self, line: String) {
        self.lines
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
        self.changed.notify_all();
    }

    /// The lines so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits (at most `timeout`) for the close event's line, logging the events of
    /// `face` that no handler took meanwhile, then returns every line; panics with what
    /// was logged if the close event did not come.
    pub fn wait_close(&self, face: &dyn Face, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let lines = self.lines();
            if lines.iter().any(|l| l.starts_with("close ")) {
                return lines;
            }
            assert!(
                Instant::now() < deadline,
                "no close event within {timeout:?}: {lines:?}"
            );
            let started = Instant::now();
            match face.next_event(Duration::from_millis(20)) {
                Some(BrowserEvent::Open) => self.opened(face),
                Some(BrowserEvent::Message(data)) => self.message(face, &data),
                Some(BrowserEvent::Error) => self.errored(face),
                Some(BrowserEvent::Close(c)) => self.closed(face, &c),
                // The queue is over (handlers take everything): wait for them.
                None if started.elapsed() < Duration::from_millis(5) => {
                    let lines = self.lines.lock().unwrap_or_else(|e| e.into_inner());
                    drop(
                        self.changed
                            .wait_timeout(lines, Duration::from_millis(20))
                            .unwrap_or_else(|e| e.into_inner()),
                    );
                }
                None => {}
            }
        }
    }
}

/// Opens `rt`'s socket to `url` with `compat`, logs its events (running `on_open` and
/// `on_message`) until the close event, and returns the lines; panics if the
/// constructor throws or no close event comes within `timeout`.
pub fn run_logged(
    rt: Runtime,
    url: &str,
    compat: Compat,
    on_open: OpenAction,
    on_message: MessageAction,
    timeout: Duration,
) -> Vec<String> {
    let ws = open(rt, url, &Options::new(), compat)
        .unwrap_or_else(|e| panic!("{rt}: new WebSocket({url:?}) threw {e}"));
    let log = Log::attach(&*ws, on_open, on_message);
    log.wait_close(&*ws, timeout)
}

/// What a [`ScriptedServer`] does on each connection after reading the request.
#[derive(Debug, Clone, Default)]
pub struct ServerScript {
    /// A `Sec-WebSocket-Extensions` header value to answer with, as written.
    pub extensions: Option<String>,
    /// Bytes written in the same write as the `101` response (frames in the same
    /// segment).
    pub with_101: Vec<u8>,
    /// After the response: wait this long, then drop TCP without a Close frame.
    pub drop_after: Option<Duration>,
    /// On the first data message, instead of echoing it: send a Close frame with this
    /// code and reason (a server-initiated close), then wait for the client's.
    pub close_on_message: Option<(u16, String)>,
}

/// What a [`ScriptedServer`] saw on one connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    /// The request head.
    pub request: String,
    /// The client's Close frame: its code (if any) and reason, raw.
    pub close: Option<(Option<u16>, Vec<u8>)>,
    /// The data messages received (text or binary payloads, unmasked).
    pub messages: Vec<Vec<u8>>,
}

/// A hand-written WebSocket server on 127.0.0.1 running a [`ServerScript`] on every
/// connection (each on its own thread): `101` (with the script's extensions and bytes),
/// then either a drop, or echo every data frame, answer the client's Close with the same
/// code, and end TCP once the client does. Stops accepting when dropped.
#[derive(Debug)]
pub struct ScriptedServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    seen: Arc<(Mutex<Vec<Seen>>, Condvar)>,
}

impl ScriptedServer {
    /// Starts the server with `script`.
    pub fn start(script: ServerScript) -> ScriptedServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("local addr");
        let stop = Arc::new(AtomicBool::new(false));
        let seen: Arc<(Mutex<Vec<Seen>>, Condvar)> = Arc::default();
        let (s, record) = (stop.clone(), seen.clone());
        thread::Builder::new()
            .name("scripted-server".into())
            .spawn(move || {
                while !s.load(Ordering::Acquire) {
                    match listener.accept() {
                        Ok((tcp, _)) => {
                            let (script, record) = (script.clone(), record.clone());
                            thread::spawn(move || {
                                let seen = serve(tcp, &script).unwrap_or_default();
                                record
                                    .0
                                    .lock()
                                    .unwrap_or_else(|e| e.into_inner())
                                    .push(seen);
                                record.1.notify_all();
                            });
                        }
                        Err(_) => thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
            .expect("spawn the scripted server");
        ScriptedServer { addr, stop, seen }
    }

    /// `ws://127.0.0.1:PORT/`.
    pub fn url(&self) -> String {
        format!("ws://{}/", self.addr)
    }

    /// Waits (at most `timeout`) until `n` connections ended, and returns what was seen
    /// on each.
    pub fn wait_seen(&self, n: usize, timeout: Duration) -> Vec<Seen> {
        let deadline = Instant::now() + timeout;
        let mut seen = self.seen.0.lock().unwrap_or_else(|e| e.into_inner());
        while seen.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{} of {n} connections ended within {timeout:?}: {seen:?}",
                seen.len()
            );
            seen = self
                .seen
                .1
                .wait_timeout(seen, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        seen.clone()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

/// One connection of a [`ScriptedServer`].
fn serve(mut tcp: TcpStream, script: &ServerScript) -> io::Result<Seen> {
    tcp.set_nonblocking(false)?;
    tcp.set_read_timeout(Some(RAW_IO_TIMEOUT))?;
    tcp.set_write_timeout(Some(RAW_IO_TIMEOUT))?;
    tcp.set_nodelay(true)?;
    let mut seen = Seen {
        request: read_head(&mut tcp)?,
        ..Seen::default()
    };
    let key = seen
        .request
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("sec-websocket-key")
                .then(|| value.trim().to_owned())
        })
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no key"))?;
    let accept = websock_core::handshake::accept_key(key.as_bytes());
    let extensions = script
        .extensions
        .as_ref()
        .map(|e| format!("Sec-WebSocket-Extensions: {e}\r\n"))
        .unwrap_or_default();
    let mut out = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n{extensions}\r\n"
    )
    .into_bytes();
    out.extend_from_slice(&script.with_101);
    tcp.write_all(&out)?;
    if let Some(wait) = script.drop_after {
        thread::sleep(wait);
        return Ok(seen);
    }
    // Whether we sent a Close (with the 101, or on a message).
    let mut closed = has_close_frame(&script.with_101);
    let mut peer = RawPeer { tcp };
    loop {
        let Ok(frame) = peer.read_frame() else {
            return Ok(seen);
        };
        match frame.opcode {
            opcode::CLOSE => {
                let code = frame.close_code();
                let reason = frame.payload.get(2..).unwrap_or_default().to_vec();
                seen.close = Some((code, reason));
                if !closed {
                    let body = code.map(|c| c.to_be_bytes().to_vec()).unwrap_or_default();
                    let _ = peer.send_frame(opcode::CLOSE, &body);
                }
                let _ = peer.finish();
                return Ok(seen);
            }
            opcode::TEXT | opcode::BINARY if !closed => {
                seen.messages.push(frame.payload.clone());
                match &script.close_on_message {
                    Some((code, reason)) => {
                        let body = [&code.to_be_bytes()[..], reason.as_bytes()].concat();
                        peer.send_frame(opcode::CLOSE, &body)?;
                        closed = true;
                    }
                    None => peer.send_frame(frame.opcode, &frame.payload)?,
                }
            }
            _ => {}
        }
    }
}

/// Whether `bytes` (whole server frames) hold a Close frame.
fn has_close_frame(mut bytes: &[u8]) -> bool {
    while bytes.len() >= 2 {
        if bytes[0] & 0x0F == opcode::CLOSE {
            return true;
        }
        let (len, header): (usize, usize) = match bytes[1] & 0x7F {
            126 if bytes.len() >= 4 => (usize::from(u16::from_be_bytes([bytes[2], bytes[3]])), 4),
            127 if bytes.len() >= 10 => {
                let mut n = [0u8; 8];
                n.copy_from_slice(&bytes[2..10]);
                (
                    usize::try_from(u64::from_be_bytes(n)).unwrap_or(usize::MAX),
                    10,
                )
            }
            n => (usize::from(n), 2),
        };
        let mask: usize = if bytes[1] & 0x80 != 0 { 4 } else { 0 };
        bytes = bytes
            .get(header.saturating_add(mask).saturating_add(len)..)
            .unwrap_or_default();
    }
    false
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
