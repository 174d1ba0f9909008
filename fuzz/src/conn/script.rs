//! The input of the connection targets: a start mode and configuration, then a list of
//! operations (peer bytes, commands, timer firings, partial writes).
//!
//! The byte format is hand-written so that seeds can be written as real conversations
//! ([`Script::encode`] is the exact inverse of [`Script::decode`]):
//!
//! ```text
//! script  = mode:u8 seed:u8 flags:u8 op*
//! op      = tag:u8 fields          (tag modulo the number of operations)
//! data    = n:u8 (n < 0xF0)        literal: the next n bytes
//!         | n:u8 len:u16 fill:u8   generated: (len << (n - 0xF0)) bytes (capped),
//!                                  fill < 0x80 repeats fill (ASCII), else fill+i
//! ```
//!
//! Integers are little-endian; a field cut short by the end of input reads as zeros.

use arbitrary::{Arbitrary, Unstructured};

/// Largest generated payload (a little over the fuzz message limit, to cross it).
pub const MAX_GENERATED: usize = 300 << 10;

/// How the connection starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The opening handshake comes from the script's bytes (server: the request;
    /// client: the response).
    RawHandshake,
    /// The harness performs a valid opening handshake first.
    Handshaken,
    /// The connection starts OPEN (`Connection::upgraded`).
    Upgraded,
}

/// A payload: literal bytes, or a generated run (cheap to describe, long to send).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// These bytes.
    Literal(Vec<u8>),
    /// `len` bytes made from `fill`.
    Generated {
        /// Length code: the run is `len << shift` bytes, capped at [`MAX_GENERATED`].
        len: u16,
        /// Left shift of `len` (0-15).
        shift: u8,
        /// Below 0x80: every byte is `fill` (valid ASCII text); else byte `i` is
        /// `fill + i` (wrapping).
        fill: u8,
    },
}

impl Data {
    /// The payload bytes.
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Data::Literal(b) => b.clone(),
            Data::Generated { len, shift, fill } => {
                let n = (usize::from(*len) << (shift % 16)).min(MAX_GENERATED);
                if *fill < 0x80 {
                    vec![*fill; n]
                } else {
                    (0..n).map(|i| fill.wrapping_add(i as u8)).collect()
                }
            }
        }
    }
}

/// One step of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Bytes from the peer, through `handle_input`.
    Input(Data),
    /// Bytes from the peer, appended to `receive_buffer` and then `handle_received`;
    /// empty, a read that would block: `release_idle_memory`.
    InputDirect(Data),
    /// A frame from the peer, encoded by the harness: `b0` is the first header byte
    /// (FIN, RSV, opcode) as given; the payload is masked as the peer's role requires,
    /// unless `flags` bit 0 flips that; `flags` bit 1 writes the length in the 64-bit
    /// form even when shorter would do.
    Frame {
        /// First header byte.
        b0: u8,
        /// Variations, see above; also seeds the mask key.
        flags: u8,
        /// The payload.
        payload: Data,
    },
    /// The peer's end of stream.
    Eof,
    /// Advance the clock by this many milliseconds and fire due timers.
    Advance(u16),
    /// Jump to the next deadline (if any) and fire it.
    FireNext,
    /// `send` a text (bit 0 of `kind` clear; the bytes made valid UTF-8) or binary message.
    Send {
        /// Bit 0: binary.
        kind: u8,
        /// The payload.
        data: Data,
    },
    /// `send_fragment`: bit 0 of `flags` binary, bit 1 fin.
    SendFragment {
        /// Bit 0: binary; bit 1: fin.
        flags: u8,
        /// The payload.
        data: Data,
    },
    /// `ping` with this payload.
    Ping(Data),
    /// `pong` with this payload.
    Pong(Data),
    /// `close(code, reason)`; bit 0 of `flags` set means no code. The reason is the
    /// bytes made valid UTF-8.
    Close {
        /// The code (any value; invalid ones must be refused).
        code: u16,
        /// Bit 0: no code.
        flags: u8,
        /// The reason.
        reason: Data,
    },
    /// Let the transport take up to this many bytes (0: everything queued).
    Transmit(u16),
    /// Server: `accept` with subprotocol choice 0 (none), `k` (the k-th offered), or a
    /// protocol that was not offered.
    Accept(u8),
    /// Server: `reject` with this status (any value; invalid ones must be refused).
    Reject(u16),
    /// `abort`.
    Abort,
}

/// Number of operation tags.
const OPS: u8 = 16;

/// A whole input of a connection target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// How the connection starts.
    pub mode: Mode,
    /// Seed of the deterministic random source (mask and handshake keys).
    pub seed: u8,
    /// Bit 0: no automatic pongs; bit 1: keepalive pings on; bit 2: tight limits.
    pub flags: u8,
    /// The operations, in order.
    pub ops: Vec<Op>,
}

fn u8_of(u: &mut Unstructured<'_>) -> u8 {
    u.arbitrary().unwrap_or(0)
}

fn u16_of(u: &mut Unstructured<'_>) -> u16 {
    u16::from_le_bytes([u8_of(u), u8_of(u)])
}

fn data_of(u: &mut Unstructured<'_>) -> Data {
    let n = u8_of(u);
    if n < 0xF0 {
        let take = usize::from(n).min(u.len());
        Data::Literal(u.bytes(take).unwrap_or_default().to_vec())
    } else {
        let len = u16_of(u);
        let fill = u8_of(u);
        Data::Generated {
            len,
            shift: n - 0xF0,
            fill,
        }
    }
}

impl Script {
    /// Decodes a script from raw fuzzer bytes (every input is some script).
    pub fn decode(data: &[u8]) -> Script {
        let mut u = Unstructured::new(data);
        let mode = match u8_of(&mut u) % 3 {
            0 => Mode::RawHandshake,
            1 => Mode::Handshaken,
            _ => Mode::Upgraded,
        };
        let seed = u8_of(&mut u);
        let flags = u8_of(&mut u);
        let mut ops = Vec::new();
        while !u.is_empty() {
            let op = match u8_of(&mut u) % OPS {
                0 => Op::Input(data_of(&mut u)),
                1 => Op::InputDirect(data_of(&mut u)),
                2 => {
                    let b0 = u8_of(&mut u);
                    let flags = u8_of(&mut u);
                    Op::Frame {
                        b0,
                        flags,
                        payload: data_of(&mut u),
                    }
                }
                3 => Op::Eof,
                4 => Op::Advance(u16_of(&mut u)),
                5 => Op::FireNext,
                6 => {
                    let kind = u8_of(&mut u);
                    Op::Send {
                        kind,
                        data: data_of(&mut u),
                    }
                }
                7 => {
                    let flags = u8_of(&mut u);
                    Op::SendFragment {
                        flags,
                        data: data_of(&mut u),
                    }
                }
                8 => Op::Ping(data_of(&mut u)),
                9 => Op::Pong(data_of(&mut u)),
                10 => {
                    let code = u16_of(&mut u);
                    let flags = u8_of(&mut u);
                    Op::Close {
                        code,
                        flags,
                        reason: data_of(&mut u),
                    }
                }
                11 => Op::Transmit(u16_of(&mut u)),
                12 => Op::Accept(u8_of(&mut u)),
                13 => Op::Reject(u16_of(&mut u)),
                14 => Op::Abort,
                // A long literal input: a u16 length.
                _ => {
                    let n = usize::from(u16_of(&mut u)).min(u.len());
                    Op::Input(Data::Literal(u.bytes(n).unwrap_or_default().to_vec()))
                }
            };
            ops.push(op);
        }
        Script {
            mode,
            seed,
            flags,
            ops,
        }
    }

    /// Encodes the script so that [`decode`](Self::decode) gives it back. Literals
    /// longer than 239 bytes are only allowed in [`Op::Input`].
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![
            match self.mode {
                Mode::RawHandshake => 0,
                Mode::Handshaken => 1,
                Mode::Upgraded => 2,
            },
            self.seed,
            self.flags,
        ];
        for op in &self.ops {
            match op {
                Op::Input(Data::Literal(b)) if b.len() >= 0xF0 => {
                    assert!(b.len() <= usize::from(u16::MAX));
                    out.push(15);
                    out.extend_from_slice(&(b.len() as u16).to_le_bytes());
                    out.extend_from_slice(b);
                }
                Op::Input(d) => {
                    out.push(0);
                    put_data(&mut out, d);
                }
                Op::InputDirect(d) => {
                    out.push(1);
                    put_data(&mut out, d);
                }
                Op::Frame { b0, flags, payload } => {
                    out.extend_from_slice(&[2, *b0, *flags]);
                    put_data(&mut out, payload);
                }
                Op::Eof => out.push(3),
                Op::Advance(ms) => {
                    out.push(4);
                    out.extend_from_slice(&ms.to_le_bytes());
                }
                Op::FireNext => out.push(5),
                Op::Send { kind, data } => {
                    out.extend_from_slice(&[6, *kind]);
                    put_data(&mut out, data);
                }
                Op::SendFragment { flags, data } => {
                    out.extend_from_slice(&[7, *flags]);
                    put_data(&mut out, data);
                }
                Op::Ping(d) => {
                    out.push(8);
                    put_data(&mut out, d);
                }
                Op::Pong(d) => {
                    out.push(9);
                    put_data(&mut out, d);
                }
                Op::Close {
                    code,
                    flags,
                    reason,
                } => {
                    out.push(10);
                    out.extend_from_slice(&code.to_le_bytes());
                    out.push(*flags);
                    put_data(&mut out, reason);
                }
                Op::Transmit(n) => {
                    out.push(11);
                    out.extend_from_slice(&n.to_le_bytes());
                }
                Op::Accept(p) => out.extend_from_slice(&[12, *p]),
                Op::Reject(s) => {
                    out.push(13);
                    out.extend_from_slice(&s.to_le_bytes());
                }
                Op::Abort => out.push(14),
            }
        }
        out
    }
}

fn put_data(out: &mut Vec<u8>, d: &Data) {
    match d {
        Data::Literal(b) => {
            assert!(b.len() < 0xF0, "literal too long for a data field");
            out.push(b.len() as u8);
            out.extend_from_slice(b);
        }
        Data::Generated { len, shift, fill } => {
            out.push(0xF0 + shift % 16);
            out.extend_from_slice(&len.to_le_bytes());
            out.push(*fill);
        }
    }
}

impl<'a> Arbitrary<'a> for Script {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let len = u.len();
        Ok(Script::decode(u.bytes(len)?))
    }

    fn arbitrary_take_rest(u: Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Script::decode(u.take_rest()))
    }
}
