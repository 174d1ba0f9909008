//! An in-memory client/server pair with simulated time, and frame decoding helpers.
#![allow(dead_code)]

use std::time::Duration;

use websock_core::frame::{FrameHeader, OpCode, Status};
use websock_core::handshake::ClientRequest;
use websock_core::mask::apply_mask;
use websock_core::rng::DeterministicRng;
use websock_core::{Config, Connection, Event, Message, Role};

pub fn config(seed: u64) -> Config {
    Config {
        rng: Some(Box::new(DeterministicRng::new(seed))),
        ..Config::default()
    }
}

/// [`config`] without permessage-deflate (whether or not it is compiled in).
pub fn plain(seed: u64) -> Config {
    #[allow(unused_mut)]
    let mut config = config(seed);
    #[cfg(feature = "deflate")]
    {
        config.deflate = websock_core::deflate::DeflateConfig::disabled();
    }
    config
}

/// The data messages among `events`, in order.
pub fn messages(events: &[Event]) -> Vec<Message> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// Take everything `conn` wants to write.
pub fn drain(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let mut slices: [&[u8]; 16] = [&[]; 16];
        let n = conn.poll_transmit(&mut slices);
        let before = out.len();
        for s in &slices[..n] {
            out.extend_from_slice(s);
        }
        let wrote = out.len() - before;
        if wrote == 0 {
            return out;
        }
        conn.advance_transmit(wrote);
    }
}

pub fn events(conn: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| conn.poll_event()).collect()
}

/// A decoded frame: opcode, fin, unmasked payload, and whether it was masked.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub opcode: OpCode,
    pub fin: bool,
    pub payload: Vec<u8>,
    pub masked: bool,
}

/// Decode a stream of complete frames.
pub fn decode_frames(mut buf: &[u8]) -> Vec<Frame> {
    let mut frames = Vec::new();
    while !buf.is_empty() {
        let Ok(Status::Complete((h, n))) = FrameHeader::parse(buf) else {
            panic!("undecodable output {buf:?}");
        };
        let len = h.payload_len as usize;
        let mut payload = buf[n..n + len].to_vec();
        if let Some(k) = h.mask {
            apply_mask(&mut payload, k, 0);
        }
        frames.push(Frame {
            opcode: h.opcode,
            fin: h.fin,
            payload,
            masked: h.mask.is_some(),
        });
        buf = &buf[n + len..];
    }
    frames
}

/// The close code in the last Close frame of `frames`.
pub fn close_code(frames: &[Frame]) -> Option<u16> {
    frames
        .iter()
        .rev()
        .find(|f| f.opcode == OpCode::Close)
        .map(|f| u16::from_be_bytes([f.payload[0], f.payload[1]]))
}

/// Encode one frame as a peer would.
pub fn frame(opcode: u8, fin: bool, mask: Option<[u8; 4]>, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | opcode];
    let m = if mask.is_some() { 0x80 } else { 0 };
    let len = payload.len();
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xFFFF {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    let mut p = payload.to_vec();
    if let Some(k) = mask {
        out.extend_from_slice(&k);
        apply_mask(&mut p, k, 0);
    }
    out.extend_from_slice(&p);
    out
}

/// A frame as a client sends it (masked).
pub fn client_frame(opcode: u8, fin: bool, payload: &[u8]) -> Vec<u8> {
    frame(opcode, fin, Some([0xA1, 0xB2, 0xC3, 0xD4]), payload)
}

/// An open server connection (HTTP done elsewhere), its Open event consumed.
pub fn open_server() -> Connection {
    let mut s = Connection::upgraded(Role::Server, None, config(7), Duration::ZERO);
    assert!(matches!(s.poll_event(), Some(Event::Open(_))));
    s
}

/// An open client connection (HTTP done elsewhere), its Open event consumed.
pub fn open_client() -> Connection {
    let mut c = Connection::upgraded(Role::Client, None, config(8), Duration::ZERO);
    assert!(matches!(c.poll_event(), Some(Event::Open(_))));
    c
}

/// A client and a server wired together in memory, with simulated time.
pub struct Pair {
    pub client: Connection,
    pub server: Connection,
    pub now: Duration,
    pub client_events: Vec<Event>,
    pub server_events: Vec<Event>,
    /// Deliver bytes in chunks of this size (1 = byte at a time).
    pub chunk: usize,
    /// Accept every upgrade request with this protocol choice.
    pub accept_protocol: Option<String>,
    /// Bytes each side has written, for inspection.
    pub client_wire: Vec<u8>,
    pub server_wire: Vec<u8>,
}

impl Pair {
    pub fn new(
        request: ClientRequest,
        client_config: Config,
        server_config: Config,
        chunk: usize,
    ) -> Pair {
        let client = Connection::client(request, client_config, Duration::ZERO).unwrap();
        let server = Connection::server(server_config, Duration::ZERO);
        Pair {
            client,
            server,
            now: Duration::ZERO,
            client_events: Vec::new(),
            server_events: Vec::new(),
            chunk,
            accept_protocol: None,
            client_wire: Vec::new(),
            server_wire: Vec::new(),
        }
    }

    pub fn with_defaults(chunk: usize) -> Pair {
        Pair::new(
            ClientRequest::new("example.com", "/chat"),
            config(1),
            config(2),
            chunk,
        )
    }

    /// Move bytes both ways until neither side has anything to write; handle
    /// server Request events by accepting.
    pub fn pump(&mut self) {
        for _ in 0..10_000 {
            let to_server = drain(&mut self.client);
            let to_client = drain(&mut self.server);
            self.client_wire.extend_from_slice(&to_server);
            self.server_wire.extend_from_slice(&to_client);
            for c in to_server.chunks(self.chunk) {
                self.server.handle_input(self.now, c);
            }
            for c in to_client.chunks(self.chunk) {
                self.client.handle_input(self.now, c);
            }
            let mut progressed = !to_server.is_empty() || !to_client.is_empty();
            while let Some(ev) = self.server.poll_event() {
                if let Event::Request(_) = &ev {
                    let p = self.accept_protocol.clone();
                    self.server.accept(p.as_deref(), &[]).unwrap();
                    progressed = true;
                }
                self.server_events.push(ev);
            }
            self.client_events
                .extend(std::iter::from_fn(|| self.client.poll_event()));
            if self.client.should_shutdown() && !self.server.is_finished() {
                self.server.handle_eof(self.now);
            }
            if self.server.should_shutdown() && !self.client.is_finished() {
                self.client.handle_eof(self.now);
            }
            if !progressed {
                return;
            }
        }
        panic!("pump did not settle");
    }

    /// Advance simulated time to `t`, firing timers, then pump.
    pub fn advance_to(&mut self, t: Duration) {
        self.now = t;
        self.client.handle_timeout(t);
        self.server.handle_timeout(t);
        self.pump();
    }

    pub fn take_client_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.client_events)
    }

    pub fn take_server_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.server_events)
    }
}

/// Incompressible bytes (so permessage-deflate does not shrink them).
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    use websock_core::rng::Rng;
    let mut v = vec![0u8; len];
    DeterministicRng::new(seed).fill_bytes(&mut v);
    v
}

/// The bytes after the HTTP head at the start of `wire`.
pub fn after_head(wire: &[u8]) -> &[u8] {
    let end = wire
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP head")
        + 4;
    &wire[end..]
}
