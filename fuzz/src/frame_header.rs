//! Target `frame_header`: frame header encoding and parsing.
//!
//! * For a structured header: `encode` writes `encoded_len()` bytes, `parse` reads back
//!   the same header (or the error the header's own rules call for), every proper prefix
//!   is `Partial` (or that same error), and trailing bytes change nothing.
//! * For arbitrary bytes: `parse` agrees with an independent reference decoder written
//!   here; a parsed header re-encodes canonically and parses back to itself.

use arbitrary::{Arbitrary, Unstructured};
use websock_core::frame::{FrameHeader, OpCode, Status, MAX_HEADER_LEN};
use websock_core::ProtocolError;

/// The six opcodes, indexed by [`Input::opcode`].
const OPCODES: [OpCode; 6] = [
    OpCode::Continuation,
    OpCode::Text,
    OpCode::Binary,
    OpCode::Close,
    OpCode::Ping,
    OpCode::Pong,
];

/// Lengths around every boundary of the three length forms.
const EDGES: [u64; 12] = [
    0,
    1,
    125,
    126,
    127,
    0xFFFF,
    0x1_0000,
    0xFFFF_FFFF,
    0x1_0000_0000,
    (1 << 63) - 1,
    1 << 63,
    u64::MAX,
];

/// A payload length, biased toward the interesting ones.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Len {
    /// 0-255 (the 7-bit form and just past it).
    Small(u8),
    /// The 16-bit range.
    Medium(u16),
    /// Any 64-bit value (half of them have the forbidden top bit).
    Large(u64),
    /// A boundary from a fixed table, nudged by -1, 0 or +1.
    Edge(u8, i8),
}

impl Len {
    fn value(self) -> u64 {
        match self {
            Len::Small(v) => u64::from(v),
            Len::Medium(v) => u64::from(v),
            Len::Large(v) => v,
            Len::Edge(i, d) => {
                EDGES[usize::from(i) % EDGES.len()].wrapping_add_signed(i64::from(d.signum()))
            }
        }
    }
}

/// The structured input.
#[derive(Debug, Arbitrary)]
pub struct Input {
    /// FIN bit.
    pub fin: bool,
    /// RSV bits (only the low three are used).
    pub rsv: u8,
    /// Index into the six opcodes.
    pub opcode: u8,
    /// Masking key, if masked.
    pub mask: Option<[u8; 4]>,
    /// Payload length.
    pub len: Len,
    /// Bytes appended after the encoded header, then parsed on their own.
    pub raw: Vec<u8>,
}

/// The target's entry point.
pub fn run(data: &[u8]) {
    if let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) {
        check(&input);
    }
}

/// Checks one structured input.
pub fn check(input: &Input) {
    let header = FrameHeader {
        fin: input.fin,
        rsv: input.rsv & 0b111,
        opcode: OPCODES[usize::from(input.opcode) % OPCODES.len()],
        mask: input.mask,
        payload_len: input.len.value(),
    };
    check_round_trip(&header, &input.raw);
    check_raw(&input.raw);
}

/// What parsing the encoding of `h` must give: the header's own rules, in the order the
/// parser checks them.
fn expected_verdict(h: &FrameHeader, n: usize) -> Result<(FrameHeader, usize), ProtocolError> {
    if h.opcode.is_control() {
        if !h.fin {
            return Err(ProtocolError::FragmentedControlFrame);
        }
        if h.payload_len > 125 {
            return Err(ProtocolError::ControlFrameTooLong);
        }
    }
    if h.payload_len >> 63 != 0 {
        return Err(ProtocolError::InvalidLength);
    }
    Ok((*h, n))
}

fn check_round_trip(h: &FrameHeader, trailing: &[u8]) {
    let mut out = [0u8; MAX_HEADER_LEN];
    let n = h.encode(&mut out);
    assert_eq!(n, h.encoded_len(), "encode wrote a different length");
    let expected = expected_verdict(h, n);
    let got = FrameHeader::parse(&out[..n]);
    match expected {
        Ok(v) => assert_eq!(got, Ok(Status::Complete(v)), "round trip of {h:?}"),
        Err(e) => assert_eq!(got, Err(e), "encoding of {h:?}"),
    }
    for cut in 0..n {
        let partial = FrameHeader::parse(&out[..cut]);
        match expected {
            Ok(_) => assert_eq!(partial, Ok(Status::Partial), "prefix {cut} of {h:?}"),
            Err(e) => assert!(
                partial == Ok(Status::Partial) || partial == Err(e),
                "prefix {cut} of {h:?}: {partial:?}"
            ),
        }
    }
    let mut longer = out[..n].to_vec();
    longer.extend_from_slice(trailing);
    assert_eq!(
        FrameHeader::parse(&longer),
        got,
        "trailing bytes changed the parse"
    );
}

/// An independent decoder of RFC 6455 §5.2 headers, in the error order websock-core
/// documents: opcode, control-frame rules, 64-bit length, then completeness.
pub fn reference_parse(buf: &[u8]) -> Result<Status<(FrameHeader, usize)>, ProtocolError> {
    if buf.len() < 2 {
        return Ok(Status::Partial);
    }
    let opcode = match buf[0] % 16 {
        0 => OpCode::Continuation,
        1 => OpCode::Text,
        2 => OpCode::Binary,
        8 => OpCode::Close,
        9 => OpCode::Ping,
        10 => OpCode::Pong,
        _ => return Err(ProtocolError::ReservedOpcode),
    };
    let fin = buf[0] >= 0x80;
    let rsv = (buf[0] / 16) % 8;
    let masked = buf[1] >= 0x80;
    let len7 = buf[1] % 128;
    let control = (buf[0] % 16) >= 8;
    if control && !fin {
        return Err(ProtocolError::FragmentedControlFrame);
    }
    if control && len7 >= 126 {
        return Err(ProtocolError::ControlFrameTooLong);
    }
    let extended = match len7 {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    if buf.len() < 2 + extended {
        return Ok(Status::Partial);
    }
    let payload_len = if extended == 0 {
        u64::from(len7)
    } else {
        buf[2..2 + extended]
            .iter()
            .fold(0u64, |acc, &b| acc * 256 + u64::from(b))
    };
    if extended == 8 && payload_len >= 1 << 63 {
        return Err(ProtocolError::InvalidLength);
    }
    let total = 2 + extended + if masked { 4 } else { 0 };
    if buf.len() < total {
        return Ok(Status::Partial);
    }
    let mask = masked.then(|| {
        let k = &buf[2 + extended..total];
        [k[0], k[1], k[2], k[3]]
    });
    Ok(Status::Complete((
        FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len,
        },
        total,
    )))
}

fn check_raw(raw: &[u8]) {
    let got = FrameHeader::parse(raw);
    assert_eq!(
        got,
        reference_parse(raw),
        "parse disagrees with the reference"
    );
    if let Ok(Status::Complete((h, n))) = got {
        assert!(n <= raw.len() && n <= MAX_HEADER_LEN);
        // A non-minimal length form parses, so the canonical encoding may be shorter.
        assert!(h.encoded_len() <= n);
        let mut out = [0u8; MAX_HEADER_LEN];
        let m = h.encode(&mut out);
        assert_eq!(
            FrameHeader::parse(&out[..m]),
            Ok(Status::Complete((h, m))),
            "re-encoding of {h:?}"
        );
        for cut in 0..n {
            assert_eq!(FrameHeader::parse(&raw[..cut]), Ok(Status::Partial));
        }
    }
}
