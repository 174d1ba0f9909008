//! Target `inflate_limit`: the permessage-deflate inflater under a small message limit
//! (0..=256 KiB), on arbitrary compressed bytes and on what a [`Deflater`] sends.
//!
//! * Raw mode: arbitrary bytes, cut into arbitrary frames and messages, inflated under
//!   arbitrary negotiated parameters. `inflate` / `finish_message` never panic; a
//!   message's output never passes the limit (one byte over at most, when the answer is
//!   `TooLarge`), its buffer's capacity stays within the limit plus [`INFLATE_CHUNK`]
//!   (plus a little slack), `message_len` counts it; an error is final (every later call
//!   returns it). The same messages fed each as one frame give the same results.
//! * Differential mode: the bytes are plaintext, cut into messages and fragments,
//!   compressed by a `Deflater` for the same parameters (sender's role, any level) and
//!   inflated frame by frame: every message comes back exactly when it is within the
//!   limit, and `TooLarge` (with a prefix of the message) when it is over.

use arbitrary::Unstructured;
use websock_core::deflate::{DeflateParams, Deflater, InflateError, Inflater, INFLATE_CHUNK};
use websock_core::{BytesMut, Role};

/// The largest limit the target uses.
pub const MAX_LIMIT: usize = 256 << 10;

/// Slack allowed on top of `limit + INFLATE_CHUNK` for the output buffer's capacity.
const SLACK: usize = 64;

/// The structured input, as bytes:
///
/// ```text
/// flags:u8 server_bits:u8 client_bits:u8 limit:u32le ncuts:u8 cuts* data*
/// ```
///
/// `flags`: bit 0 `server_no_context_takeover`, bit 1 `client_no_context_takeover`,
/// bit 2 the receiver is the client (else the server), bit 3 differential mode, bits
/// 4..8 the sender's level (modulo 10). Window bits are `8 + (b % 8)`. The limit: with
/// bit 31 set, its low 12 bits (0..4096, around the sizes of plaintext an input holds);
/// otherwise modulo `MAX_LIMIT + 1`. Each cut is a frame (raw mode) or fragment
/// (differential mode) of `cut & 0x7f` bytes, the last of its message if `cut & 0x80`;
/// cuts are cycled, and whatever is left after the data runs out ends the last message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// See above.
    pub flags: u8,
    /// `server_max_window_bits`, modulo 8, plus 8.
    pub server_bits: u8,
    /// `client_max_window_bits`, modulo 8, plus 8.
    pub client_bits: u8,
    /// The limit, encoded as above.
    pub limit: u32,
    /// Frame or fragment sizes and message ends, cycled.
    pub cuts: Vec<u8>,
    /// Compressed bytes (raw mode) or plaintext (differential mode).
    pub data: Vec<u8>,
}

impl Input {
    /// Decodes the format above (every input decodes; missing fields read as zeros).
    pub fn decode(u: &mut Unstructured<'_>) -> Input {
        let mut byte = || u.arbitrary::<u8>().unwrap_or(0);
        let flags = byte();
        let server_bits = byte();
        let client_bits = byte();
        let limit = u32::from_le_bytes([byte(), byte(), byte(), byte()]);
        let ncuts = byte();
        let cuts = (0..ncuts).map(|_| byte()).collect();
        Input {
            flags,
            server_bits,
            client_bits,
            limit,
            cuts,
            data: u.bytes(u.len()).unwrap_or_default().to_vec(),
        }
    }

    /// Encodes so that [`decode`](Self::decode) gives `self` back.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.flags);
        out.push(self.server_bits);
        out.push(self.client_bits);
        out.extend_from_slice(&self.limit.to_le_bytes());
        out.push(self.cuts.len() as u8);
        out.extend_from_slice(&self.cuts[..self.cuts.len().min(255)]);
        out.extend_from_slice(&self.data);
    }

    /// The negotiated parameters.
    pub fn params(&self) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: self.flags & 1 != 0,
            client_no_context_takeover: self.flags & 2 != 0,
            server_max_window_bits: 8 + self.server_bits % 8,
            client_max_window_bits: 8 + self.client_bits % 8,
        }
    }

    /// The receiver's role.
    pub fn receiver(&self) -> Role {
        if self.flags & 4 != 0 {
            Role::Client
        } else {
            Role::Server
        }
    }

    /// The message limit.
    pub fn limit(&self) -> usize {
        if self.limit & (1 << 31) != 0 {
            (self.limit & 0xfff) as usize
        } else {
            self.limit as usize % (MAX_LIMIT + 1)
        }
    }

    /// The data cut into messages, each a list of frames (or fragments).
    pub fn messages(&self) -> Vec<Vec<&[u8]>> {
        let mut messages = Vec::new();
        let mut current = Vec::new();
        let mut rest = &self.data[..];
        if !self.cuts.is_empty() {
            // Bounded: every round of the cuts takes a byte or ends a message, or stops.
            let mut idle = 0;
            for &c in self.cuts.iter().cycle() {
                if rest.is_empty() || idle > self.cuts.len() {
                    break;
                }
                let (frame, tail) = rest.split_at(usize::from(c & 0x7f).min(rest.len()));
                rest = tail;
                current.push(frame);
                if c & 0x80 != 0 {
                    messages.push(core::mem::take(&mut current));
                }
                // An empty cut makes no progress even when it ends a (then empty)
                // message: only taking a byte resets the count.
                if frame.is_empty() {
                    idle += 1;
                } else {
                    idle = 0;
                }
            }
        }
        if !rest.is_empty() || !current.is_empty() || messages.is_empty() {
            current.push(rest);
            messages.push(current);
        }
        messages
    }
}

/// The target's entry point.
pub fn run(data: &[u8]) {
    let input = Input::decode(&mut Unstructured::new(data));
    check(&input);
}

/// Checks one input.
pub fn check(input: &Input) {
    if input.flags & 8 != 0 {
        check_round_trip(input);
    } else {
        let framed = inflate_all(input, &input.messages());
        // The same messages, each as one frame.
        let whole: Vec<Vec<u8>> = input.messages().iter().map(|m| m.concat()).collect();
        let whole: Vec<Vec<&[u8]>> = whole.iter().map(|m| vec![&m[..]]).collect();
        let at_once = inflate_all(input, &whole);
        assert_eq!(framed, at_once, "framing changed the result");
    }
}

/// What became of one message: its output, or the error and what was output before it.
type Outcome = (Vec<u8>, Option<InflateError>);

/// Checks the limit and the buffer after a call that returned `result`.
fn check_call(
    inflater: &Inflater,
    out: &BytesMut,
    limit: usize,
    result: Result<(), InflateError>,
    finished: bool,
) {
    let cap_bound = limit + INFLATE_CHUNK + SLACK;
    assert!(
        out.capacity() <= cap_bound,
        "capacity {} for limit {limit}",
        out.capacity()
    );
    match result {
        Ok(()) => {
            assert!(out.len() <= limit, "{} bytes for limit {limit}", out.len());
            let counted = if finished { 0 } else { out.len() };
            assert_eq!(inflater.message_len(), counted, "message_len");
        }
        Err(InflateError::TooLarge) => {
            assert!(
                out.len() <= limit + 1,
                "{} bytes for limit {limit}",
                out.len()
            );
        }
        Err(InflateError::Corrupt) => {
            assert!(out.len() <= limit, "{} bytes for limit {limit}", out.len());
        }
    }
}

/// After an error, every later call gives the same error and no output.
fn check_final(inflater: &mut Inflater, out: &mut BytesMut, limit: usize, e: InflateError) {
    let len = out.len();
    assert_eq!(inflater.inflate(&[0x00], out, limit), Err(e), "not final");
    assert_eq!(inflater.inflate(&[], out, limit), Err(e), "not final");
    assert_eq!(inflater.finish_message(out, limit), Err(e), "not final");
    assert_eq!(out.len(), len, "output after an error");
}

/// Inflates every message, checking each call; stops at the first error.
fn inflate_all(input: &Input, messages: &[Vec<&[u8]>]) -> Vec<Outcome> {
    let limit = input.limit();
    let mut inflater = Inflater::new(input.params(), input.receiver());
    let mut outcomes = Vec::new();
    for frames in messages {
        let mut out = BytesMut::new();
        let mut error = None;
        for frame in frames {
            let result = inflater.inflate(frame, &mut out, limit);
            check_call(&inflater, &out, limit, result, false);
            if let Err(e) = result {
                error = Some(e);
                break;
            }
        }
        if error.is_none() {
            let result = inflater.finish_message(&mut out, limit);
            check_call(&inflater, &out, limit, result, true);
            error = result.err();
        }
        if let Some(e) = error {
            check_final(&mut inflater, &mut out, limit, e);
        }
        outcomes.push((out.to_vec(), error));
        if error.is_some() {
            break;
        }
    }
    outcomes
}

/// Differential mode: compress with a `Deflater`, inflate, compare.
fn check_round_trip(input: &Input) {
    let limit = input.limit();
    let params = input.params();
    let receiver = input.receiver();
    let sender = match receiver {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    };
    let mut deflater = Deflater::new(params, sender, u32::from(input.flags >> 4) % 10);
    let mut inflater = Inflater::new(params, receiver);
    for fragments in input.messages() {
        let plain = fragments.concat();
        let mut out = BytesMut::new();
        let mut error = None;
        for (k, fragment) in fragments.iter().enumerate() {
            let mut wire = BytesMut::new();
            deflater
                .compress_fragment(fragment, k + 1 == fragments.len(), &mut wire)
                .expect("compress");
            let result = inflater.inflate(&wire, &mut out, limit);
            check_call(&inflater, &out, limit, result, false);
            if let Err(e) = result {
                error = Some(e);
                break;
            }
        }
        if error.is_none() {
            let result = inflater.finish_message(&mut out, limit);
            check_call(&inflater, &out, limit, result, true);
            error = result.err();
        }
        match error {
            None => {
                assert!(
                    plain.len() <= limit,
                    "{} bytes passed limit {limit}",
                    plain.len()
                );
                assert!(out[..] == plain[..], "the message did not round-trip");
            }
            Some(InflateError::TooLarge) => {
                assert!(
                    plain.len() > limit,
                    "{} bytes refused, limit {limit}",
                    plain.len()
                );
                assert!(plain.starts_with(&out), "not a prefix of the message");
                check_final(&mut inflater, &mut out, limit, InflateError::TooLarge);
                return;
            }
            Some(InflateError::Corrupt) => panic!("the deflater's output is corrupt"),
        }
    }
}
