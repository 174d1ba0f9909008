//! permessage-deflate (RFC 7692): negotiation and per-connection compression, as
//! building blocks for the connection (feature `deflate`, on by default).
//!
//! # What RFC 7692 says
//!
//! The client offers `permessage-deflate` (with parameters) in
//! `Sec-WebSocket-Extensions`; the server accepts at most one offer by answering with a
//! `permessage-deflate` element carrying the agreed parameters ([`params`] has the
//! table). Then each *data message* may be compressed or not, independently:
//!
//! * a compressed message has **RSV1 set on its first frame only**; continuation frames
//!   keep RSV1 clear, and RSV1 on a continuation or a control frame (control frames are
//!   never compressed) is a protocol error, 1002 ([`check_rsv`]);
//! * its payload (all fragments concatenated) is raw DEFLATE whose last sync flush has
//!   had its `00 00 ff ff` removed ([`TAIL`]); the receiver appends it and inflates;
//! * with *context takeover* (the default) each side's LZ77 window carries over from
//!   one message to the next, which makes repeated content nearly free; a side with
//!   `*_no_context_takeover` starts every message from an empty window;
//! * `*_max_window_bits` caps each side's window at 2^8..2^15 bytes.
//!
//! Sending uncompressed is always allowed, so websock sends messages shorter than
//! [`DeflateConfig::min_message_size`] as they are, and a caller may opt out per message.
//!
//! # Decisions
//!
//! * **Window bits 8** are accepted and served by compressing with 9, which never
//!   reaches back more than 250 bytes (see [`params`]). Inflating always keeps a 32 KiB
//!   window (zlib-rs), which decodes any peer, including one that exceeds its window.
//! * **Errors while inflating**: a message that inflates past the limit is
//!   [`InflateError::TooLarge`], close code 1009; invalid DEFLATE data is
//!   [`InflateError::Corrupt`], close code 1007 (RFC 7692 §8 only says to fail the
//!   connection; 1007, "inconsistent data", is what Node's `ws` sends). The limit is
//!   checked *while* inflating, in steps of [`INFLATE_CHUNK`]: a decompression bomb costs
//!   at most the limit plus one byte of output.
//! * A negotiation response that cannot be accepted fails the handshake
//!   ([`DeflateNegotiationError`], convertible into `HandshakeError::ExtensionMismatch`);
//!   a server declines bad offers instead and tries the next.
//! * A message ending its DEFLATE stream (BFINAL, RFC 7692 §7.2.3.4) is accepted; bytes
//!   after the final block are ignored and the next message starts from an empty window
//!   (the peer's compressor, having ended its stream, starts a new one).
//! * **Memory**: a compression context costs ~245-371 KiB, an inflate context ~46 KiB
//!   (zlib-rs; details on [`DeflateConfig`]). Contexts are created on first use and, for
//!   a direction without context takeover, dropped after each message, so such a
//!   connection holds none while idle. With context takeover they stay for the
//!   connection's life.
//!
//! # How the connection uses it
//!
//! Handshake:
//!
//! * client: if [`DeflateConfig::enabled`], add `client_offer(&cfg).to_string()` to
//!   `ClientRequest::extensions`; once `validate_response` has succeeded, call
//!   [`client_accept_response`]`(&cfg, &negotiated.extensions)`: an error fails the
//!   handshake (`HandshakeError::from(e)`), `Some(params)` switches compression on;
//! * server: [`server_negotiate`]`(&cfg, &request.extensions())`; on `Some((params,
//!   element))` pass `element.to_string()` as the accepted extensions to
//!   `encode_accept` (it is also the `extensions` getter's value);
//! * either way, keep a [`PerMessageDeflate::new`]`(params, role, &cfg)`.
//!
//! Receiving (for each frame header, before its payload is buffered):
//!
//! * with permessage-deflate on, [`check_rsv`]`(opcode, rsv)` instead of "RSV must be
//!   0"; it says whether a Text/Binary frame starts a compressed message. Continuations
//!   inherit the message's flag;
//! * for a compressed message, feed each frame's unmasked payload to
//!   [`Inflater::inflate`]`(payload, &mut message_buffer, limits.max_message_size)` and
//!   call [`Inflater::finish_message`] after the FIN frame; the limit counts inflated
//!   bytes (`max_frame_size` still bounds each frame's wire payload). Validate UTF-8 of
//!   a text message on the *inflated* bytes, not on the wire;
//! * map [`InflateError`] to its close code (`TooLarge` is
//!   `ProtocolError::MessageTooLarge`; `Corrupt` needs a 1007 "invalid compressed data"
//!   variant) and fail the connection.
//!
//! Sending a message of `len` bytes:
//!
//! * if [`PerMessageDeflate::should_compress`]`(len)` and the caller did not opt out,
//!   [`Deflater::compress`]`(payload, &mut scratch)`, `scratch.split().freeze()` is the
//!   frame payload, sent with RSV1 set (masked as usual for a client). Count the
//!   *uncompressed* length in `bufferedAmount`;
//! * a fragmented send decides at its first fragment: compressed fragments come from
//!   [`Deflater::compress_fragment`]`(part, fin, ..)`, RSV1 on the first frame only;
//! * [`CompressError`] does not happen with valid use; treat it as an internal error
//!   (1011).
//!
//! # Example
//!
//! ```
//! use websock_core::deflate::{self, DeflateConfig, PerMessageDeflate};
//! use websock_core::{BytesMut, Role};
//!
//! // Negotiation.
//! let cfg = DeflateConfig::default();
//! let offer = deflate::client_offer(&cfg);
//! assert_eq!(offer.to_string(), "permessage-deflate; client_max_window_bits");
//! let (server_params, response) = deflate::server_negotiate(&cfg, &[offer]).unwrap();
//! let client_params = deflate::client_accept_response(&cfg, &[response]).unwrap().unwrap();
//! assert_eq!(client_params, server_params);
//!
//! // A compressed message from the client to the server.
//! let mut client = PerMessageDeflate::new(client_params, Role::Client, &cfg);
//! let mut server = PerMessageDeflate::new(server_params, Role::Server, &cfg);
//! let message = "Hello, Hello, Hello, Hello, Hello, Hello!".repeat(10);
//! assert!(client.should_compress(message.len()));
//! let mut wire = BytesMut::new();
//! client.deflater().compress(message.as_bytes(), &mut wire).unwrap();
//! let payload = wire.split().freeze(); // the frame's payload; RSV1 set
//! assert!(payload.len() < 30);
//!
//! let mut received = BytesMut::new();
//! let limit = 64 << 20;
//! server.inflater().inflate(&payload, &mut received, limit).unwrap();
//! server.inflater().finish_message(&mut received, limit).unwrap();
//! assert_eq!(received, message.as_bytes());
//! ```

mod codec;
mod error;
pub mod params;
#[cfg(test)]
mod test_inflate;

pub use codec::{Deflater, InflateProgress, Inflater, INFLATE_CHUNK, TAIL};
pub use error::{CompressError, DeflateError, DeflateNegotiationError, InflateError};
pub use params::{
    client_accept_response, client_offer, server_negotiate, DeflateConfig, DeflateParams,
    EXTENSION_NAME, MAX_WINDOW_BITS, MIN_WINDOW_BITS,
};

use crate::error::ProtocolError;
use crate::frame::OpCode;
use crate::role::Role;

/// RSV1 in [`FrameHeader::rsv`](crate::frame::FrameHeader::rsv): the "compressed"
/// bit of permessage-deflate.
pub const RSV1: u8 = 0b100;

/// Checks a received frame's RSV bits when permessage-deflate is in force, and says
/// whether the frame starts a compressed message.
///
/// RSV1 is allowed only on Text and Binary frames (the first frame of a message);
/// continuations inherit the message's state.
///
/// # Errors
///
/// [`ProtocolError::ReservedBits`] (1002) for RSV2 or RSV3, or RSV1 on a continuation
/// or control frame.
pub fn check_rsv(opcode: OpCode, rsv: u8) -> Result<bool, ProtocolError> {
    if rsv & !RSV1 != 0 {
        return Err(ProtocolError::ReservedBits);
    }
    let rsv1 = rsv & RSV1 != 0;
    match opcode {
        OpCode::Text | OpCode::Binary => Ok(rsv1),
        _ if rsv1 => Err(ProtocolError::ReservedBits),
        _ => Ok(false),
    }
}

/// Everything a connection keeps for permessage-deflate once it is agreed: the
/// parameters, a [`Deflater`], an [`Inflater`] and the minimum size to compress.
///
/// Creating one allocates nothing; see the [module docs](self) for how the connection
/// drives it.
#[derive(Debug)]
pub struct PerMessageDeflate {
    params: DeflateParams,
    role: Role,
    min_message_size: usize,
    deflater: Deflater,
    inflater: Inflater,
    /// The connection's output buffer for compressed frames, reused between them.
    pub(crate) scratch: bytes::BytesMut,
}

impl PerMessageDeflate {
    /// The state for `role` under the agreed `params`, with `config`'s level and
    /// minimum message size.
    pub fn new(params: DeflateParams, role: Role, config: &DeflateConfig) -> Self {
        PerMessageDeflate {
            params,
            role,
            min_message_size: config.min_message_size,
            deflater: Deflater::new(params, role, config.clamped_level()),
            inflater: Inflater::new(params, role),
            scratch: bytes::BytesMut::new(),
        }
    }

    /// The agreed parameters.
    pub fn params(&self) -> &DeflateParams {
        &self.params
    }

    /// The role this state was made for.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether a message of `len` bytes should be compressed (at least
    /// [`DeflateConfig::min_message_size`]).
    pub fn should_compress(&self, len: usize) -> bool {
        len >= self.min_message_size
    }

    /// The compressor for outgoing messages.
    pub fn deflater(&mut self) -> &mut Deflater {
        &mut self.deflater
    }

    /// The inflater for incoming messages.
    pub fn inflater(&mut self) -> &mut Inflater {
        &mut self.inflater
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use bytes::BytesMut;
    use proptest::prelude::*;

    #[test]
    fn rsv_rules() {
        use OpCode::*;
        assert_eq!(check_rsv(Text, 0), Ok(false));
        assert_eq!(check_rsv(Binary, 0), Ok(false));
        assert_eq!(check_rsv(Text, RSV1), Ok(true));
        assert_eq!(check_rsv(Binary, RSV1), Ok(true));
        for op in [Continuation, Close, Ping, Pong] {
            assert_eq!(check_rsv(op, 0), Ok(false));
            assert_eq!(check_rsv(op, RSV1), Err(ProtocolError::ReservedBits));
        }
        for op in [Text, Binary, Continuation, Close, Ping, Pong] {
            for rsv in [0b010, 0b001, 0b110, 0b111, 0b011, 0x80] {
                assert_eq!(check_rsv(op, rsv), Err(ProtocolError::ReservedBits));
            }
        }
        assert_eq!(ProtocolError::ReservedBits.close_code(), 1002);
    }

    #[test]
    fn per_message_state() {
        let cfg = DeflateConfig {
            level: 42,
            min_message_size: 10,
            ..DeflateConfig::default()
        };
        let p = DeflateParams {
            server_no_context_takeover: true,
            ..DeflateParams::default()
        };
        let mut s = PerMessageDeflate::new(p, Role::Server, &cfg);
        assert_eq!(s.params(), &p);
        assert_eq!(s.role(), Role::Server);
        assert!(!s.should_compress(9));
        assert!(s.should_compress(10));
        assert!(s.deflater().resets_after_message());
        assert!(!s.inflater().resets_after_message());
        // Level 42 is treated as 9: still round trips.
        let mut wire = BytesMut::new();
        s.deflater().compress(b"abcabcabcabc", &mut wire).unwrap();
        let mut c = PerMessageDeflate::new(p, Role::Client, &cfg);
        let mut out = BytesMut::new();
        c.inflater().inflate_message(&wire, &mut out, 100).unwrap();
        assert_eq!(&out[..], b"abcabcabcabc");
        assert_eq!(DeflateConfig::default().min_message_size, 32);
    }

    fn message() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..1500),
            proptest::collection::vec(proptest::sample::select(b"ab c\n{}".to_vec()), 0..6000),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// Compress then inflate is the identity, for any message sequence, any agreed
        /// parameters, either direction, any level, any framing on either side.
        #[test]
        fn compress_then_inflate_is_identity(
            snct in any::<bool>(),
            cnct in any::<bool>(),
            sbits in 8u8..=15,
            cbits in 8u8..=15,
            client_sends in any::<bool>(),
            level in 0u32..=9,
            messages in proptest::collection::vec(message(), 0..8),
            fragment in 0usize..4000,
            split in 1usize..700,
        ) {
            let p = DeflateParams {
                server_no_context_takeover: snct,
                client_no_context_takeover: cnct,
                server_max_window_bits: sbits,
                client_max_window_bits: cbits,
            };
            let (from, to) = if client_sends {
                (Role::Client, Role::Server)
            } else {
                (Role::Server, Role::Client)
            };
            let mut d = Deflater::new(p, from, level);
            let mut i = Inflater::new(p, to);
            for m in &messages {
                // The sender sends whole or in fragments of `fragment` bytes.
                let mut frames = Vec::new();
                if fragment == 0 || m.is_empty() {
                    let mut w = BytesMut::new();
                    d.compress(m, &mut w).unwrap();
                    frames.push(w);
                } else {
                    let parts: Vec<&[u8]> = m.chunks(fragment).collect();
                    for (k, part) in parts.iter().enumerate() {
                        let mut w = BytesMut::new();
                        d.compress_fragment(part, k + 1 == parts.len(), &mut w).unwrap();
                        frames.push(w);
                    }
                }
                // The receiver gets each frame in `split`-byte reads.
                let mut out = BytesMut::new();
                for f in &frames {
                    for piece in f.chunks(split) {
                        i.inflate(piece, &mut out, m.len()).unwrap();
                    }
                }
                i.finish_message(&mut out, m.len()).unwrap();
                prop_assert_eq!(&out[..], &m[..]);
            }
        }

        /// Arbitrary bytes never panic the inflater and never pass the limit.
        #[test]
        fn inflate_arbitrary_bytes(
            data in proptest::collection::vec(any::<u8>(), 0..3000),
            limit in 0usize..5000,
            bits in 8u8..=15,
        ) {
            let p = DeflateParams {
                server_max_window_bits: bits,
                ..DeflateParams::default()
            };
            let mut i = Inflater::new(p, Role::Client);
            let mut out = BytesMut::new();
            if i.inflate_message(&data, &mut out, limit).is_ok() {
                prop_assert!(out.len() <= limit);
            } else {
                prop_assert!(out.len() <= limit + 1);
            }
        }
    }
}
