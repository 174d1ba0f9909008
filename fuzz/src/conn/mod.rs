//! The harness behind the [`server_connection`](crate::server_connection) and
//! [`client_connection`](crate::client_connection) targets.
//!
//! A [`Script`] drives one connection. After every operation the harness drains events
//! and checks:
//!
//! * memory: the send queue stays within `max_send_queue` (or the one message an empty
//!   queue accepts, or the HTTP head) plus a Close frame and one more control frame, and
//!   received bytes held stay within one frame plus one message;
//! * `bufferedAmount` is exactly the payload of accepted sends not yet written, plus the
//!   payload of sends refused after closing;
//! * the output (see [`wire`]): valid frames, valid close codes, nothing after a Close,
//!   and the data frames written are exactly the accepted sends, in order;
//! * events: one `Open` at most, messages only while open and within the size limit,
//!   an `Error` only just before the `Close`, one `Close`, last; readyState never goes
//!   back.
//!
//! At the end the peer's end of stream arrives and time runs on: the connection must
//! finish. Then the script runs again with every input split into other chunks, and
//! everything observable must be the same.

pub mod script;
pub mod wire;

use std::time::Duration;

use websock_core::dom::ReadyState;
use websock_core::frame::{OpCode, MAX_HEADER_LEN};
use websock_core::handshake::{accept_key, ClientRequest, Request};
use websock_core::mask::apply_mask;
use websock_core::rng::DeterministicRng;
use websock_core::{Bytes, Config, Connection, Event, Limits, MessageKind, Role, Timeouts};

use crate::util::{hash, Mix};
pub use script::{Data, Mode, Op, Script};
use wire::{OutFrame, Wire};

/// The limits of the fuzz configuration (small, so the fuzzer can reach them).
pub const LIMITS: Limits = Limits {
    max_frame_size: 64 << 10,
    max_message_size: 256 << 10,
    max_fragments: 1024,
    max_handshake_size: 4 << 10,
    max_headers: 32,
    max_send_queue: 256 << 10,
};

/// Tighter limits, chosen by a script flag.
pub const TIGHT_LIMITS: Limits = Limits {
    max_frame_size: 1 << 10,
    max_message_size: 4 << 10,
    max_fragments: 8,
    max_handshake_size: 512,
    max_headers: 8,
    max_send_queue: 2 << 10,
};

/// The timeouts of the fuzz configuration.
fn timeouts(keepalive: bool) -> Timeouts {
    Timeouts {
        handshake: Some(Duration::from_secs(10)),
        close: Some(Duration::from_secs(10)),
        keepalive_interval: keepalive.then(|| Duration::from_secs(30)),
        keepalive_timeout: Duration::from_secs(20),
        write_stall: Some(Duration::from_secs(60)),
    }
}

/// Room for control frames beyond the send-queue limit: a Close frame, and one more
/// control frame (a pong, a keepalive ping or a commanded ping/pong) queued while the
/// queue was just under the limit.
pub const CONTROL_SLACK: usize = 2 * (MAX_HEADER_LEN + 125);

/// Largest HTTP head the harness expects a connection to queue (it is queued while the
/// queue is empty, before any frame).
pub const MAX_HTTP_HEAD: usize = 2048;

/// The request the harness sends in [`Mode::Handshaken`] (server role).
pub const REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, superchat\r\n\r\n";

/// The client's request in every mode: subprotocols are offered so that both the
/// selected and the mismatched cases can be reached.
pub fn client_request() -> ClientRequest {
    let mut r = ClientRequest::new("example.com", "/chat");
    r.protocols = vec!["chat".into(), "superchat".into()];
    r
}

/// The configuration a script asks for.
pub fn config(script: &Script) -> Config {
    Config {
        limits: if script.flags & 4 != 0 {
            TIGHT_LIMITS
        } else {
            LIMITS
        },
        timeouts: timeouts(script.flags & 2 != 0),
        rng: Some(Box::new(DeterministicRng::new(u64::from(script.seed) + 1))),
        auto_pong: script.flags & 1 == 0,
        ..Config::default()
    }
}

/// A client connection as the scripts create it, so seeds can learn its key.
pub fn new_client(script: &Script) -> Connection {
    Connection::client(client_request(), config(script), Duration::ZERO)
        .expect("the fuzz request is valid")
}

/// The `Sec-WebSocket-Accept` answer to the key in a client's written request.
pub fn answer_for(request: &[u8]) -> Vec<u8> {
    let mut reader = websock_core::handshake::HeadReader::new(1 << 16, 100);
    reader.feed(request).expect("request head");
    let req = reader.parse_request().expect("request");
    let key = req.key().expect("key");
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: chat\r\n\r\n",
        accept_key(key)
    )
    .into_bytes()
}

/// Everything observable about one run, compared across chunkings.
#[derive(Debug, PartialEq, Eq)]
pub struct Trace {
    /// Every event, as its `Debug` text.
    pub events: Vec<String>,
    /// Every byte written.
    pub output: Vec<u8>,
    /// The frames written, decoded.
    pub frames: Vec<OutFrame>,
    /// After each step: readyState, bufferedAmount, send queue length, shutdown, finished.
    pub states: Vec<(ReadyState, usize, usize, bool, bool)>,
}

impl Trace {
    /// The codes of the Close frames written (`None` for an empty body).
    pub fn close_codes(&self) -> Vec<Option<u16>> {
        self.frames
            .iter()
            .filter(|f| f.opcode == OpCode::Close)
            .map(|f| {
                (f.payload.len() >= 2).then(|| u16::from_be_bytes([f.payload[0], f.payload[1]]))
            })
            .collect()
    }
}

/// The harness for one run of a script.
struct Harness {
    conn: Connection,
    role: Role,
    limits: Limits,
    now: Duration,
    wire: Wire,
    output: Vec<u8>,
    /// Data frames the accepted sends must produce, in order.
    expected_frames: Vec<OutFrame>,
    /// Our model of whether a fragmented message is being sent.
    sending_fragmented: bool,
    /// Payload bytes of accepted sends.
    accepted_payload: usize,
    /// Payload of sends refused because the connection was closing or closed.
    discarded: usize,
    /// The largest payload accepted by an empty send queue.
    largest_on_empty: usize,
    events: Vec<String>,
    opened: bool,
    closed: bool,
    error_pending: bool,
    state: ReadyState,
    request: Option<Request>,
    states: Vec<(ReadyState, usize, usize, bool, bool)>,
    /// Split every input into chunks drawn from this generator (the second run).
    splitter: Option<Mix>,
}

impl Harness {
    fn new(role: Role, script: &Script, splitter: Option<Mix>) -> Harness {
        let config = config(script);
        let limits = config.limits;
        let http = script.mode != Mode::Upgraded;
        let conn = match (script.mode, role) {
            (Mode::Upgraded, _) => Connection::upgraded(role, None, config, Duration::ZERO),
            (_, Role::Server) => Connection::server(config, Duration::ZERO),
            (_, Role::Client) => new_client(script),
        };
        let mut h = Harness {
            conn,
            role,
            limits,
            now: Duration::ZERO,
            wire: Wire::new(role, http),
            output: Vec::new(),
            expected_frames: Vec::new(),
            sending_fragmented: false,
            accepted_payload: 0,
            discarded: 0,
            largest_on_empty: 0,
            events: Vec::new(),
            opened: false,
            closed: false,
            error_pending: false,
            state: ReadyState::Connecting,
            request: None,
            states: Vec::new(),
            splitter,
        };
        if script.mode == Mode::Handshaken {
            h.handshake();
        }
        h.after_step();
        h
    }

    /// Performs a valid opening handshake.
    fn handshake(&mut self) {
        match self.role {
            Role::Server => {
                self.feed(REQUEST);
                self.drain_events();
                self.conn
                    .accept(None, &[])
                    .expect("accept the valid request");
            }
            Role::Client => {
                self.transmit(0);
                let request = self.output.clone();
                self.feed(&answer_for(&request));
            }
        }
        self.drain_events();
        assert!(self.opened, "the valid handshake did not open");
    }

    fn feed(&mut self, data: &[u8]) {
        match self.splitter.as_mut() {
            None => self.conn.handle_input(self.now, data),
            Some(mix) => {
                let mut rest = data;
                while !rest.is_empty() {
                    let n = 1 + mix.below(rest.len().min(64));
                    let (a, b) = rest.split_at(n);
                    self.conn.handle_input(self.now, a);
                    rest = b;
                }
            }
        }
    }

    /// An empty read is a read that would block: the driver releases idle memory, which
    /// must lose nothing (the invariants checked after every step still hold).
    fn feed_direct(&mut self, data: &[u8]) {
        if data.is_empty() {
            let buffered = self.conn.receive_buffered();
            let queued = self.conn.send_queue_len();
            self.conn.release_idle_memory();
            assert_eq!(self.conn.receive_buffered(), buffered, "release lost input");
            assert_eq!(self.conn.send_queue_len(), queued, "release lost output");
            return;
        }
        let buf = self.conn.receive_buffer();
        assert!(
            buf.capacity() - buf.len() >= 2 << 10,
            "receive_buffer spare room"
        );
        buf.extend_from_slice(data);
        self.conn.handle_received(self.now);
    }

    /// Lets the transport take up to `max` bytes (0: all).
    fn transmit(&mut self, max: usize) {
        let mut budget = if max == 0 { usize::MAX } else { max };
        while budget > 0 {
            let mut slices: [&[u8]; 8] = [&[]; 8];
            let n = self.conn.poll_transmit(&mut slices);
            let mut wrote = Vec::new();
            for s in &slices[..n] {
                let take = s.len().min(budget - wrote.len());
                wrote.extend_from_slice(&s[..take]);
                if wrote.len() == budget {
                    break;
                }
            }
            if wrote.is_empty() {
                break;
            }
            self.conn.advance_transmit(wrote.len());
            budget -= wrote.len();
            self.wire.push(&wrote);
            self.output.extend_from_slice(&wrote);
        }
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.conn.poll_event() {
            assert!(!self.closed, "event after Close: {event:?}");
            if self.error_pending {
                assert!(
                    matches!(event, Event::Close(_)),
                    "Error not followed by Close"
                );
                self.error_pending = false;
            }
            match &event {
                Event::Request(r) => {
                    assert_eq!(self.role, Role::Server);
                    assert!(self.request.is_none() && !self.opened);
                    self.request = Some(r.clone());
                }
                Event::Open(_) => {
                    assert!(!self.opened, "opened twice");
                    self.opened = true;
                    self.wire.compression = self.conn.extensions().contains("permessage-deflate");
                }
                Event::Message(m) => {
                    assert!(self.opened, "message before open");
                    assert!(
                        m.len() <= self.limits.max_message_size,
                        "message over limit"
                    );
                }
                Event::Ping(p) | Event::Pong(p) => assert!(p.len() <= 125),
                Event::Error(_) => self.error_pending = true,
                Event::Close(c) => {
                    assert_eq!(self.conn.ready_state(), ReadyState::Closed);
                    assert!(c.code == 1005 || c.code == 1006 || c.code >= 1000);
                    self.closed = true;
                }
            }
            self.events.push(format!("{event:?}"));
        }
    }

    fn send_result(&mut self, frame: OutFrame, result: Result<(), websock_core::SendError>) {
        use websock_core::SendError;
        let len = frame.payload.len();
        match result {
            Ok(()) => {
                self.accepted_payload += len;
                self.expected_frames.push(frame);
            }
            Err(SendError::Closed) => self.discarded += len,
            Err(_) => {}
        }
    }

    fn apply(&mut self, op: &Op) {
        let queue_before = self.conn.send_queue_len();
        match op {
            Op::Input(d) => self.feed(&d.bytes()),
            Op::InputDirect(d) => self.feed_direct(&d.bytes()),
            Op::Frame { b0, flags, payload } => {
                let frame = self.peer_frame(*b0, *flags, &payload.bytes());
                self.feed(&frame);
            }
            Op::Eof => self.conn.handle_eof(self.now),
            Op::Advance(ms) => {
                self.now += Duration::from_millis(u64::from(*ms));
                self.conn.handle_timeout(self.now);
            }
            Op::FireNext => {
                if let Some(t) = self.conn.poll_timeout() {
                    self.now = self.now.max(t);
                }
                self.conn.handle_timeout(self.now);
            }
            Op::Send { kind, data } => {
                let bytes = data.bytes();
                let (message, opcode) = if kind & 1 == 0 {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    (websock_core::Message::text(text), OpCode::Text)
                } else {
                    (websock_core::Message::binary(bytes), OpCode::Binary)
                };
                let payload = message.as_bytes().to_vec();
                let result = self.conn.send(message);
                if self.sending_fragmented {
                    assert_eq!(result, Err(websock_core::SendError::FragmentOrder));
                }
                self.note_size(&result, payload.len(), queue_before);
                let frame = OutFrame {
                    opcode,
                    fin: true,
                    payload,
                };
                self.send_result(frame, result);
            }
            Op::SendFragment { flags, data } => {
                let (kind, bytes) = if flags & 1 == 0 {
                    let bytes = String::from_utf8_lossy(&data.bytes()).into_owned();
                    (MessageKind::Text, bytes.into_bytes())
                } else {
                    (MessageKind::Binary, data.bytes())
                };
                let fin = flags & 2 != 0;
                let result = self
                    .conn
                    .send_fragment(kind, Bytes::from(bytes.clone()), fin);
                self.note_size(&result, bytes.len(), queue_before);
                let opcode = if self.sending_fragmented {
                    OpCode::Continuation
                } else {
                    kind.opcode()
                };
                if result.is_ok() {
                    self.sending_fragmented = !fin;
                }
                let frame = OutFrame {
                    opcode,
                    fin,
                    payload: bytes,
                };
                self.send_result(frame, result);
            }
            Op::Ping(d) => {
                let _ = self.conn.ping(Bytes::from(d.bytes()));
            }
            Op::Pong(d) => {
                let _ = self.conn.pong(Bytes::from(d.bytes()));
            }
            Op::Close {
                code,
                flags,
                reason,
            } => {
                let code = (flags & 1 == 0).then_some(*code);
                let reason = String::from_utf8_lossy(&reason.bytes()).into_owned();
                let result = self.conn.close(self.now, code, &reason);
                let valid = code.is_none_or(websock_core::close::is_valid_on_wire)
                    && reason.len() <= 123
                    && (code.is_some() || reason.is_empty());
                assert_eq!(result.is_ok(), valid, "close({code:?}, {reason:?})");
            }
            Op::Transmit(n) => self.transmit(usize::from(*n)),
            Op::Accept(choice) => {
                let offered = self
                    .request
                    .as_ref()
                    .map(Request::protocols)
                    .unwrap_or_default();
                let protocol = match usize::from(*choice) {
                    0 => None,
                    k if k <= offered.len() => Some(offered[k - 1].clone()),
                    _ => Some("not-offered".to_string()),
                };
                let waiting = self.request.is_some() && !self.opened && !self.closed;
                let result = self.conn.accept(protocol.as_deref(), &[]);
                if waiting && protocol.is_none() {
                    assert_eq!(result, Ok(()), "could not accept the waiting request");
                }
                if result.is_ok() {
                    assert!(waiting, "accepted with no request waiting");
                    let offered_ok = protocol.as_ref().is_none_or(|p| offered.contains(p));
                    assert!(offered_ok, "accepted a protocol not offered");
                }
            }
            Op::Reject(status) => {
                let _ = self.conn.reject(*status, &[], b"no");
            }
            Op::Abort => self.conn.abort(),
        }
        self.after_step();
    }

    /// Records the largest send accepted by an empty queue (the one case the queue
    /// limit lets through whatever its size).
    fn note_size(
        &mut self,
        result: &Result<(), websock_core::SendError>,
        len: usize,
        queue_before: usize,
    ) {
        if result.is_ok() {
            if queue_before > 0 {
                assert!(
                    queue_before + len <= self.limits.max_send_queue,
                    "send accepted over the queue limit"
                );
            } else {
                self.largest_on_empty = self.largest_on_empty.max(len);
            }
        }
    }

    /// Encodes a frame as the peer would send it.
    fn peer_frame(&self, b0: u8, flags: u8, payload: &[u8]) -> Vec<u8> {
        let peer_masks = self.role == Role::Server;
        let masked = peer_masks != (flags & 1 != 0);
        let key = [flags, flags ^ 0x5A, flags ^ 0xA5, !flags];
        let mut out = vec![b0];
        let m = if masked { 0x80 } else { 0 };
        let len = payload.len();
        if len < 126 && flags & 2 == 0 {
            out.push(m | len as u8);
        } else if len <= 0xFFFF && flags & 2 == 0 {
            out.push(m | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(m | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        let start = out.len() + if masked { 4 } else { 0 };
        if masked {
            out.extend_from_slice(&key);
        }
        out.extend_from_slice(payload);
        if masked {
            apply_mask(&mut out[start..], key, 0);
        }
        out
    }

    fn after_step(&mut self) {
        self.drain_events();
        let conn = &self.conn;
        let state = conn.ready_state();
        assert!(state >= self.state, "readyState went back");
        self.state = state;

        // Memory: what waits to be written.
        let queued = conn.send_queue_len();
        let bound = self
            .limits
            .max_send_queue
            .max(self.largest_on_empty + MAX_HEADER_LEN)
            .max(MAX_HTTP_HEAD)
            + CONTROL_SLACK;
        assert!(queued <= bound, "send queue {queued} over {bound}");
        // Memory: what was received and is held.
        let held = conn.receive_buffered();
        let recv_bound = self.limits.max_frame_size + self.limits.max_message_size + MAX_HEADER_LEN;
        assert!(
            held <= recv_bound,
            "holding {held} received bytes (bound {recv_bound})"
        );

        // bufferedAmount: accepted payload not yet written, plus discarded sends.
        let written: usize = self
            .wire
            .frames
            .iter()
            .filter(|f| !f.opcode.is_control())
            .map(|f| f.payload.len())
            .sum();
        let amount = conn.buffered_amount();
        assert!(
            amount >= self.discarded,
            "bufferedAmount lost discarded sends"
        );
        let pending = amount - self.discarded;
        if conn.is_finished() {
            assert_eq!(pending, 0, "bufferedAmount after finishing");
        } else if !self.wire.compression {
            assert_eq!(pending, self.accepted_payload - written, "bufferedAmount");
        }

        // Sends go out as commanded, in order. (With permessage-deflate the payloads
        // are compressed: checking those is left to the deflate targets.)
        if !self.wire.compression {
            let data_frames = self.wire.frames.iter().filter(|f| !f.opcode.is_control());
            let mut expected = self.expected_frames.iter();
            for f in data_frames {
                assert_eq!(Some(f), expected.next(), "data frame not as sent");
            }
        }

        if conn.is_finished() {
            assert_eq!(queued, 0, "finished with bytes queued");
            assert_eq!(conn.poll_timeout(), None, "finished with a deadline");
        }
        if conn.should_shutdown() {
            assert_eq!(state, ReadyState::Closed);
            assert_eq!(queued, 0, "shutdown requested with bytes queued");
        }
        if self.closed {
            assert_eq!(state, ReadyState::Closed);
        }
        self.states.push((
            state,
            amount,
            queued,
            conn.should_shutdown(),
            conn.is_finished(),
        ));
    }

    /// The peer goes away and time runs on: the connection must finish.
    fn finish(mut self) -> Trace {
        self.transmit(0);
        self.conn.handle_eof(self.now);
        self.after_step();
        for _ in 0..4 {
            self.transmit(0);
            self.now += Duration::from_secs(3600);
            self.conn.handle_timeout(self.now);
            self.after_step();
        }
        assert!(self.conn.is_finished(), "not finished after EOF and time");
        assert!(self.closed, "no Close event");
        Trace {
            events: self.events,
            output: self.output,
            frames: self.wire.frames,
            states: self.states,
        }
    }
}

/// Runs `data` as a script against a connection in `role`, twice (the second time with
/// the inputs split differently), checking everything described in the module docs.
pub fn run(role: Role, data: &[u8]) {
    let script = Script::decode(data);
    let _ = run_script(role, &script);
}

/// Runs one decoded script (see [`run`]) and returns what the first run observed.
pub fn run_script(role: Role, script: &Script) -> Trace {
    let first = run_once(role, script, None);
    let second = run_once(role, script, Some(Mix(hash(&script.encode()))));
    assert_eq!(
        first.events, second.events,
        "events depend on input chunking"
    );
    assert_eq!(
        first.output, second.output,
        "output depends on input chunking"
    );
    assert_eq!(
        first.states, second.states,
        "state depends on input chunking"
    );
    first
}

fn run_once(role: Role, script: &Script, splitter: Option<Mix>) -> Trace {
    let mut h = Harness::new(role, script, splitter);
    for op in &script.ops {
        h.apply(op);
    }
    h.finish()
}
