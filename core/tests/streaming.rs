//! Streaming receive (issue 13): a data message delivered as start, chunks and end
//! ([`Connection::poll_stream_event`]) must carry exactly the bytes, and end in exactly
//! the close or failure, that whole-message mode gives on the same wire bytes, under
//! every input chunking, while the engine holds a bounded number of bytes however large
//! the message. Every case runs with and without permessage-deflate agreed, so the
//! file needs the `deflate` feature.
#![cfg(feature = "deflate")]

mod common;

use std::time::Duration;

use common::{config, drain};
use proptest::prelude::*;
use websock_core::handshake::Agreement;
use websock_core::{
    Bytes, Connection, Event, Limits, MessageKind, ProtocolError, Role, StreamEvent, Streaming,
};

const T0: Duration = Duration::ZERO;
const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

/// What an application saw, with streamed messages put back together.
#[derive(Debug, Clone, PartialEq)]
enum Item {
    Message(MessageKind, Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Error(String),
    Close(u16, bool),
}

/// The extension header of a permessage-deflate agreement (`None`: no extension).
fn agreement(deflate: Option<&str>) -> Agreement {
    Agreement::from_headers(None, deflate).expect("valid agreement")
}

/// An open connection (HTTP done elsewhere), its Open event taken.
fn open(
    role: Role,
    deflate: Option<&str>,
    streaming: Streaming,
    limits: Limits,
    seed: u64,
) -> Connection {
    let mut cfg = config(seed);
    cfg.limits = limits;
    cfg.streaming = streaming;
    cfg.deflate.min_message_size = 0;
    let mut c = Connection::upgraded_with(role, agreement(deflate), cfg, T0);
    assert!(matches!(c.poll_event(), Some(Event::Open(_))));
    c
}

fn streaming(max: Option<usize>) -> Streaming {
    Streaming {
        enabled: true,
        max_streamed_message_size: max,
    }
}

/// Collects an application's view; checks the streamed pieces' contract on the way.
#[derive(Default)]
struct Collector {
    items: Vec<Item>,
    partial: Option<(MessageKind, Vec<u8>)>,
    chunks: usize,
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
                            // A streamed message cut short is dropped, as whole-message
                            // mode drops an unfinished message.
                            self.partial = None;
                            Item::Close(c.code, c.was_clean)
                        }
                        other => panic!("unexpected {other:?}"),
                    };
                    self.items.push(item);
                }
                StreamEvent::MessageStart(kind) => {
                    assert!(self.partial.is_none(), "start inside a message");
                    self.partial = Some((kind, Vec::new()));
                }
                StreamEvent::MessageChunk(c) => {
                    let (kind, data) = self.partial.as_mut().expect("chunk outside a message");
                    assert!(!c.is_empty(), "empty chunk");
                    if *kind == MessageKind::Text {
                        assert!(std::str::from_utf8(&c).is_ok(), "chunk splits a code point");
                    }
                    data.extend_from_slice(&c);
                    self.chunks += 1;
                }
                StreamEvent::MessageEnd => {
                    let (kind, data) = self.partial.take().expect("end outside a message");
                    self.items.push(Item::Message(kind, data));
                }
            }
        }
    }
}

/// Feeds `wire` to `conn` in pieces of the sizes in `sizes` (cycled), as a driver
/// does: read only when it wants to read, take every output in between. Returns what
/// the application saw and what the connection wrote.
fn drive(
    conn: &mut Connection,
    wire: &[u8],
    sizes: &[usize],
    stream: bool,
) -> (Vec<Item>, Vec<u8>) {
    let mut seen = Collector::default();
    let mut out = Vec::new();
    let mut pos = 0;
    let mut k = 0;
    loop {
        if stream && conn.wants_read() {
            // Nothing waits while the engine asks for input.
            assert!(
                conn.poll_stream_event().is_none(),
                "output waits while reading"
            );
        }
        seen.take(conn, stream);
        out.extend(drain(conn));
        if pos == wire.len() || !conn.wants_read() {
            break;
        }
        let n = sizes[k % sizes.len()].clamp(1, wire.len() - pos);
        k += 1;
        conn.handle_input(T0, &wire[pos..pos + n]);
        pos += n;
    }
    (seen.items, out)
}

/// One message as a sender sends it.
#[derive(Debug, Clone)]
struct Msg {
    text: bool,
    data: Vec<u8>,
    /// Fragment size (0: one frame).
    fragment: usize,
    compress: bool,
    /// A ping between its fragments.
    ping: bool,
}

/// The wire bytes of `messages` as a client sends them (masked), then a Close.
fn client_wire(deflate: Option<&str>, messages: &[Msg], close: bool) -> Vec<u8> {
    let mut c = open(
        Role::Client,
        deflate,
        Streaming::default(),
        Limits {
            max_send_queue: usize::MAX,
            ..Limits::default()
        },
        11,
    );
    let mut wire = Vec::new();
    for m in messages {
        let kind = if m.text {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        let parts: Vec<&[u8]> = if m.fragment == 0 || m.data.is_empty() {
            vec![&m.data[..]]
        } else {
            m.data.chunks(m.fragment).collect()
        };
        for (i, part) in parts.iter().enumerate() {
            let fin = i + 1 == parts.len();
            c.send_fragment_with(kind, Bytes::copy_from_slice(part), fin, m.compress)
                .unwrap();
            if m.ping && !fin {
                c.ping(Bytes::from_static(b"between")).unwrap();
            }
            wire.extend(drain(&mut c));
        }
    }
    if close {
        c.close(T0, Some(1000), "done").unwrap();
        wire.extend(drain(&mut c));
    }
    wire
}

/// Whole-message and streaming mode agree on `wire`, fed in pieces of `sizes`.
fn assert_same(deflate: Option<&str>, limits: Limits, wire: &[u8], sizes: &[usize]) {
    let mut whole = open(Role::Server, deflate, Streaming::default(), limits, 1);
    let mut streamed = open(
        Role::Server,
        deflate,
        streaming(Some(limits.max_message_size)),
        limits,
        1,
    );
    let (a, out_a) = drive(&mut whole, wire, sizes, false);
    let (b, out_b) = drive(&mut streamed, wire, sizes, true);
    if a == b {
        if out_a != out_b {
            // Streaming failed sooner, inside a compressed frame that whole-message
            // mode waited for: a pong still pending then is dropped by the Close.
            let (fa, fb) = (common::decode_frames(&out_a), common::decode_frames(&out_b));
            assert!(
                deflate.is_some() && fewer_pongs_before_close(&fa, &fb),
                "{fa:?}\n{fb:?}"
            );
        }
        return;
    }
    let failure = |items: &[Item]| matches!(items, [Item::Error(_), Item::Close(1006, false)]);
    // Streaming fails on the part of a frame it has: when the input ends inside a
    // compressed frame, whole-message mode has not looked at it yet.
    if deflate.is_some()
        && b.len() == a.len() + 2
        && b.starts_with(&a)
        && failure(&b[a.len()..])
        && whole.ready_state() == websock_core::dom::ReadyState::Open
    {
        return;
    }
    // One difference is allowed: a compressed text message that fails in the middle of
    // a frame. Whole-message mode inflates the frame before validating it and reports
    // what inflating found (too large, corrupt); streaming validates every step and
    // reports invalid UTF-8 as soon as it is seen.
    assert!(deflate.is_some(), "{a:?}\n{b:?}");
    let n = a.len().min(b.len());
    assert_eq!(a.len(), b.len(), "{a:?}\n{b:?}");
    for i in 0..n {
        if a[i] != b[i] {
            let stream_utf8 = b[i]
                == Item::Error(format!(
                    "{:?}",
                    websock_core::Error::Protocol(ProtocolError::InvalidUtf8)
                ));
            let whole_inflate = [
                ProtocolError::MessageTooLarge,
                ProtocolError::InvalidCompressedData,
            ]
            .iter()
            .any(|e| a[i] == Item::Error(format!("{:?}", websock_core::Error::Protocol(*e))));
            assert!(stream_utf8 && whole_inflate, "{a:?}\n{b:?}");
            assert_eq!(a[i + 1..], b[i + 1..]);
            return;
        }
    }
}

/// `b` is `a` with some of the pongs right before its final Close missing.
fn fewer_pongs_before_close(a: &[common::Frame], b: &[common::Frame]) -> bool {
    use websock_core::frame::OpCode;
    let (Some(ca), Some(cb)) = (a.last(), b.last()) else {
        return false;
    };
    if ca != cb || ca.opcode != OpCode::Close || b.len() > a.len() {
        return false;
    }
    let keep = b.len() - 1;
    a[..keep] == b[..keep]
        && a[keep..a.len() - 1]
            .iter()
            .all(|f| f.opcode == OpCode::Pong)
}

fn msg() -> impl Strategy<Value = Msg> {
    let data = prop_oneof![
        4 => "[a-z é€😀\u{10FFFF}]{0,300}".prop_map(String::into_bytes),
        2 => "[ab]{0,3000}".prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..300),
        1 => proptest::collection::vec(proptest::sample::select(vec![b'a', 0xce, 0xba, 0xf0, 0x9f, 0x98, 0x80]), 0..40),
    ];
    let fragment = prop_oneof![Just(0usize), 1usize..60, 60usize..4000];
    (any::<bool>(), data, fragment, any::<bool>(), any::<bool>()).prop_map(
        |(text, data, fragment, compress, ping)| Msg {
            text,
            data,
            fragment,
            compress,
            ping,
        },
    )
}

const SMALL: Limits = Limits {
    max_frame_size: 64 * KIB,
    max_message_size: 2500,
    max_fragments: 40,
    max_handshake_size: 4 * KIB,
    max_headers: 32,
    max_send_queue: 256 * KIB,
};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Streaming equals whole-message mode: text and binary, fragmented or not, with
    /// pings in between, valid or not, over the limit or not, with and without
    /// permessage-deflate (with and without context takeover), under any chunking.
    #[test]
    fn streaming_equals_whole_messages(
        messages in proptest::collection::vec(msg(), 0..6),
        sizes in proptest::collection::vec(1usize..300, 1..6),
        deflate in 0u8..3,
        close in any::<bool>(),
    ) {
        let deflate = match deflate {
            0 => None,
            1 => Some("permessage-deflate"),
            _ => Some("permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
        };
        let wire = client_wire(deflate, &messages, close);
        assert_same(deflate, SMALL, &wire, &sizes);
        // Byte by byte too, now and then.
        if wire.len() < 600 {
            assert_same(deflate, SMALL, &wire, &[1]);
        }
    }

    /// Arbitrary bytes after a valid start: both modes end the same way.
    #[test]
    fn arbitrary_frames_agree(
        junk in proptest::collection::vec(any::<u8>(), 0..400),
        sizes in proptest::collection::vec(1usize..64, 1..4),
        deflate in any::<bool>(),
    ) {
        let deflate = deflate.then_some("permessage-deflate");
        let mut wire = client_wire(deflate, &[Msg { text: true, data: "héllo wörld".repeat(20).into_bytes(), fragment: 7, compress: true, ping: true }], false);
        wire.extend_from_slice(&junk);
        assert_same(deflate, SMALL, &wire, &sizes);
    }
}

/// Text that deflate cannot shrink much: pseudo-random code points of 1 to 4 bytes.
fn noisy_text(len: usize) -> Vec<u8> {
    let chars = ['a', 'q', 'é', 'ж', '€', '字', '😀', '𝄞', 'z', ' '];
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut s = String::with_capacity(len + 4);
    while s.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push(chars[(x % chars.len() as u64) as usize]);
    }
    s.into_bytes()
}

/// A masked client frame.
fn client_frame(opcode: u8, fin: bool, rsv1: bool, payload: &[u8]) -> Vec<u8> {
    let mut f = common::client_frame(opcode, fin, payload);
    if rsv1 {
        f[0] |= 0x40;
    }
    f
}

#[test]
fn pieces_arrive_as_they_are_read() {
    let mut s = open(Role::Server, None, streaming(None), Limits::default(), 1);
    let text = "κόσμε".repeat(1000);
    let wire = client_frame(0x1, true, false, text.as_bytes());
    // The header and 3 bytes: the start, and "κ" (2 bytes) with the next byte held.
    s.handle_input(T0, &wire[..8 + 3]);
    assert!(matches!(
        s.poll_stream_event(),
        Some(StreamEvent::MessageStart(MessageKind::Text))
    ));
    let Some(StreamEvent::MessageChunk(c)) = s.poll_stream_event() else {
        panic!()
    };
    assert_eq!(&c[..], "κ".as_bytes());
    assert!(s.poll_stream_event().is_none());
    assert!(s.wants_read());
    assert_eq!(s.receive_buffered(), 1);
    // poll_event does not hand out pieces.
    s.handle_input(T0, &wire[11..20]);
    assert!(!s.wants_read(), "a chunk waits");
    assert!(s.poll_event().is_none());
    let mut got = c.to_vec();
    let Some(StreamEvent::MessageChunk(c)) = s.poll_stream_event() else {
        panic!()
    };
    assert_eq!(&c[..], "όσμεκ".as_bytes());
    got.extend_from_slice(&c);
    s.handle_input(T0, &wire[20..]);
    loop {
        match s.poll_stream_event() {
            Some(StreamEvent::MessageChunk(c)) => got.extend_from_slice(&c),
            Some(StreamEvent::MessageEnd) => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(got, text.as_bytes());
    assert!(s.poll_stream_event().is_none());
    assert_eq!(s.receive_buffered(), 0);
}

#[test]
fn code_points_split_across_frames_are_joined() {
    let mut s = open(Role::Server, None, streaming(None), Limits::default(), 1);
    let text = "a😀b€";
    let bytes = text.as_bytes();
    // Frames of 2, 1, 1, 2, 3 bytes: the emoji spans three frames.
    let mut wire = client_frame(0x1, false, false, &bytes[..2]);
    wire.extend(client_frame(0x0, false, false, &bytes[2..3]));
    wire.extend(client_frame(0x9, true, false, b"p"));
    wire.extend(client_frame(0x0, false, false, &bytes[3..4]));
    wire.extend(client_frame(0x0, false, false, &bytes[4..6]));
    wire.extend(client_frame(0x0, true, false, &bytes[6..]));
    s.handle_input(T0, &wire);
    let mut chunks = Vec::new();
    let mut ping = false;
    while let Some(e) = s.poll_stream_event() {
        match e {
            StreamEvent::MessageChunk(c) => chunks.push(String::from_utf8(c.to_vec()).unwrap()),
            StreamEvent::Event(Event::Ping(_)) => ping = true,
            StreamEvent::MessageEnd => break,
            StreamEvent::MessageStart(_) => {}
            other => panic!("{other:?}"),
        }
    }
    assert!(ping);
    assert_eq!(chunks.concat(), text);
    assert!(chunks.contains(&"😀".to_string()), "{chunks:?}");
}

#[test]
fn mode_switches_per_message() {
    let mut s = open(
        Role::Server,
        None,
        Streaming::default(),
        Limits::default(),
        1,
    );
    assert!(!s.stream_messages());
    let mut wire = client_frame(0x2, true, false, b"whole");
    wire.extend(client_frame(0x2, true, false, b"streamed"));
    wire.extend(client_frame(0x1, true, false, b"whole again"));
    s.handle_input(T0, &wire);
    let Some(Event::Message(m)) = s.poll_event() else {
        panic!()
    };
    assert_eq!(m.as_bytes(), b"whole");
    s.set_stream_messages(true);
    assert!(matches!(
        s.poll_stream_event(),
        Some(StreamEvent::MessageStart(MessageKind::Binary))
    ));
    s.set_stream_messages(false);
    assert!(matches!(s.poll_stream_event(), Some(StreamEvent::MessageChunk(c)) if c == "streamed"));
    assert!(matches!(
        s.poll_stream_event(),
        Some(StreamEvent::MessageEnd)
    ));
    assert!(!s.is_streaming_message());
    assert!(matches!(s.poll_event(), Some(Event::Message(m)) if m.as_bytes() == b"whole again"));
}

/// Invalid UTF-8 in the middle of a long streamed text fails with 1007 at once,
/// before the rest of the message is fed; what came before it was delivered.
#[test]
fn invalid_utf8_fails_before_the_rest_arrives() {
    for deflate in [None, Some("permessage-deflate")] {
        let mut text = noisy_text(1_200_000);
        let bad = text[600_000..].iter().position(|&b| b == b'a').unwrap() + 600_000;
        text[bad] = 0xff;
        let wire = if deflate.is_some() {
            client_wire(
                deflate,
                &[Msg {
                    text: true,
                    data: text.clone(),
                    fragment: 100_000,
                    compress: true,
                    ping: false,
                }],
                false,
            )
        } else {
            client_frame(0x1, true, false, &text)
        };
        let mut s = open(Role::Server, deflate, streaming(None), Limits::default(), 1);
        let mut delivered = 0;
        let mut failed_at = None;
        for (i, piece) in wire.chunks(4 * KIB).enumerate() {
            assert!(s.wants_read(), "{deflate:?}");
            s.handle_input(T0, piece);
            while let Some(e) = s.poll_stream_event() {
                match e {
                    StreamEvent::MessageChunk(c) => delivered += c.len(),
                    StreamEvent::Event(Event::Error(e)) => {
                        assert_eq!(e, websock_core::Error::Protocol(ProtocolError::InvalidUtf8));
                        failed_at = Some(i);
                    }
                    StreamEvent::Event(Event::Close(c)) => assert_eq!(c.code, 1006),
                    _ => {}
                }
            }
            if failed_at.is_some() {
                break;
            }
        }
        let failed_at = failed_at.expect("failed");
        let fed = (failed_at + 1) * 4 * KIB;
        assert!(
            fed < wire.len() * 3 / 4,
            "{deflate:?}: {fed} of {}",
            wire.len()
        );
        assert!(
            delivered <= bad && delivered > bad - 64 * KIB,
            "{delivered} {bad}"
        );
        // The Close frame sent says 1007.
        let out = drain(&mut s);
        let frames = common::decode_frames(&out);
        assert_eq!(common::close_code(&frames), Some(1007));
    }
}

#[test]
fn max_streamed_message_size_is_enforced() {
    // Uncompressed: checked at each header, before the payload.
    let mut s = open(
        Role::Server,
        None,
        streaming(Some(1000)),
        Limits::default(),
        1,
    );
    let mut wire = client_frame(0x2, false, false, &[1; 600]);
    wire.extend(client_frame(0x0, true, false, &[2; 401]));
    s.handle_input(T0, &wire);
    let mut got = Vec::new();
    while let Some(e) = s.poll_stream_event() {
        got.push(e);
    }
    assert!(matches!(
        got[0],
        StreamEvent::MessageStart(MessageKind::Binary)
    ));
    assert!(matches!(&got[1], StreamEvent::MessageChunk(c) if c.len() == 600));
    assert!(matches!(
        got[2],
        StreamEvent::Event(Event::Error(websock_core::Error::Protocol(
            ProtocolError::MessageTooLarge
        )))
    ));
    assert!(matches!(got[3], StreamEvent::Event(Event::Close(_))));
    assert_eq!(
        common::close_code(&common::decode_frames(&drain(&mut s))),
        Some(1009)
    );
    // It replaces max_message_size: a larger message passes with a larger limit.
    let limits = Limits {
        max_message_size: 100,
        ..Limits::default()
    };
    let mut s = open(Role::Server, None, streaming(Some(1001)), limits, 1);
    s.handle_input(T0, &wire);
    let mut n = 0;
    while let Some(e) = s.poll_stream_event() {
        match e {
            StreamEvent::MessageChunk(c) => n += c.len(),
            StreamEvent::MessageEnd => break,
            StreamEvent::MessageStart(_) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(n, 1001);
    // Compressed: checked on the inflated size.
    let deflate = Some("permessage-deflate");
    let wire = client_wire(
        deflate,
        &[Msg {
            text: false,
            data: vec![0; 100_000],
            fragment: 0,
            compress: true,
            ping: false,
        }],
        false,
    );
    assert!(wire.len() < 1000);
    let mut s = open(
        Role::Server,
        deflate,
        streaming(Some(99_999)),
        Limits::default(),
        1,
    );
    s.handle_input(T0, &wire);
    let mut n = 0;
    let mut error = None;
    while let Some(e) = s.poll_stream_event() {
        match e {
            StreamEvent::MessageChunk(c) => n += c.len(),
            StreamEvent::Event(Event::Error(e)) => error = Some(e),
            _ => {}
        }
    }
    assert_eq!(
        error,
        Some(websock_core::Error::Protocol(
            ProtocolError::MessageTooLarge
        ))
    );
    assert!(n <= 99_999);
    assert_eq!(
        common::close_code(&common::decode_frames(&drain(&mut s))),
        Some(1009)
    );
}

/// Unmasked server frames of a 256 MiB binary message (16 MiB frames), fed in 16 KiB
/// reads: the engine never holds more than about one read.
#[test]
fn a_huge_streamed_message_stays_bounded() {
    const TOTAL: usize = 256 * MIB;
    const FRAME: usize = 16 * MIB;
    const READ: usize = 16 * KIB;
    let mut c = open(Role::Client, None, streaming(None), Limits::default(), 2);
    let payload = vec![0x5au8; READ];
    let mut delivered = 0usize;
    let mut max_held = 0usize;
    let mut chunks = 0usize;
    let mut ended = false;
    let mut take = |c: &mut Connection| {
        while let Some(e) = c.poll_stream_event() {
            max_held = max_held.max(c.receive_buffered());
            match e {
                StreamEvent::MessageChunk(b) => {
                    assert!(b.len() <= READ);
                    delivered += b.len();
                    chunks += 1;
                }
                StreamEvent::MessageEnd => ended = true,
                StreamEvent::MessageStart(k) => assert_eq!(k, MessageKind::Binary),
                other => panic!("{other:?}"),
            }
        }
        max_held = max_held.max(c.receive_buffered());
    };
    for f in 0..TOTAL / FRAME {
        let (op, fin) = (if f == 0 { 0x2 } else { 0x0 }, f + 1 == TOTAL / FRAME);
        let mut header = common::frame(op, fin, None, &[]);
        header[1] = 127;
        header.extend_from_slice(&(FRAME as u64).to_be_bytes());
        assert!(c.wants_read());
        c.handle_input(T0, &header);
        take(&mut c);
        let mut sent = 0;
        while sent < FRAME {
            assert!(c.wants_read());
            c.handle_input(T0, &payload);
            sent += READ;
            take(&mut c);
        }
    }
    assert!(ended);
    assert_eq!(delivered, TOTAL);
    assert!(max_held <= READ, "held {max_held}");
    assert!(chunks >= TOTAL / READ);
    println!("256 MiB streamed in {chunks} chunks, at most {max_held} bytes held");
}

/// A deflate stream that inflates to `len` zero bytes (fixed Huffman: a literal 0,
/// then copies of 258 at distance 1), ending with the sync flush's header whose
/// `00 00 ff ff` the sender removes (RFC 7692 §7.2.1).
fn zero_bomb(len: usize) -> Vec<u8> {
    struct Bits {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }
    impl Bits {
        fn put(&mut self, value: u32, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code: most significant bit first.
        fn code(&mut self, code: u32, count: u32) {
            for i in (0..count).rev() {
                self.put((code >> i) & 1, 1);
            }
        }
    }
    let mut b = Bits {
        out: Vec::new(),
        acc: 0,
        n: 0,
    };
    b.put(0, 1); // not final
    b.put(1, 2); // fixed Huffman
    b.code(0x30, 8); // literal 0
    let mut made = 1;
    while made + 258 <= len {
        b.code(0xc5, 8); // length 258 (code 285)
        b.code(0, 5); // distance 1
        made += 258;
    }
    while made < len {
        b.code(0x30, 8);
        made += 1;
    }
    b.code(0, 7); // end of block
    b.put(0, 3); // the sync flush's empty stored block header
    if b.n > 0 {
        b.put(0, 8 - b.n);
    }
    b.out
}

/// A compressed message inflating to 256 MiB goes through in bounded steps; with a
/// limit it is stopped there; whole-message mode refuses it at its limit.
#[test]
fn a_deflate_bomb_stays_bounded() {
    let deflate = Some("permessage-deflate");
    const LEN: usize = 256 * MIB;
    let bomb = zero_bomb(LEN);
    assert!(bomb.len() < 2 * MIB);
    let wire = {
        let mut f = common::frame(0x2, true, None, &bomb);
        f[0] |= 0x40;
        f
    };
    for limit in [None, Some(10 * MIB)] {
        let mut c = open(
            Role::Client,
            deflate,
            streaming(limit),
            Limits::default(),
            2,
        );
        let mut delivered = 0;
        let mut max_held = 0;
        let mut max_chunk = 0;
        let mut outcome = None;
        for piece in wire.chunks(64 * KIB) {
            c.handle_input(T0, piece);
            while let Some(e) = c.poll_stream_event() {
                max_held = max_held.max(c.receive_buffered());
                match e {
                    StreamEvent::MessageChunk(b) => {
                        delivered += b.len();
                        max_chunk = max_chunk.max(b.len());
                    }
                    StreamEvent::MessageEnd => outcome = Some(Ok(())),
                    StreamEvent::Event(Event::Error(e)) => outcome = Some(Err(e)),
                    _ => {}
                }
            }
            if outcome.is_some() {
                break;
            }
        }
        assert!(max_chunk <= 32 * KIB);
        assert!(max_held <= 64 * KIB + 32 * KIB, "{max_held}");
        match limit {
            None => {
                assert_eq!(outcome, Some(Ok(())));
                assert_eq!(delivered, LEN);
            }
            Some(l) => {
                assert_eq!(
                    outcome,
                    Some(Err(websock_core::Error::Protocol(
                        ProtocolError::MessageTooLarge
                    )))
                );
                assert!(delivered <= l);
            }
        }
    }
}

/// While a streamed compressed message has more output to give, the engine does not
/// read: one inflate step waits at a time.
#[test]
fn inflate_output_is_taken_step_by_step() {
    let deflate = Some("permessage-deflate");
    let bomb = zero_bomb(MIB);
    let mut f = common::frame(0x2, true, None, &bomb);
    f[0] |= 0x40;
    let mut c = open(Role::Client, deflate, streaming(None), Limits::default(), 2);
    c.handle_input(T0, &f);
    assert!(matches!(
        c.poll_stream_event(),
        Some(StreamEvent::MessageStart(_))
    ));
    let mut n = 0;
    loop {
        match c.poll_stream_event() {
            Some(StreamEvent::MessageChunk(b)) => {
                n += b.len();
                if n < MIB {
                    // More to inflate: no reading, and nothing more until polled.
                    assert!(!c.wants_read());
                }
            }
            Some(StreamEvent::MessageEnd) => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(n, MIB);
    assert!(c.wants_read());
}

/// A text frame that turns out invalid after part of it was streamed: what counts toward
/// the drain budget (the connection finishes once 64 KiB were read and discarded after
/// a failure) is counted from the failing frame's payload start, whether the message
/// streams or not and however the input was split.
#[test]
fn the_drain_budget_after_a_bad_frame_does_not_depend_on_the_mode_or_the_split() {
    for len in [60 * KIB, 70 * KIB] {
        let mut payload = vec![b'a'; len];
        payload[8 * KIB] = 0xff;
        let wire = common::client_frame(0x1, true, &payload);
        for stream in [false, true] {
            for size in [wire.len(), 4 * KIB, 1000] {
                let mode = if stream {
                    streaming(None)
                } else {
                    Streaming::default()
                };
                let mut s = open(Role::Server, None, mode, Limits::default(), 5);
                let (items, out) = drive(&mut s, &wire, &[size], stream);
                assert!(
                    items.contains(&Item::Close(1006, false)),
                    "{:?}",
                    items.last()
                );
                assert!(!out.is_empty(), "no Close frame written");
                assert_eq!(
                    s.is_finished(),
                    len > 64 * KIB,
                    "{len} bytes, streamed: {stream}, reads of {size}"
                );
            }
        }
    }
}
