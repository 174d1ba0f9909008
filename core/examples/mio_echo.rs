//! The reference custom driver: a single-threaded echo server for many connections, built
//! on `websock-core` and `mio` alone. `cargo run --release -p websock-core --example
//! mio_echo -- 127.0.0.1:9001` prints `listening on ADDR` once bound (port 0 picks one).
//!
//! The engine ([`Connection`]) makes every protocol decision; the driver moves bytes and time:
//!
//! 1. **A connection is driven by one loop until nothing progresses** ([`Conn::drive`]):
//!    write while `wants_write()`; hand out `poll_event()`s (accept the handshake, echo
//!    messages); shut the write side down once `should_shutdown()`; drop it once
//!    `is_finished()`; read while `wants_read()` (`read_from` and `write_to` report end
//!    of stream and transport errors to the engine themselves).
//! 2. **Readiness** is edge-triggered: reads and writes go on until `WouldBlock`. Interest
//!    is READABLE, plus WRITABLE while bytes wait to be written.
//! 3. **Backpressure**: `try_send` hands back a message refused with `SendError::Full`. It
//!    is parked, and nothing more is read until it is queued after the socket took more.
//! 4. **Time** is a [`Duration`] since one `Instant` shared by all connections. The poll
//!    sleeps until the earliest `poll_timeout()`; once it passes, `handle_timeout(now)`.
//!
//! With `--tls CERT.pem KEY.pem` it serves `wss://` (rustls; see `mio_echo/tls.rs`), with
//! the same limits and timers.
//!
//! With `--streaming` messages are never held whole: the engine streams them
//! (`set_stream_messages(true)`, then `poll_stream_event`), and each chunk is echoed as it
//! arrives as a fragment (`send_fragment(kind, chunk, false)`; text chunks end on code
//! points, so each fragment is valid), the message ended by an empty final fragment. A
//! fragment refused with `SendError::Full` is parked like a message, and no more stream
//! events are taken until it is queued: memory per connection stays bounded.
use std::collections::HashMap;
use std::io::{self, ErrorKind, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Registry, Token};
use websock_core::{
    Bytes, Config, Connection, Event, Message, MessageKind, SendError, StreamEvent,
};

#[path = "mio_echo/tls.rs"]
mod tls;
use tls::Stream;

const LISTENER: Token = Token(0);

/// What waits for room in the send queue: a whole message, or (`--streaming`) a
/// fragment of the message being echoed and whether it is the final one.
enum Parked {
    Message(Message),
    Fragment(Bytes, bool),
}

/// One client: its socket, its engine, and what to echo next if it is parked.
struct Conn {
    stream: Stream,
    ws: Connection,
    parked: Option<Parked>,
    /// The kind of the message being echoed in fragments (`--streaming`).
    kind: MessageKind,
    shut_down: bool,
    interest: Interest,
}

impl Conn {
    /// The driver loop, then the readiness it waits for. False once the connection is over.
    fn drive(&mut self, now: Duration, registry: &Registry, token: Token) -> io::Result<bool> {
        let mut progress = true;
        while progress {
            progress = false;
            if self.stream.wants_write() {
                progress |= self.stream.flush().is_ok(); // TLS bytes left from before
            }
            if self.ws.wants_write() {
                match self.ws.write_to(&mut self.stream) {
                    Ok(n) => progress |= n > 0,
                    Err(e) => progress |= e.kind() != ErrorKind::WouldBlock, // transport failed
                }
            }
            loop {
                match self.parked.take() {
                    Some(Parked::Message(message)) => match self.ws.try_send(message, true) {
                        Err(refused) if refused.error == SendError::Full => {
                            self.parked = Some(Parked::Message(refused.message));
                            break; // retried once the socket took more bytes
                        }
                        _ => progress = true, // queued, or dropped while closing
                    },
                    Some(Parked::Fragment(chunk, fin)) => {
                        match self.ws.send_fragment(self.kind, chunk.clone(), fin) {
                            Err(SendError::Full) => {
                                self.parked = Some(Parked::Fragment(chunk, fin));
                                break; // the same: no more events until it is queued
                            }
                            _ => progress = true,
                        }
                    }
                    None => {}
                }
                // Streaming or not, the engine says which (see `main`).
                match self.ws.poll_stream_event() {
                    Some(StreamEvent::Event(Event::Request(_))) => _ = self.ws.accept(None, &[]),
                    Some(StreamEvent::Event(Event::Message(m))) => {
                        self.parked = Some(Parked::Message(m));
                    }
                    Some(StreamEvent::MessageStart(kind)) => self.kind = kind,
                    Some(StreamEvent::MessageChunk(chunk)) => {
                        self.parked = Some(Parked::Fragment(chunk, false));
                    }
                    Some(StreamEvent::MessageEnd) => {
                        self.parked = Some(Parked::Fragment(Bytes::new(), true));
                    }
                    Some(_) => {} // Open, Ping, Pong, Error, Close: nothing to do for an echo
                    None => break,
                }
                progress = true;
            }
            if self.ws.should_shutdown() && !self.shut_down {
                self.shut_down = self.stream.shutdown(); // false: TLS bytes still wait
            }
            if self.ws.is_finished() {
                return Ok(false);
            }
            if self.parked.is_none() && self.ws.wants_read() {
                match self.ws.read_from(now, &mut self.stream) {
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    _ => progress = true, // bytes, end of stream, or a failed transport
                }
            }
        }
        let mut interest = Interest::READABLE;
        if self.ws.wants_write() || self.stream.wants_write() {
            interest = interest.add(Interest::WRITABLE);
        }
        if interest != self.interest {
            self.interest = interest;
            registry.reregister(self.stream.tcp(), token, interest)?;
        }
        Ok(true)
    }
}

/// The defaults, with the compression level from `WEBSOCK_DEFLATE_LEVEL` (0..=9) if set
/// (the Autobahn run uses 1: a quarter of level 6's CPU, the same protocol behaviour).
fn config() -> Config {
    let mut config = Config::default();
    if let Some(level) = std::env::var("WEBSOCK_DEFLATE_LEVEL")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.deflate.level = level;
    }
    config
}

/// The command line: `ADDR [--tls CERT.pem KEY.pem] [--streaming]`.
type Args = (String, Option<Arc<rustls::ServerConfig>>, bool);

fn parse_args() -> io::Result<Args> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or("127.0.0.1:9001".into());
    let (mut tls, mut streaming) = (None, false);
    let usage =
        || io::Error::other("usage: mio_echo [ADDR [--tls CERT.pem KEY.pem] [--streaming]]");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tls" => {
                let (Some(cert), Some(key)) = (args.next(), args.next()) else {
                    return Err(usage());
                };
                tls = Some(tls::config(&cert, &key)?);
            }
            "--streaming" => streaming = true,
            _ => return Err(usage()),
        }
    }
    Ok((addr, tls, streaming))
}

fn main() -> io::Result<()> {
    let (addr, tls, streaming) = parse_args()?;
    let mut listener = TcpListener::bind(addr.parse().expect("ADDR must be IP:PORT"))?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;
    let mut poll = Poll::new()?;
    let registry = poll.registry().try_clone()?;
    registry.register(&mut listener, LISTENER, Interest::READABLE)?;
    let mut events = Events::with_capacity(1024);
    // Boxed: the map's table (sized for more entries than it holds) holds a pointer
    // per slot, not a whole connection.
    let mut conns: HashMap<Token, Box<Conn>> = HashMap::new();
    let (epoch, mut next_token, mut ready) = (Instant::now(), 1, Vec::new());
    loop {
        // Sleep until a socket is ready or the earliest deadline passes.
        let deadline = conns.values().filter_map(|c| c.ws.poll_timeout()).min();
        let timeout = deadline.map(|d| d.saturating_sub(epoch.elapsed()));
        match poll.poll(&mut events, timeout) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            result => result?,
        }
        let now = epoch.elapsed();
        ready.extend(events.iter().map(|event| event.token())); // LISTENER has no Conn
        if events.iter().any(|event| event.token() == LISTENER) {
            while let Ok((mut tcp, _)) = listener.accept() {
                let _ = tcp.set_nodelay(true);
                let token = Token(next_token);
                next_token += 1;
                registry.register(&mut tcp, token, Interest::READABLE)?;
                let stream = Stream::new(tcp, tls.as_ref())?;
                let mut ws = Connection::server(config(), now);
                // Streamed: chunks as they arrive; else `poll_stream_event` gives whole
                // messages only (`StreamEvent::Event`), as `poll_event` would.
                ws.set_stream_messages(streaming);
                let (parked, shut_down, interest) = (None, false, Interest::READABLE);
                let conn = Conn {
                    stream,
                    ws,
                    parked,
                    kind: MessageKind::Binary,
                    shut_down,
                    interest,
                };
                conns.insert(token, Box::new(conn));
                ready.push(token);
            }
        }
        // Connections whose deadline passed: the engine fires its timers.
        for (token, conn) in conns.iter_mut() {
            if conn.ws.poll_timeout().is_some_and(|d| d <= now) {
                conn.ws.handle_timeout(now);
                ready.push(*token);
            }
        }
        for token in ready.drain(..) {
            if let Some(conn) = conns.get_mut(&token) {
                if !conn.drive(now, &registry, token)? {
                    registry.deregister(conn.stream.tcp())?;
                    conns.remove(&token);
                }
            }
        }
    }
}
