//! Target `pair`: a client and a server wired together in memory, exchanging arbitrary
//! messages (text and binary, whole or in fragments of any size, with pings between
//! fragments) over a transport that takes partial writes and delivers arbitrary chunks.
//!
//! Every message must arrive intact and in order, with no error on either side; the
//! last ping each side sends is answered; once everything is written `bufferedAmount` is
//! zero; the close handshake completes cleanly with the closer's code and reason, and
//! both sides finish. Both outputs go through the checks of [`crate::conn::wire`].

use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use websock_core::dom::ReadyState;
use websock_core::rng::DeterministicRng;
use websock_core::{
    Bytes, CloseEvent, Config, Connection, Event, Message, MessageKind, PreparedMessage, SendError,
};

use crate::conn::wire::Wire;
use crate::conn::{client_request, LIMITS};

/// One step of the conversation.
#[derive(Debug, Arbitrary)]
pub enum Step {
    /// One side sends a message.
    Message {
        /// The client sends it (else the server).
        from_client: bool,
        /// Binary (else text: `data` made valid UTF-8).
        binary: bool,
        /// Fragment size in bytes (0: one frame); fragments may split a character.
        fragment: u16,
        /// The message is `data` repeated `repeat + 1` times (capped at the limit).
        repeat: u8,
        /// Send a ping after the first fragment.
        ping_between: bool,
        /// A one-frame message goes as a `PreparedMessage` (`send_prepared`).
        prepared: bool,
        /// The content.
        data: Vec<u8>,
    },
    /// One side pings (payload cut to 125 bytes).
    Ping {
        /// The client pings (else the server).
        from_client: bool,
        /// The payload.
        data: Vec<u8>,
    },
    /// Move every byte across before the next step.
    Pump,
}

/// The structured input.
#[derive(Debug, Arbitrary)]
pub struct Input {
    /// Client-to-server delivery chunk size (0: as written).
    pub to_server_chunk: u16,
    /// Server-to-client delivery chunk size (0: as written).
    pub to_client_chunk: u16,
    /// Most bytes the client's transport takes per write (0: all offered).
    pub client_write: u16,
    /// Most bytes the server's transport takes per write (0: all offered).
    pub server_write: u16,
    /// The client closes (else the server).
    pub client_closes: bool,
    /// The close code: an index into the codes a peer may send.
    pub close_code: u16,
    /// The close reason (cut to 123 bytes on a character boundary).
    pub close_reason: String,
    /// Seed for the random sources.
    pub seed: u8,
    /// The conversation.
    pub steps: Vec<Step>,
}

/// The target's entry point.
pub fn run(data: &[u8]) {
    if let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) {
        check(&input);
    }
}

/// One side of the pair, with what it sent and what it saw.
struct Side {
    conn: Connection,
    wire: Wire,
    /// Bytes written and not yet delivered to the other side.
    in_flight: Vec<u8>,
    write: usize,
    sent: Vec<(MessageKind, Vec<u8>)>,
    received: Vec<(MessageKind, Vec<u8>)>,
    pings: Vec<Vec<u8>>,
    pongs: Vec<Vec<u8>>,
    close: Option<CloseEvent>,
    errors: Vec<String>,
    /// This side's end of stream has reached the other side.
    eof_sent: bool,
}

impl Side {
    fn new(conn: Connection, write: u16, role: websock_core::Role) -> Side {
        Side {
            conn,
            wire: Wire::new(role, true),
            in_flight: Vec::new(),
            write: usize::from(write),
            sent: Vec::new(),
            received: Vec::new(),
            pings: Vec::new(),
            pongs: Vec::new(),
            close: None,
            errors: Vec::new(),
            eof_sent: false,
        }
    }

    /// Writes what the transport takes; returns whether anything was written.
    fn write_out(&mut self) -> bool {
        let mut any = false;
        loop {
            let mut slices: [&[u8]; 4] = [&[]; 4];
            let n = self.conn.poll_transmit(&mut slices);
            let budget = if self.write == 0 {
                usize::MAX
            } else {
                self.write
            };
            let mut wrote = Vec::new();
            for s in &slices[..n] {
                let take = s.len().min(budget - wrote.len());
                wrote.extend_from_slice(&s[..take]);
                if wrote.len() == budget {
                    break;
                }
            }
            if wrote.is_empty() {
                return any;
            }
            any = true;
            self.conn.advance_transmit(wrote.len());
            self.wire.push(&wrote);
            self.in_flight.extend_from_slice(&wrote);
        }
    }

    fn take_events(&mut self) -> bool {
        let mut request = false;
        while let Some(event) = self.conn.poll_event() {
            assert!(self.close.is_none(), "event after Close: {event:?}");
            match event {
                Event::Request(_) => request = true,
                Event::Open(_) => {}
                Event::Message(m) => {
                    let kind = m.kind();
                    self.received.push((kind, m.into_bytes().to_vec()));
                }
                Event::Ping(_) => {}
                Event::Pong(p) => self.pongs.push(p.to_vec()),
                Event::Error(e) => self.errors.push(format!("{e:?}")),
                Event::Close(c) => self.close = Some(c),
            }
        }
        request
    }
}

/// Both sides and the simulated transport between them.
struct Pair {
    client: Side,
    server: Side,
    to_server_chunk: usize,
    to_client_chunk: usize,
    now: Duration,
}

fn deliver(from: &mut Side, to: &mut Side, chunk: usize, now: Duration) -> bool {
    if from.in_flight.is_empty() {
        return false;
    }
    let bytes = std::mem::take(&mut from.in_flight);
    let size = if chunk == 0 { bytes.len() } else { chunk };
    for c in bytes.chunks(size) {
        to.conn.handle_input(now, c);
    }
    true
}

/// Once `from` has shut its write side down and everything it wrote was delivered, the
/// other side reads end of stream (once).
fn end_of_stream(from: &mut Side, to: &mut Side, now: Duration) -> bool {
    if from.conn.should_shutdown() && from.in_flight.is_empty() && !from.eof_sent {
        from.eof_sent = true;
        to.conn.handle_eof(now);
        return true;
    }
    false
}

impl Pair {
    /// Moves bytes both ways until nothing moves; accepts the upgrade request.
    fn pump(&mut self) {
        for _ in 0..1_000_000 {
            let mut progressed = self.client.write_out() | self.server.write_out();
            progressed |= deliver(
                &mut self.client,
                &mut self.server,
                self.to_server_chunk,
                self.now,
            );
            progressed |= deliver(
                &mut self.server,
                &mut self.client,
                self.to_client_chunk,
                self.now,
            );
            self.client.take_events();
            if self.server.take_events() {
                self.server.conn.accept(Some("chat"), &[]).expect("accept");
                progressed = true;
            }
            progressed |= end_of_stream(&mut self.client, &mut self.server, self.now);
            progressed |= end_of_stream(&mut self.server, &mut self.client, self.now);
            if !progressed {
                return;
            }
        }
        panic!("the pair never settled");
    }

    fn side(&mut self, client: bool) -> &mut Side {
        if client {
            &mut self.client
        } else {
            &mut self.server
        }
    }

    /// Sends with `op`, pumping while the queue is full.
    fn send_with(
        &mut self,
        client: bool,
        mut op: impl FnMut(&mut Connection) -> Result<(), SendError>,
    ) {
        for _ in 0..3 {
            match op(&mut self.side(client).conn) {
                Ok(()) => return,
                Err(SendError::Full) => self.pump(),
                Err(e) => panic!("send refused: {e:?}"),
            }
        }
        panic!("the send queue stayed full after pumping");
    }

    fn message(&mut self, step: &Step) {
        let Step::Message {
            from_client,
            binary,
            fragment,
            repeat,
            ping_between,
            prepared,
            data,
        } = step
        else {
            return;
        };
        let max = LIMITS.max_message_size;
        let (kind, bytes) = if *binary {
            let mut b = data.repeat(usize::from(*repeat) + 1);
            b.truncate(max);
            (MessageKind::Binary, b)
        } else {
            let mut s = String::from_utf8_lossy(data).repeat(usize::from(*repeat) + 1);
            let mut cut = s.len().min(max);
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            s.truncate(cut);
            (MessageKind::Text, s.into_bytes())
        };
        // Fragments no larger than the receiver's frame limit, and not too many.
        let mut size = usize::from(*fragment);
        if size == 0 && bytes.len() > LIMITS.max_frame_size {
            size = LIMITS.max_frame_size;
        }
        if size > 0 {
            size = size
                .min(LIMITS.max_frame_size)
                .max(bytes.len().div_ceil(LIMITS.max_fragments));
        }
        let client = *from_client;
        self.side(client).sent.push((kind, bytes.clone()));
        if size == 0 || bytes.is_empty() {
            let message = match kind {
                MessageKind::Binary => Message::binary(bytes),
                MessageKind::Text => Message::text(String::from_utf8(bytes).expect("text")),
            };
            if *prepared {
                let prepared = PreparedMessage::new(message);
                return self.send_with(client, |c| c.send_prepared(&prepared));
            }
            return self.send_with(client, |c| c.send(message.clone()));
        }
        let count = bytes.len().div_ceil(size);
        for (i, piece) in bytes.chunks(size).enumerate() {
            let piece = Bytes::copy_from_slice(piece);
            let fin = i + 1 == count;
            self.send_with(client, |c| c.send_fragment(kind, piece.clone(), fin));
            if i == 0 && *ping_between {
                self.ping(client, b"between");
            }
        }
    }

    fn ping(&mut self, client: bool, data: &[u8]) {
        let payload = data[..data.len().min(125)].to_vec();
        self.side(client).pings.push(payload.clone());
        let p = Bytes::from(payload);
        self.send_with(client, |c| c.ping(p.clone()));
    }
}

/// The close codes a peer may send (a code RFC 6455 allows on the wire).
fn close_code(index: u16) -> u16 {
    let valid: Vec<u16> = (1000..=1003)
        .chain(1007..=1014)
        .chain(3000..=4999)
        .collect();
    valid[usize::from(index) % valid.len()]
}

fn config(seed: u64) -> Config {
    Config {
        limits: LIMITS,
        rng: Some(Box::new(DeterministicRng::new(seed))),
        ..Config::default()
    }
}

/// Checks one structured input.
pub fn check(input: &Input) {
    let seed = u64::from(input.seed) * 2;
    let client =
        Connection::client(client_request(), config(seed + 1), Duration::ZERO).expect("client");
    let server = Connection::server(config(seed + 2), Duration::ZERO);
    let mut pair = Pair {
        client: Side::new(client, input.client_write, websock_core::Role::Client),
        server: Side::new(server, input.server_write, websock_core::Role::Server),
        to_server_chunk: usize::from(input.to_server_chunk),
        to_client_chunk: usize::from(input.to_client_chunk),
        now: Duration::ZERO,
    };
    pair.pump();
    for side in [&mut pair.client, &mut pair.server] {
        side.wire.compression = side.conn.extensions().contains("permessage-deflate");
    }
    assert_eq!(pair.client.conn.ready_state(), ReadyState::Open);
    assert_eq!(pair.server.conn.ready_state(), ReadyState::Open);
    assert_eq!(pair.client.conn.protocol(), Some("chat"));

    for step in &input.steps {
        match step {
            Step::Message { .. } => pair.message(step),
            Step::Ping { from_client, data } => pair.ping(*from_client, data),
            Step::Pump => pair.pump(),
        }
    }
    pair.pump();
    for side in [&pair.client, &pair.server] {
        assert!(side.errors.is_empty(), "errors: {:?}", side.errors);
        assert_eq!(
            side.conn.buffered_amount(),
            0,
            "bufferedAmount after writing"
        );
        assert_eq!(side.conn.send_queue_len(), 0);
        assert_eq!(side.conn.receive_buffered(), 0);
    }
    assert!(pair.client.received == pair.server.sent, "server to client");
    assert!(pair.server.received == pair.client.sent, "client to server");
    for side in [&pair.client, &pair.server] {
        // Pongs answer pings, in order; the last ping is always answered.
        let mut pings = side.pings.iter();
        for pong in &side.pongs {
            assert!(pings.any(|p| p == pong), "pong {pong:?} answers no ping");
        }
        assert_eq!(side.pings.last(), side.pongs.last(), "last ping unanswered");
    }

    // The close handshake.
    let code = close_code(input.close_code);
    let mut reason = input.close_reason.clone();
    let mut cut = reason.len().min(123);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    reason.truncate(cut);
    let closer = input.client_closes;
    let now = pair.now;
    pair.side(closer)
        .conn
        .close(now, Some(code), &reason)
        .expect("close");
    assert_eq!(pair.side(closer).conn.ready_state(), ReadyState::Closing);
    pair.pump();
    let peer_close = pair.side(!closer).close.clone().expect("peer closed");
    assert_eq!(
        peer_close,
        CloseEvent {
            code,
            reason: reason.clone(),
            was_clean: true
        }
    );
    let own_close = pair.side(closer).close.clone().expect("closer closed");
    assert_eq!(
        own_close,
        CloseEvent {
            code,
            reason: String::new(),
            was_clean: true
        }
    );
    for side in [&pair.client, &pair.server] {
        assert!(side.errors.is_empty(), "errors: {:?}", side.errors);
        assert!(side.conn.is_finished(), "not finished");
        assert!(side.wire.close_written, "no Close frame written");
        assert_eq!(side.conn.ready_state(), ReadyState::Closed);
    }
}
