//! Hand-written seed inputs: valid conversations and the Autobahn-style edge cases, for
//! every target. `cargo test` replays them directly; `cargo run --example write_seeds`
//! writes them into `corpus/<target>/` as a starting corpus for libFuzzer.

use crate::conn::{self, Data, Mode, Op, Script};
use crate::handshake_response::ACCEPT;
use crate::head_model::HeadInput;
use crate::util::Mix;

/// A named seed input.
pub type Seed = (String, Vec<u8>);

/// The seeds of the target called `target` (empty for an unknown name).
pub fn seeds(target: &str) -> Vec<Seed> {
    match target {
        "handshake_request" => handshake_request(),
        "handshake_response" => handshake_response(),
        "server_connection" => connection(websock_core::Role::Server),
        "client_connection" => connection(websock_core::Role::Client),
        "frame_header" => random(target, &[2, 8, 16, 24, 40]),
        "utf8" => random(target, &[16, 64, 256, 1024]),
        "mask" => random(target, &[8, 20, 64, 300]),
        "pair" => random(target, &[16, 64, 128, 256, 512, 1024]),
        "deflate_negotiation" => deflate_negotiation(),
        "inflate_limit" => inflate_limit(),
        "streaming" => streaming(),
        _ => Vec::new(),
    }
}

/// Pseudo-random inputs of the given lengths (the structured targets decode any bytes).
fn random(target: &str, lens: &[usize]) -> Vec<Seed> {
    let mut mix = Mix(crate::util::hash(target.as_bytes()));
    lens.iter()
        .map(|&n| {
            let bytes = (0..n).map(|_| mix.next() as u8).collect();
            (format!("random-{n}"), bytes)
        })
        .collect()
}

/// Pseudo-random inputs that decode to real traffic: the first found for each extension
/// setting and receiving role whose whole-message receiver gets at least two messages.
fn streaming() -> Vec<Seed> {
    use crate::streaming::{check, Input};
    use arbitrary::{Arbitrary, Unstructured};
    let mut mix = Mix(crate::util::hash(b"streaming"));
    let mut found = [[false; 2]; 3];
    let mut out = Vec::new();
    for n in 0..2000 {
        let len = [64, 128, 256, 512][n % 4];
        let bytes: Vec<u8> = (0..len).map(|_| mix.next() as u8).collect();
        let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(&bytes)) else {
            continue;
        };
        let (deflate, client) = (usize::from(input.deflate % 3), usize::from(input.client));
        if found[deflate][client] || check(&input) < 2 {
            continue;
        }
        found[deflate][client] = true;
        let role = ["server", "client"][client];
        let ext = ["plain", "deflate", "deflate-no-takeover"][deflate];
        out.push((format!("{ext}-{role}-{n}"), bytes));
        if out.len() == 6 {
            break;
        }
    }
    out
}

fn deflate_negotiation() -> Vec<Seed> {
    use crate::deflate_negotiation::Input;
    // (name, server config, client config, header): RFC 7692's examples and variants.
    let default = [0, 15, 15];
    let cases: &[(&str, [u8; 3], [u8; 3], &str)] = &[
        ("offer-plain", default, default, "permessage-deflate"),
        (
            "offer-client-bits",
            default,
            default,
            "permessage-deflate; client_max_window_bits",
        ),
        (
            "offer-fallback",
            [0, 15, 11],
            [6, 10, 9],
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10, \
             permessage-deflate; client_max_window_bits",
        ),
        (
            "offer-all",
            [6, 9, 12],
            [2, 12, 8],
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=\"10\"; client_max_window_bits=8",
        ),
        (
            "response-full",
            [0, 8, 8],
            [2, 10, 12],
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; \
             client_max_window_bits=12",
        ),
        (
            "mixed-case-and-others",
            [0xf0, 0, 255],
            [0x11, 16, 7],
            "x-foo; a=\"b\\\"c\", Permessage-Deflate, permessage-deflate; Server_No_Context_Takeover, x-bar",
        ),
        (
            "invalid-values",
            default,
            default,
            "permessage-deflate; server_max_window_bits=16, permessage-deflate; \
             client_max_window_bits=08, permessage-deflate; server_max_window_bits",
        ),
        ("duplicates", default, [4, 15, 15], "permessage-deflate; client_no_context_takeover; client_no_context_takeover, permessage-deflate, permessage-deflate"),
        ("disabled", [1, 15, 15], [1, 15, 15], "permessage-deflate"),
    ];
    cases
        .iter()
        .enumerate()
        .map(|(i, &(name, server, client, header))| {
            let mut bytes = Vec::new();
            Input {
                server,
                client,
                repeat: i as u8,
                header: header.as_bytes().to_vec(),
            }
            .encode(&mut bytes);
            (name.to_string(), bytes)
        })
        .collect()
}

fn inflate_limit() -> Vec<Seed> {
    use crate::inflate_limit::Input;
    use websock_core::deflate::{DeflateParams, Deflater};
    use websock_core::{BytesMut, Role};
    // A bomb: 1 MiB of zeros (about a kilobyte compressed), as the client sends it.
    let mut bomb = BytesMut::new();
    Deflater::new(DeflateParams::default(), Role::Client, 9)
        .compress(&vec![0u8; 1 << 20], &mut bomb)
        .expect("compress");
    // RFC 7692 §7.2.3: "Hello" compressed; again with the shared window; stored; with
    // BFINAL set; an empty fragment then the rest.
    let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let mut two = hello.to_vec();
    two.extend_from_slice(&[0xf2, 0x00, 0x11, 0x00, 0x00]);
    let stored = [
        0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    let bfinal = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    let raw = |name: &str, flags: u8, limit: u32, cuts: &[u8], data: &[u8]| {
        let mut bytes = Vec::new();
        Input {
            flags,
            server_bits: 7,
            client_bits: 7,
            limit,
            cuts: cuts.to_vec(),
            data: data.to_vec(),
        }
        .encode(&mut bytes);
        (name.to_string(), bytes)
    };
    let text = b"Hello, Hello, Hello! permessage-deflate round trip \xce\xbb \x00\xff ".repeat(8);
    vec![
        raw("hello", 0, 1000, &[], &hello),
        raw("hello-shared-window", 0, 1000, &[0x87, 0x85], &two),
        raw("hello-split", 0, 1000, &[1, 0, 2, 0x84], &hello),
        raw("stored", 0, 5, &[3, 0x88], &stored),
        raw(
            "bfinal",
            0,
            1000,
            &[0x88, 0x87],
            &[&bfinal[..], &hello[..]].concat(),
        ),
        raw("too-small", 0, 4, &[], &hello),
        raw("corrupt", 0, 1000, &[], &[0xff, 0xff, 0xff, 0xff]),
        raw("bomb", 0, 200 << 10, &[0x7f], &bomb),
        raw("bomb-tiny-limit", 4, (1 << 31) | 100, &[], &bomb),
        raw("bomb-small-window", 5, 64 << 10, &[0x40, 0x7f, 0x05], &bomb),
        raw(
            "round-trip",
            8 | 0x60,
            1 << 20,
            &[0x7f, 40, 0x90, 0x85, 0],
            &text,
        ),
        raw(
            "round-trip-over",
            8 | 0x90 | 3,
            (1 << 31) | 200,
            &[0x7f, 0xff],
            &text,
        ),
        raw(
            "round-trip-exact",
            8 | 4,
            (1 << 31) | 120,
            &[60, 0xbc],
            &text,
        ),
    ]
}

const GOOD_REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x-foo; a=\"b\"\r\n\r\n";

fn head_seed(name: &str, prefix: &[u8], input: &HeadInput) -> Seed {
    let mut bytes = prefix.to_vec();
    input.encode(&mut bytes);
    (name.to_string(), bytes)
}

fn handshake_request() -> Vec<Seed> {
    let good = GOOD_REQUEST.as_bytes();
    let replace = |from: &str, to: &str| GOOD_REQUEST.replacen(from, to, 1).into_bytes();
    let mut out = vec![
        head_seed("valid", &[], &HeadInput::plain(good, 4096, 32)),
        head_seed(
            "valid-byte-at-a-time",
            &[],
            &HeadInput {
                cuts: vec![1],
                ..HeadInput::plain(good, 4096, 32)
            },
        ),
        head_seed(
            "valid-odd-chunks",
            &[],
            &HeadInput {
                cuts: vec![3, 0, 17, 96],
                ..HeadInput::plain(good, 4096, 32)
            },
        ),
        head_seed("too-many-headers", &[], &HeadInput::plain(good, 4096, 3)),
        head_seed("too-large", &[], &HeadInput::plain(good, 100, 32)),
        head_seed(
            "endless-header",
            &[],
            &HeadInput {
                flood_at: 40,
                flood_byte: b'a',
                flood_count: 65535,
                cuts: vec![96],
                ..HeadInput::plain(good, 16 << 10, 32)
            },
        ),
        head_seed(
            "endless-header-lines",
            &[],
            &HeadInput {
                flood_at: 40,
                flood_byte: b'\n',
                flood_count: 1024,
                ..HeadInput::plain(b"GET / HTTP/1.1\r\nX: y\nX: y", 60000, 255)
            },
        ),
        head_seed(
            "bare-lf",
            &[],
            &HeadInput::plain(GOOD_REQUEST.replace("\r\n", "\n").as_bytes(), 4096, 32),
        ),
        head_seed(
            "leading-blank-lines-and-frames",
            &[],
            &HeadInput::plain(
                format!("\r\n\n{GOOD_REQUEST}\u{81}\u{85}").as_bytes(),
                4096,
                32,
            ),
        ),
    ];
    for (name, bytes) in [
        ("post", replace("GET", "POST")),
        ("http10", replace("HTTP/1.1", "HTTP/1.0")),
        ("no-key", replace("Sec-WebSocket-Key", "X-Key")),
        (
            "short-key",
            replace("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="),
        ),
        ("version-8", replace("Version: 13", "Version: 8")),
        ("no-upgrade", replace("Upgrade: websocket", "Upgrade: h2c")),
        (
            "connection-list",
            replace("Connection: Upgrade", "Connection: keep-alive, UPGRADE"),
        ),
        (
            "two-hosts",
            replace("Host: example.com", "Host: a\r\nHost: b"),
        ),
        ("folded", replace("Origin:", " folded\r\nOrigin:")),
        ("bad-extension", replace("x-foo; a=\"b\"", "x-foo; =;;")),
        ("quoted-escape", replace("a=\"b\"", "a=\"\\b\\\"\"")),
        (
            "garbage",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n".to_vec(),
        ),
    ] {
        out.push(head_seed(name, &[], &HeadInput::plain(&bytes, 4096, 32)));
    }
    out
}

fn response(extra: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {ACCEPT}\r\n{extra}\r\n"
    )
}

fn handshake_response() -> Vec<Seed> {
    let plain = |s: &str| HeadInput::plain(s.as_bytes(), 4096, 32);
    let mut out = vec![
        head_seed("valid", &[0], &plain(&response(""))),
        head_seed(
            "valid-protocol",
            &[1],
            &plain(&response("Sec-WebSocket-Protocol: chat\r\n")),
        ),
        head_seed(
            "valid-extension",
            &[2],
            &plain(&response(
                "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n",
            )),
        ),
        head_seed(
            "valid-byte-at-a-time",
            &[7],
            &HeadInput {
                cuts: vec![1],
                ..plain(&response(
                    "Sec-WebSocket-Protocol: superchat\r\nSec-WebSocket-Extensions: x-webkit-deflate-frame\r\n",
                ))
            },
        ),
        head_seed("protocol-not-chosen", &[1], &plain(&response(""))),
        head_seed(
            "protocol-not-offered",
            &[0],
            &plain(&response("Sec-WebSocket-Protocol: chat\r\n")),
        ),
        head_seed(
            "extension-not-offered",
            &[0],
            &plain(&response("Sec-WebSocket-Extensions: permessage-deflate\r\n")),
        ),
        head_seed(
            "two-accepts",
            &[0],
            &plain(&response(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\n"))),
        ),
        head_seed(
            "wrong-accept",
            &[0],
            &plain(&response("").replace("s3pPLMBiTxaQ9kYGzzhZRbK", "s3pPLMBiTxaQ9kYGzzhZRbk")),
        ),
        head_seed(
            "forbidden",
            &[0],
            &plain("HTTP/1.1 403 Forbidden\r\nContent-Length: 3\r\n\r\nno!"),
        ),
        head_seed(
            "endless-header",
            &[0],
            &HeadInput {
                flood_at: 60,
                flood_byte: b'x',
                flood_count: 65535,
                cuts: vec![0, 95],
                ..plain(&response(""))
            },
        ),
        head_seed("too-many-headers", &[1], &HeadInput::plain(response("").as_bytes(), 4096, 2)),
    ];
    out.push(head_seed(
        "frames-after-head",
        &[0],
        &plain(&(response("") + "\u{1}\u{5}hello")),
    ));
    out
}

/// A literal data field.
fn lit(b: &[u8]) -> Data {
    Data::Literal(b.to_vec())
}

/// A generated run of `len` bytes of `fill`.
fn run_of(len: usize, fill: u8) -> Data {
    let mut shift = 0;
    while len >> shift > usize::from(u16::MAX) {
        shift += 1;
    }
    Data::Generated {
        len: (len >> shift) as u16,
        shift,
        fill,
    }
}

/// A frame from the peer.
fn frame(b0: u8, payload: &[u8]) -> Op {
    Op::Frame {
        b0,
        flags: 0,
        payload: lit(payload),
    }
}

fn close_frame(code: u16, reason: &[u8]) -> Op {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason);
    frame(0x88, &p)
}

fn all() -> Op {
    Op::Transmit(0)
}

fn script(mode: Mode, flags: u8, ops: Vec<Op>) -> Script {
    Script {
        mode,
        seed: 1,
        flags,
        ops,
    }
}

/// The Autobahn-style cases, as peer frames after an opening handshake.
fn edge_cases() -> Vec<(&'static str, Vec<Op>)> {
    vec![
        (
            "echo-text-binary",
            vec![frame(0x81, b"Hello"), frame(0x82, &[0, 1, 2, 255]), all()],
        ),
        (
            "ping-pong",
            vec![frame(0x89, b"ping!"), all(), frame(0x8A, b"unsolicited")],
        ),
        ("ping-125", vec![frame(0x89, &[b'p'; 125]), all()]),
        ("ping-126", vec![frame(0x89, &[b'p'; 126]), all()]),
        ("fragmented-ping", vec![frame(0x09, b"x"), all()]),
        (
            "fragmented-text-split-code-point",
            vec![
                frame(0x01, "κό".as_bytes()),
                frame(0x00, &"σμε".as_bytes()[..1]),
                frame(0x89, b"between"),
                frame(0x80, &"σμε".as_bytes()[1..]),
                all(),
            ],
        ),
        ("invalid-utf8", vec![frame(0x81, b"ok\xed\xa0\x80"), all()]),
        (
            "invalid-utf8-mid-fragments",
            vec![
                frame(0x01, "κόσμε".as_bytes()),
                frame(0x00, b"\xf4\x90"),
                all(),
            ],
        ),
        ("truncated-utf8", vec![frame(0x81, b"abc\xe2\x82"), all()]),
        (
            "rsv-bits",
            vec![frame(0xC1, b"x"), frame(0x81, b"y"), all()],
        ),
        ("reserved-opcode", vec![frame(0x83, b""), all()]),
        ("reserved-control-opcode", vec![frame(0x8B, b""), all()]),
        ("lone-continuation", vec![frame(0x80, b"x"), all()]),
        (
            "text-inside-fragmented",
            vec![frame(0x01, b"a"), frame(0x81, b"b"), all()],
        ),
        (
            "wrong-masking",
            vec![
                Op::Frame {
                    b0: 0x81,
                    flags: 1,
                    payload: lit(b"x"),
                },
                all(),
            ],
        ),
        (
            "non-minimal-length",
            vec![
                Op::Frame {
                    b0: 0x82,
                    flags: 2,
                    payload: lit(b"abc"),
                },
                all(),
            ],
        ),
        ("close-normal", vec![close_frame(1000, b"bye"), all()]),
        ("close-empty", vec![frame(0x88, b""), all()]),
        ("close-one-byte", vec![frame(0x88, b"\x03"), all()]),
        ("close-1005", vec![close_frame(1005, b""), all()]),
        ("close-4999", vec![close_frame(4999, b""), all()]),
        ("close-5000", vec![close_frame(5000, b""), all()]),
        ("close-bad-reason", vec![close_frame(1000, b"\xff"), all()]),
        (
            "data-after-close",
            vec![close_frame(1001, b""), frame(0x81, b"late"), all()],
        ),
        (
            "frame-too-large",
            vec![
                Op::Frame {
                    b0: 0x82,
                    flags: 0,
                    payload: run_of(70 << 10, 0x80),
                },
                all(),
            ],
        ),
        (
            "message-too-large",
            vec![
                Op::Frame {
                    b0: 0x02,
                    flags: 0,
                    payload: run_of(60 << 10, 0x80),
                },
                Op::Frame {
                    b0: 0x00,
                    flags: 0,
                    payload: run_of(60 << 10, 0x81),
                },
                Op::Frame {
                    b0: 0x00,
                    flags: 0,
                    payload: run_of(60 << 10, 0x82),
                },
                Op::Frame {
                    b0: 0x00,
                    flags: 0,
                    payload: run_of(60 << 10, 0x83),
                },
                Op::Frame {
                    b0: 0x80,
                    flags: 0,
                    payload: run_of(60 << 10, 0x84),
                },
                all(),
            ],
        ),
        (
            "big-text-message",
            vec![
                Op::Frame {
                    b0: 0x81,
                    flags: 0,
                    payload: run_of(60 << 10, b'a'),
                },
                all(),
            ],
        ),
        (
            "many-empty-fragments",
            (0..40)
                .map(|_| frame(0x02, b""))
                .chain([frame(0x80, b""), all()])
                .collect(),
        ),
        (
            "ping-flood",
            (0..50)
                .map(|i| frame(0x89, &[i; 20]))
                .chain([all()])
                .collect(),
        ),
        (
            "half-frame-then-eof",
            vec![Op::Input(lit(b"\x81\x85\x01\x02")), Op::Eof],
        ),
        (
            "direct-input",
            vec![
                Op::InputDirect(lit(b"\x81")),
                Op::InputDirect(lit(b"\x00")),
                all(),
            ],
        ),
    ]
}

/// Commands and timers, after an opening handshake.
fn command_cases() -> Vec<(&'static str, u8, Vec<Op>)> {
    let send = |kind: u8, d: &[u8]| Op::Send { kind, data: lit(d) };
    let close = |code: u16, reason: &[u8]| Op::Close {
        code,
        flags: 0,
        reason: lit(reason),
    };
    vec![
        (
            "conversation",
            0,
            vec![
                send(0, b"hello"),
                send(1, &[1, 2, 3]),
                Op::Ping(lit(b"p")),
                Op::Transmit(3),
                all(),
                frame(0x81, b"hi back"),
                close(1000, b"done"),
                all(),
                close_frame(1000, b""),
                all(),
            ],
        ),
        (
            "fragments-out",
            0,
            vec![
                Op::SendFragment {
                    flags: 0,
                    data: lit(b"frag"),
                },
                Op::Ping(lit(b"")),
                send(0, b"refused"),
                Op::SendFragment {
                    flags: 3,
                    data: lit(b"ment"),
                },
                all(),
            ],
        ),
        (
            "close-invalid-code",
            0,
            vec![
                close(1005, b""),
                close(999, b""),
                close(1000, &[b'r'; 124]),
                all(),
            ],
        ),
        (
            "close-timeout",
            0,
            vec![close(4000, b"bye"), all(), Op::Advance(11_000), all()],
        ),
        (
            "send-after-close",
            0,
            vec![
                close(1000, b""),
                send(0, b"late"),
                Op::Ping(lit(b"late")),
                all(),
            ],
        ),
        (
            "keepalive",
            2,
            vec![
                Op::Advance(30_000),
                all(),
                Op::Advance(10_000),
                frame(0x8A, b""),
                Op::FireNext,
                Op::FireNext,
                all(),
            ],
        ),
        (
            "keepalive-timeout",
            2,
            vec![Op::FireNext, Op::FireNext, all()],
        ),
        (
            "queue-full",
            0,
            vec![
                Op::Send {
                    kind: 1,
                    data: run_of(200 << 10, 0x90),
                },
                Op::Send {
                    kind: 1,
                    data: run_of(100 << 10, 0x91),
                },
                Op::Ping(lit(&[1; 125])),
                Op::Transmit(60_000),
                Op::Send {
                    kind: 0,
                    data: run_of(10, b'x'),
                },
                all(),
            ],
        ),
        (
            "tight-limits",
            4,
            vec![
                Op::Frame {
                    b0: 0x82,
                    flags: 0,
                    payload: run_of(1025, 7),
                },
                Op::Send {
                    kind: 0,
                    data: run_of(3000, b'b'),
                },
                all(),
            ],
        ),
        (
            "no-auto-pong",
            1,
            vec![frame(0x89, b"x"), Op::Pong(lit(b"x")), all()],
        ),
        (
            "partial-write-then-eof",
            0,
            vec![send(1, &[9; 100]), Op::Transmit(5), Op::Eof],
        ),
        ("abort", 0, vec![send(0, b"x"), Op::Abort, all()]),
    ]
}

fn connection(role: websock_core::Role) -> Vec<Seed> {
    let mut out = Vec::new();
    let mut add = |name: String, s: Script| out.push((name, s.encode()));

    for (name, ops) in edge_cases() {
        // Frames from the harness are masked for a server and not for a client.
        add(name.to_string(), script(Mode::Handshaken, 0, ops.clone()));
        if name == "echo-text-binary" {
            add(format!("{name}-upgraded"), script(Mode::Upgraded, 0, ops));
        }
    }
    for (name, flags, ops) in command_cases() {
        add(name.to_string(), script(Mode::Handshaken, flags, ops));
    }

    // The opening handshake from the script's own bytes.
    let raw = |ops: Vec<Op>| script(Mode::RawHandshake, 0, ops);
    match role {
        websock_core::Role::Server => {
            let req = GOOD_REQUEST.as_bytes();
            add(
                "raw-accept".into(),
                raw(vec![
                    Op::Input(lit(req)),
                    Op::Accept(1),
                    all(),
                    frame(0x81, b"hello"),
                    close_frame(1000, b""),
                    all(),
                ]),
            );
            add(
                "raw-accept-early-frames".into(),
                raw(vec![
                    Op::Input(lit(&[req, b"\x81\x80\x00\x00\x00\x00".as_slice()].concat())),
                    Op::Input(lit(b"\x82")),
                    Op::Accept(0),
                    all(),
                ]),
            );
            add(
                "raw-reject".into(),
                raw(vec![Op::Input(lit(req)), Op::Reject(403), all()]),
            );
            add(
                "raw-accept-not-offered".into(),
                raw(vec![
                    Op::Input(lit(req)),
                    Op::Accept(9),
                    Op::Accept(0),
                    all(),
                ]),
            );
            add(
                "raw-bad-request".into(),
                raw(vec![
                    Op::Input(lit(GOOD_REQUEST.replace("13", "8").as_bytes())),
                    all(),
                ]),
            );
            add(
                "raw-handshake-timeout".into(),
                raw(vec![
                    Op::Input(lit(b"GET / HTTP/1.1\r\n")),
                    Op::Advance(10_001),
                    all(),
                ]),
            );
            add(
                "raw-too-large".into(),
                raw(vec![
                    Op::Input(lit(b"GET / HTTP/1.1\r\nX: ")),
                    Op::Input(run_of(5000, b'a')),
                    all(),
                ]),
            );
        }
        websock_core::Role::Client => {
            let s = raw(Vec::new());
            let mut c = conn::new_client(&s);
            let mut request = Vec::new();
            loop {
                let mut slices: [&[u8]; 4] = [&[]; 4];
                let n = c.poll_transmit(&mut slices);
                let before = request.len();
                for s in &slices[..n] {
                    request.extend_from_slice(s);
                }
                if request.len() == before {
                    break;
                }
                c.advance_transmit(request.len() - before);
            }
            let answer = conn::answer_for(&request);
            add(
                "raw-accepted".into(),
                raw(vec![
                    all(),
                    Op::Input(lit(&answer)),
                    frame(0x81, b"hello"),
                    Op::Send {
                        kind: 0,
                        data: lit(b"hi"),
                    },
                    close_frame(1000, b""),
                    all(),
                ]),
            );
            let mut with_frame = answer.clone();
            with_frame.extend_from_slice(b"\x81\x02hi");
            add(
                "raw-accepted-with-frame".into(),
                raw(vec![all(), Op::Input(lit(&with_frame)), all()]),
            );
            add(
                "raw-wrong-accept".into(),
                raw(vec![
                    all(),
                    Op::Input(lit(response("Sec-WebSocket-Protocol: chat\r\n").as_bytes())),
                    all(),
                ]),
            );
            add(
                "raw-refused".into(),
                raw(vec![
                    all(),
                    Op::Input(lit(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")),
                ]),
            );
            add(
                "raw-eof".into(),
                raw(vec![all(), Op::Input(lit(b"HTTP/1.1 101")), Op::Eof]),
            );
        }
    }
    out
}
