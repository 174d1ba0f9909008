//! Target `streaming`: streaming receive (`Connection::poll_stream_event`) against
//! whole-message mode. The same wire bytes (messages a real sender sent, text or
//! binary, fragmented, compressed or not, pings in between, mixed with hand-made and
//! raw frames), fed to two receivers under the same arbitrary chunking, must give the
//! same messages, pings, pongs, failure and close, and the same bytes written back;
//! every streamed chunk is non-empty and, for text, valid UTF-8 on its own.
//!
//! Two differences are allowed, both streaming failing *sooner* on the same bytes:
//! a compressed frame is inflated as it arrives, so streaming may fail on the part of a
//! frame that whole-message mode has not looked at yet (the input ends inside it); and
//! inside one compressed frame streaming reports invalid UTF-8 at the step where it
//! appears, where whole-message mode first inflates the frame and reports a later
//! inflate failure (too large, corrupt).

use arbitrary::{Arbitrary, Unstructured};
use std::time::Duration;
use websock_core::dom::ReadyState;
use websock_core::frame::{FrameHeader, OpCode, Status};
use websock_core::handshake::Agreement;
use websock_core::mask::apply_mask;
use websock_core::rng::DeterministicRng;
use websock_core::{
    Bytes, Config, Connection, Error, Event, Limits, MessageKind, ProtocolError, Role, StreamEvent,
    Streaming,
};

const T0: Duration = Duration::ZERO;

/// The structured input.
#[derive(Debug, Arbitrary)]
pub struct Input {
    /// 0: no extension; 1: permessage-deflate; 2: without context takeover (modulo 3).
    pub deflate: u8,
    /// The receiver is the client (the sender masks nothing).
    pub client: bool,
    /// Tight limits instead of roomy ones.
    pub tight: bool,
    /// Input piece sizes, cycled (0 counts as 1).
    pub sizes: Vec<u8>,
    /// What the sender puts on the wire, in order.
    pub pieces: Vec<Piece>,
    /// A Close from the sender at the end.
    pub close: bool,
}

/// One piece of the wire bytes.
#[derive(Debug, Arbitrary)]
pub enum Piece {
    /// A message as the sending engine sends it.
    Message {
        /// Text (else binary); the content is sent as given, valid UTF-8 or not.
        text: bool,
        /// The content.
        data: Vec<u8>,
        /// Fragment size (0: one frame).
        fragment: u8,
        /// Compressed, when permessage-deflate was negotiated.
        compress: bool,
        /// A ping between fragments.
        ping: bool,
    },
    /// A long message of one repeated byte (exercises inflate steps and large frames).
    Long {
        /// The byte.
        byte: u8,
        /// The length: `(kib % 80 + 1)` KiB.
        kib: u8,
        /// Fragment size: `fragment_kib % 40` KiB (0: one frame).
        fragment_kib: u8,
        /// Compressed, when permessage-deflate was negotiated.
        compress: bool,
    },
    /// One hand-made frame: first byte as given (FIN, RSV, opcode), the right length,
    /// masked if the receiver is a server.
    Frame {
        /// The first byte.
        first: u8,
        /// The payload.
        payload: Vec<u8>,
    },
    /// Raw bytes.
    Raw(Vec<u8>),
}

/// What an application saw, with streamed messages put back together.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Message(MessageKind, Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Error(String),
    Close(u16, bool),
}

/// The target's entry point.
pub fn run(data: &[u8]) {
    if let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) {
        check(&input);
    }
}

fn extension(deflate: u8) -> Option<&'static str> {
    match deflate % 3 {
        0 => None,
        1 => Some("permessage-deflate"),
        _ => Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
    }
}

fn limits(tight: bool) -> Limits {
    if tight {
        Limits {
            max_frame_size: 1 << 10,
            max_message_size: 4 << 10,
            max_fragments: 8,
            ..Limits::default()
        }
    } else {
        Limits {
            max_frame_size: 64 << 10,
            max_message_size: 256 << 10,
            max_fragments: 1024,
            ..Limits::default()
        }
    }
}

fn open(role: Role, deflate: Option<&str>, streaming: Streaming, limits: Limits) -> Connection {
    let config = Config {
        limits,
        streaming,
        rng: Some(Box::new(DeterministicRng::new(5))),
        ..Config::default()
    };
    let mut config = config;
    config.deflate.min_message_size = 0;
    let agreement = Agreement::from_headers(None, deflate).expect("valid agreement");
    let mut c = Connection::upgraded_with(role, agreement, config, T0);
    assert!(matches!(c.poll_event(), Some(Event::Open(_))));
    c
}

/// Everything `conn` wants written.
fn drain(conn: &mut Connection) -> Vec<u8> {
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

/// A frame as the sender's role sends it.
fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = vec![first];
    let m = if masked { 0x80 } else { 0 };
    let len = payload.len();
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= 0xffff {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    let mut p = payload.to_vec();
    if masked {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        out.extend_from_slice(&key);
        apply_mask(&mut p, key, 0);
    }
    out.extend_from_slice(&p);
    out
}

/// The wire bytes of the input, as the receiver's peer sends them.
fn wire(input: &Input, receiver: Role, deflate: Option<&str>) -> Vec<u8> {
    let sender_role = match receiver {
        Role::Server => Role::Client,
        Role::Client => Role::Server,
    };
    let roomy = Limits {
        max_send_queue: usize::MAX,
        ..Limits::default()
    };
    let mut sender = open(sender_role, deflate, Streaming::default(), roomy);
    let mut wire = Vec::new();
    let send = |sender: &mut Connection,
                wire: &mut Vec<u8>,
                kind,
                data: &[u8],
                fragment: usize,
                compress,
                ping| {
        let parts: Vec<&[u8]> = if fragment == 0 || data.is_empty() {
            vec![data]
        } else {
            data.chunks(fragment).collect()
        };
        for (i, part) in parts.iter().enumerate() {
            let fin = i + 1 == parts.len();
            // A message left unfinished by a hand-made frame is refused; carry on.
            let _ = sender.send_fragment_with(kind, Bytes::copy_from_slice(part), fin, compress);
            if ping && !fin {
                let _ = sender.ping(Bytes::from_static(b"p"));
            }
            wire.extend(drain(sender));
        }
    };
    for piece in &input.pieces {
        match piece {
            Piece::Message {
                text,
                data,
                fragment,
                compress,
                ping,
            } => {
                let kind = if *text {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                };
                send(
                    &mut sender,
                    &mut wire,
                    kind,
                    data,
                    usize::from(*fragment),
                    *compress,
                    *ping,
                );
            }
            Piece::Long {
                byte,
                kib,
                fragment_kib,
                compress,
            } => {
                let data = vec![*byte; (usize::from(*kib) % 80 + 1) << 10];
                let fragment = usize::from(*fragment_kib % 40) << 10;
                send(
                    &mut sender,
                    &mut wire,
                    MessageKind::Binary,
                    &data,
                    fragment,
                    *compress,
                    false,
                );
            }
            Piece::Frame { first, payload } => {
                wire.extend(frame(*first, payload, receiver == Role::Server));
            }
            Piece::Raw(bytes) => wire.extend_from_slice(bytes),
        }
        if wire.len() > 1 << 20 {
            break;
        }
    }
    if input.close {
        let _ = sender.close(T0, Some(1000), "bye");
        wire.extend(drain(&mut sender));
    }
    wire
}

/// Takes every output, checking the streamed pieces' contract.
#[derive(Default)]
struct Collector {
    items: Vec<Item>,
    partial: Option<(MessageKind, Vec<u8>)>,
}

impl Collector {
    fn take(&mut self, conn: &mut Connection, stream: bool) {
        loop {
            let event = if stream {
                conn.poll_stream_event()
            } else {
                conn.poll_event().map(StreamEvent::Event)
            };
            let Some(event) = event else { return };
            match event {
                StreamEvent::Event(e) => {
                    let item = match e {
                        Event::Message(m) => Item::Message(m.kind(), m.as_bytes().to_vec()),
                        Event::Ping(p) => Item::Ping(p.to_vec()),
                        Event::Pong(p) => Item::Pong(p.to_vec()),
                        Event::Error(e) => Item::Error(format!("{e:?}")),
                        Event::Close(c) => {
                            // A streamed message cut short: whole-message mode drops it.
                            self.partial = None;
                            Item::Close(c.code, c.was_clean)
                        }
                        other => panic!("unexpected {other:?}"),
                    };
                    self.items.push(item);
                }
                StreamEvent::MessageStart(kind) => {
                    assert!(self.partial.is_none(), "start inside a streamed message");
                    self.partial = Some((kind, Vec::new()));
                }
                StreamEvent::MessageChunk(c) => {
                    let (kind, data) = self.partial.as_mut().expect("chunk outside a message");
                    assert!(!c.is_empty(), "empty chunk");
                    if *kind == MessageKind::Text {
                        assert!(std::str::from_utf8(&c).is_ok(), "chunk splits a code point");
                    }
                    data.extend_from_slice(&c);
                }
                StreamEvent::MessageEnd => {
                    let (kind, data) = self.partial.take().expect("end outside a message");
                    self.items.push(Item::Message(kind, data));
                }
            }
        }
    }
}

/// Feeds `wire` in pieces of `sizes` (cycled) as a driver does; returns what the
/// application saw and what the connection wrote.
fn drive(conn: &mut Connection, wire: &[u8], sizes: &[u8], stream: bool) -> (Vec<Item>, Vec<u8>) {
    let mut seen = Collector::default();
    let mut out = Vec::new();
    let (mut pos, mut k) = (0, 0);
    loop {
        if stream && conn.wants_read() {
            assert!(
                conn.poll_stream_event().is_none(),
                "output waits while reading"
            );
        }
        seen.take(conn, stream);
        out.extend(drain(conn));
        if stream {
            // Bounded: one piece (at most 255 bytes), a frame header, one inflate step.
            assert!(conn.receive_buffered() <= 255 + 14 + (32 << 10) + 3);
        }
        if pos == wire.len() || !conn.wants_read() {
            break;
        }
        let size = sizes
            .get(k % sizes.len().max(1))
            .map_or(64, |&s| usize::from(s).max(1));
        let n = size.min(wire.len() - pos);
        k += 1;
        conn.handle_input(T0, &wire[pos..pos + n]);
        pos += n;
    }
    (seen.items, out)
}

/// Decodes the frames a connection wrote: (opcode, unmasked payload).
fn decode(mut buf: &[u8]) -> Vec<(OpCode, Vec<u8>)> {
    let mut frames = Vec::new();
    while !buf.is_empty() {
        let Ok(Status::Complete((h, n))) = FrameHeader::parse(buf) else {
            panic!("undecodable output {buf:?}");
        };
        let len = usize::try_from(h.payload_len).expect("small frame");
        let mut payload = buf[n..n + len].to_vec();
        if let Some(k) = h.mask {
            apply_mask(&mut payload, k, 0);
        }
        frames.push((h.opcode, payload));
        buf = &buf[n + len..];
    }
    frames
}

/// `b` is `a` with some of the pongs right before its final Close missing.
fn fewer_pongs_before_close(a: &[(OpCode, Vec<u8>)], b: &[(OpCode, Vec<u8>)]) -> bool {
    let (Some(ca), Some(cb)) = (a.last(), b.last()) else {
        return false;
    };
    if ca != cb || ca.0 != OpCode::Close || b.len() > a.len() {
        return false;
    }
    let keep = b.len() - 1;
    a[..keep] == b[..keep] && a[keep..a.len() - 1].iter().all(|f| f.0 == OpCode::Pong)
}

fn protocol_error(e: ProtocolError) -> Item {
    Item::Error(format!("{:?}", Error::Protocol(e)))
}

/// Checks one structured input; returns how many messages whole-message mode delivered.
pub fn check(input: &Input) -> usize {
    let deflate = extension(input.deflate);
    let role = if input.client {
        Role::Client
    } else {
        Role::Server
    };
    let limits = limits(input.tight);
    let wire = wire(input, role, deflate);
    let streaming = Streaming {
        enabled: true,
        max_streamed_message_size: Some(limits.max_message_size),
    };
    let mut whole = open(role, deflate, Streaming::default(), limits);
    let mut streamed = open(role, deflate, streaming, limits);
    let (a, out_a) = drive(&mut whole, &wire, &input.sizes, false);
    let (b, out_b) = drive(&mut streamed, &wire, &input.sizes, true);
    let messages = a.iter().filter(|i| matches!(i, Item::Message(..))).count();
    if a == b {
        if out_a != out_b {
            // Streaming failed sooner, inside a compressed frame that whole-message
            // mode waited for: a pong still pending then is dropped by the Close.
            let (fa, fb) = (decode(&out_a), decode(&out_b));
            assert!(
                deflate.is_some() && fewer_pongs_before_close(&fa, &fb),
                "different bytes written:\n{fa:?}\n{fb:?}"
            );
        }
        return messages;
    }
    assert!(deflate.is_some(), "whole {a:?}\nstreamed {b:?}");
    let failure = |items: &[Item]| matches!(items, [Item::Error(_), Item::Close(1006, false)]);
    if b.len() == a.len() + 2
        && b.starts_with(&a)
        && failure(&b[a.len()..])
        && whole.ready_state() == ReadyState::Open
    {
        return messages;
    }
    assert_eq!(a.len(), b.len(), "whole {a:?}\nstreamed {b:?}");
    let i = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .expect("a difference");
    let inflate_failure = [
        ProtocolError::MessageTooLarge,
        ProtocolError::InvalidCompressedData,
    ]
    .into_iter()
    .any(|e| a[i] == protocol_error(e));
    assert!(
        inflate_failure && b[i] == protocol_error(ProtocolError::InvalidUtf8),
        "whole {a:?}\nstreamed {b:?}"
    );
    assert_eq!(a[i + 1..], b[i + 1..]);
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random inputs (xorshift), decoded as the fuzzer's would be.
    #[test]
    fn self_check() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut messages = 0;
        for round in 0..1500 {
            let len = 16 + (next() % 2048) as usize;
            let data: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let Ok(mut input) = Input::arbitrary_take_rest(Unstructured::new(&data)) else {
                continue;
            };
            // Mostly well-formed traffic: random bytes rarely are.
            if round % 4 != 0 {
                input
                    .pieces
                    .retain(|p| matches!(p, Piece::Message { .. } | Piece::Long { .. }));
            }
            messages += check(&input);
        }
        println!("{messages} messages compared");
        assert!(messages > 300, "{messages}");
    }

    /// A hand-written case: fragmented compressed text with a ping in between and a
    /// code point split across fragments, under byte-by-byte input.
    #[test]
    fn fragmented_compressed_text() {
        for deflate in 0..3 {
            for client in [false, true] {
                let input = Input {
                    deflate,
                    client,
                    tight: false,
                    sizes: vec![1, 7, 200],
                    pieces: vec![
                        Piece::Message {
                            text: true,
                            data: "héllo 😀 wörld ".repeat(50).into_bytes(),
                            fragment: 5,
                            compress: true,
                            ping: true,
                        },
                        Piece::Long {
                            byte: b'z',
                            kib: 70,
                            fragment_kib: 17,
                            compress: true,
                        },
                        Piece::Message {
                            text: true,
                            data: b"bad \xff text".to_vec(),
                            fragment: 3,
                            compress: false,
                            ping: false,
                        },
                    ],
                    close: true,
                };
                assert!(check(&input) >= 2);
            }
        }
    }
}
