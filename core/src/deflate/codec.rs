//! Per-connection compression state: a [`Deflater`] for the messages we send and an
//! [`Inflater`] for the messages we receive (RFC 7692 §7.2).
//!
//! Both create their zlib-rs context when first used and, when *no context takeover*
//! applies to their direction, drop it after every message, so an idle connection holds
//! no compression memory. With context takeover the context (and its memory, see
//! [`DeflateConfig`](super::DeflateConfig)) lives as long as the connection.

use bytes::BytesMut;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use super::error::{CompressError, InflateError};
use super::params::DeflateParams;
use crate::role::Role;

/// The four octets a sync flush ends with. The sender removes them from the end of a
/// message (RFC 7692 §7.2.1); the receiver appends them before inflating (§7.2.2).
pub const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The most inflated bytes produced per step. An inflating message grows its output by
/// at most this much past what it has shown to be within the limit.
pub const INFLATE_CHUNK: usize = 32 << 10;

/// The most compressed bytes produced per step.
const DEFLATE_CHUNK: usize = 64 << 10;

/// zlib-rs (like zlib) compresses raw DEFLATE with windows of 9..=15 bits only, and
/// flate2 inflates with 9..=15; a negotiated 8 is served by 9 (see the params docs).
fn zlib_window(bits: u8) -> u8 {
    bits.clamp(9, 15)
}

/// Bytes between two totals reported by flate2, which are each at most a slice length.
fn delta(after: u64, before: u64) -> usize {
    usize::try_from(after.saturating_sub(before)).unwrap_or(usize::MAX)
}

/// Compresses the messages one endpoint sends.
///
/// Each message is raw DEFLATE ending with a sync flush whose [`TAIL`] is removed
/// (RFC 7692 §7.2.1). The context is kept from message to message (context takeover)
/// unless the agreed parameters say this side does not take over, in which case it is
/// dropped after each message and created again for the next.
pub struct Deflater {
    ctx: Option<Compress>,
    level: Compression,
    window_bits: u8,
    reset_after_message: bool,
}

impl core::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Deflater")
            .field("level", &self.level.level())
            .field("window_bits", &self.window_bits)
            .field("reset_after_message", &self.reset_after_message)
            .field("has_context", &self.ctx.is_some())
            .finish()
    }
}

impl Deflater {
    /// A compressor for the messages `role` sends under `params`, at compression
    /// `level` (0..=9; larger is treated as 9). Allocates nothing until the first
    /// message.
    pub fn new(params: DeflateParams, role: Role, level: u32) -> Self {
        Deflater {
            ctx: None,
            level: Compression::new(level.min(9)),
            window_bits: zlib_window(params.compress_window(role)),
            reset_after_message: params.reset_compressor(role),
        }
    }

    /// The window actually used, log2 (9..=15; a negotiated 8 uses 9).
    pub fn window_bits(&self) -> u8 {
        self.window_bits
    }

    /// Whether the context is dropped after every message (no context takeover).
    pub fn resets_after_message(&self) -> bool {
        self.reset_after_message
    }

    /// Whether a compression context is allocated right now.
    pub fn has_context(&self) -> bool {
        self.ctx.is_some()
    }

    /// Appends the compressed form of the whole message `payload` to `out`: the payload
    /// of a frame (or of fragments, split anywhere) with RSV1 set on the first frame.
    ///
    /// The output is never empty (an empty message is `[0x00]`). `out` grows as needed;
    /// take the message with `out.split()` and keep `out` to reuse its spare capacity.
    ///
    /// # Errors
    ///
    /// [`CompressError`] only on an internal zlib-rs failure; nothing is appended then.
    pub fn compress(&mut self, payload: &[u8], out: &mut BytesMut) -> Result<(), CompressError> {
        self.compress_fragment(payload, true, out)
    }

    /// Appends the compressed form of the next part of a message sent in fragments;
    /// `fin` ends the message. Each part is sync-flushed, so the peer can inflate it on
    /// arrival (a part that is not the last keeps its [`TAIL`]; RFC 7692 §7.2.3.5 shows
    /// such a message). Send each output as one frame: the first with RSV1 (and the
    /// message's opcode), the rest as continuations without RSV1. A part that is not the
    /// last may compress to nothing; an empty frame is fine.
    ///
    /// # Errors
    ///
    /// As for [`compress`](Self::compress); the context is dropped, so the rest of the
    /// message cannot be sent compressed: fail the connection (1011).
    pub fn compress_fragment(
        &mut self,
        data: &[u8],
        fin: bool,
        out: &mut BytesMut,
    ) -> Result<(), CompressError> {
        let start = out.len();
        if let Err(e) = self.run(data, out) {
            out.truncate(start);
            self.ctx = None;
            return Err(e);
        }
        if fin {
            if out.len() - start >= TAIL.len() && out.ends_with(&TAIL) {
                out.truncate(out.len() - TAIL.len());
            }
            if out.len() == start {
                // Nothing since the last flush: the stream is byte-aligned, and one zero
                // byte (BFINAL 0, BTYPE 00, padding) plus the receiver's TAIL is an empty
                // stored block.
                out.extend_from_slice(&[0x00]);
            }
            if self.reset_after_message {
                self.ctx = None;
            }
        }
        Ok(())
    }

    /// Compresses `data` with a sync flush, appending to `out`.
    fn run(&mut self, data: &[u8], out: &mut BytesMut) -> Result<(), CompressError> {
        let (level, bits) = (self.level, self.window_bits);
        let ctx = self
            .ctx
            .get_or_insert_with(|| Compress::new_with_window_bits(level, false, bits));
        let mut input = data;
        let mut full = false;
        loop {
            // Enough for incompressible input plus block overhead, in bounded steps; a
            // whole step while draining what a full output left inside.
            let want = if full && input.is_empty() {
                DEFLATE_CHUNK
            } else {
                input
                    .len()
                    .saturating_add(input.len() / 64)
                    .saturating_add(64)
                    .min(DEFLATE_CHUNK)
            };
            out.reserve(want);
            let len = out.len();
            // Only `want` bytes are zeroed, however much spare room `out` has.
            let step = want;
            out.resize(len + step, 0);
            let (in0, out0) = (ctx.total_in(), ctx.total_out());
            let status = ctx.compress(input, &mut out[len..], FlushCompress::Sync);
            let (used, made) = (delta(ctx.total_in(), in0), delta(ctx.total_out(), out0));
            out.truncate(len + made.min(step));
            input = input.get(used..).unwrap_or_default();
            status.map_err(|_| CompressError)?;
            full = made == step;
            if input.is_empty() && !full {
                // Room was left over: the flush is complete.
                return Ok(());
            }
            if used == 0 && made == 0 {
                return Err(CompressError);
            }
        }
    }
}

/// Inflates the messages one endpoint receives, a frame at a time, under a size limit
/// checked while inflating.
///
/// Call [`inflate`](Self::inflate) with each frame's (unmasked) payload as it arrives,
/// then [`finish_message`](Self::finish_message) after the last one. Output is produced
/// in steps of at most [`INFLATE_CHUNK`] bytes and the limit is checked after each, so
/// a small message that inflates to gigabytes is stopped as soon as it passes the
/// limit, having made `out` grow by at most the limit plus one byte. `out`'s capacity
/// is grown here, never past that bound (no speculative doubling beyond the limit).
///
/// After an error the inflater is spent: every later call returns the same error.
pub struct Inflater {
    ctx: Option<Decompress>,
    window_bits: u8,
    reset_after_message: bool,
    /// Inflated bytes of the current message.
    produced: usize,
    /// Whether the current message has had any compressed bytes.
    fed: bool,
    /// The DEFLATE stream ended (a block with BFINAL set) in the current message.
    ended: bool,
    /// Bytes of [`TAIL`] already inflated by [`Inflater::finish_partial`].
    tail_used: usize,
    failed: Option<InflateError>,
}

/// What one [`Inflater::inflate_partial`] step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InflateProgress {
    /// Compressed bytes used from the front of the input; the rest must be offered
    /// again.
    pub consumed: usize,
    /// The step stopped because it produced `max_out` bytes: more output may be
    /// waiting inside the inflater, even with no more input.
    pub output_full: bool,
}

impl core::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Inflater")
            .field("window_bits", &self.window_bits)
            .field("reset_after_message", &self.reset_after_message)
            .field("has_context", &self.ctx.is_some())
            .field("message_len", &self.produced)
            .field("failed", &self.failed)
            .finish()
    }
}

impl Inflater {
    /// An inflater for the messages `role` receives under `params`. Allocates nothing
    /// until the first compressed byte arrives.
    pub fn new(params: DeflateParams, role: Role) -> Self {
        Inflater {
            ctx: None,
            window_bits: zlib_window(params.decompress_window(role)),
            reset_after_message: params.reset_decompressor(role),
            produced: 0,
            fed: false,
            ended: false,
            tail_used: 0,
            failed: None,
        }
    }

    /// The window asked of zlib-rs, log2 (9..=15; a negotiated 8 asks for 9). zlib-rs
    /// keeps a 32 KiB window whatever this is, so any distance up to 32 KiB decodes.
    pub fn window_bits(&self) -> u8 {
        self.window_bits
    }

    /// Whether the context is dropped after every message (the peer does not take over).
    pub fn resets_after_message(&self) -> bool {
        self.reset_after_message
    }

    /// Whether an inflate context is allocated right now.
    pub fn has_context(&self) -> bool {
        self.ctx.is_some()
    }

    /// Inflated bytes of the current message so far.
    pub fn message_len(&self) -> usize {
        self.produced
    }

    /// Inflates the next compressed bytes of the current message (a frame's payload, or
    /// any part of it), appending the result to `out`. `limit` bounds the whole
    /// message's inflated size (pass the same value for every call of a message, e.g.
    /// the connection's maximum message size).
    ///
    /// Output may lag the input (inflate keeps up to a few bytes of a partial code);
    /// the rest comes by [`finish_message`](Self::finish_message). Bytes after the end
    /// of a DEFLATE stream (after a block with BFINAL set, RFC 7692 §7.2.3.4) are
    /// ignored.
    ///
    /// # Errors
    ///
    /// [`InflateError::TooLarge`] once the message passes `limit` (close with 1009);
    /// [`InflateError::Corrupt`] for invalid DEFLATE data (close with 1007). `out` then
    /// holds whatever was inflated before the error.
    pub fn inflate(
        &mut self,
        compressed: &[u8],
        out: &mut BytesMut,
        limit: usize,
    ) -> Result<(), InflateError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if compressed.is_empty() {
            return Ok(());
        }
        self.fed = true;
        if self.ended {
            return Ok(());
        }
        let result = self.run(compressed, out, limit);
        self.check(result)
    }

    /// Inflates some of `compressed` (the next compressed bytes of the current
    /// message) into `out`, appending **at most `max_out` bytes**: the bounded step a
    /// streaming receiver takes, so that memory follows `max_out`, never the message.
    ///
    /// Returns how much of `compressed` was used and whether the output stopped at
    /// `max_out` ([`InflateProgress::output_full`]). Input not used stays with the
    /// caller, to be offered again; a full output may leave more bytes inside the
    /// inflater even when all input was used: take what was produced, then call again
    /// (with the rest of the input, or an empty slice) until a call returns
    /// `output_full == false` with all input used. Only then is the input fully
    /// inflated. `limit` bounds the whole message's inflated size as for
    /// [`inflate`](Self::inflate). Bytes after the end of a DEFLATE stream are used
    /// and ignored. With `max_out == 0` nothing is done.
    ///
    /// # Errors
    ///
    /// As for [`inflate`](Self::inflate).
    pub fn inflate_partial(
        &mut self,
        compressed: &[u8],
        out: &mut BytesMut,
        max_out: usize,
        limit: usize,
    ) -> Result<InflateProgress, InflateError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if !compressed.is_empty() {
            self.fed = true;
        }
        if self.ended || max_out == 0 || !self.fed {
            let consumed = if self.ended { compressed.len() } else { 0 };
            return Ok(InflateProgress {
                consumed,
                output_full: max_out == 0 && !self.ended && self.fed,
            });
        }
        let result = self.run_bounded(compressed, out, limit, max_out);
        let (consumed, output_full) = self.check(result)?;
        let consumed = if self.ended {
            compressed.len()
        } else {
            consumed
        };
        Ok(InflateProgress {
            consumed,
            output_full: output_full && !self.ended,
        })
    }

    /// The bounded counterpart of [`finish_message`](Self::finish_message): inflates
    /// the [`TAIL`] appending at most `max_out` bytes to `out`. Returns `true` once the
    /// message is finished (and the inflater ready for the next one); `false` when the
    /// output is full: take what was produced and call again.
    ///
    /// Call it only after every compressed byte of the message was given to
    /// [`inflate_partial`](Self::inflate_partial) and its last call returned
    /// `output_full == false`.
    ///
    /// # Errors
    ///
    /// As for [`inflate`](Self::inflate).
    pub fn finish_partial(
        &mut self,
        out: &mut BytesMut,
        max_out: usize,
        limit: usize,
    ) -> Result<bool, InflateError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.fed && !self.ended {
            let tail = TAIL.get(self.tail_used..).unwrap_or_default();
            if max_out == 0 {
                return Ok(false);
            }
            let result = self.run_bounded(tail, out, limit, max_out);
            let (used, full) = self.check(result)?;
            self.tail_used += used;
            if full && !self.ended {
                return Ok(false);
            }
        }
        if self.reset_after_message || self.ended {
            self.ctx = None;
        }
        self.produced = 0;
        self.fed = false;
        self.ended = false;
        self.tail_used = 0;
        Ok(true)
    }

    /// Ends the current message: inflates the [`TAIL`] the sender removed (RFC 7692
    /// §7.2.2), appending any last bytes to `out`, and prepares for the next message
    /// (dropping the context if the peer does not take over, or if its stream ended).
    ///
    /// A message with no compressed bytes at all (an empty frame with RSV1) is the empty
    /// message and leaves the context as it was.
    ///
    /// # Errors
    ///
    /// As for [`inflate`](Self::inflate).
    pub fn finish_message(&mut self, out: &mut BytesMut, limit: usize) -> Result<(), InflateError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.fed && !self.ended {
            let result = self.run(&TAIL, out, limit);
            self.check(result)?;
        }
        if self.reset_after_message || self.ended {
            self.ctx = None;
        }
        self.produced = 0;
        self.fed = false;
        self.ended = false;
        self.tail_used = 0;
        Ok(())
    }

    /// [`inflate`](Self::inflate) then [`finish_message`](Self::finish_message): a whole
    /// message at once.
    ///
    /// # Errors
    ///
    /// As for [`inflate`](Self::inflate).
    pub fn inflate_message(
        &mut self,
        compressed: &[u8],
        out: &mut BytesMut,
        limit: usize,
    ) -> Result<(), InflateError> {
        self.inflate(compressed, out, limit)?;
        self.finish_message(out, limit)
    }

    fn check<T>(&mut self, result: Result<T, InflateError>) -> Result<T, InflateError> {
        if let Err(e) = &result {
            self.failed = Some(*e);
            self.ctx = None;
        }
        result
    }

    fn run(&mut self, input: &[u8], out: &mut BytesMut, limit: usize) -> Result<(), InflateError> {
        self.run_bounded(input, out, limit, usize::MAX).map(|_| ())
    }

    /// Inflates `input` into `out`, producing at most `max_out` bytes; returns the
    /// input used and whether it stopped because `max_out` bytes were produced.
    fn run_bounded(
        &mut self,
        mut input: &[u8],
        out: &mut BytesMut,
        limit: usize,
        max_out: usize,
    ) -> Result<(usize, bool), InflateError> {
        let bits = self.window_bits;
        let ctx = self
            .ctx
            .get_or_insert_with(|| Decompress::new_with_window_bits(false, bits));
        let total = input.len();
        let mut made_here = 0usize;
        // A first guess at the output's size; doubled while output keeps filling it.
        let mut hint = input.len().saturating_mul(4).saturating_add(64);
        loop {
            let left = max_out - made_here;
            if left == 0 {
                return Ok((total - input.len(), true));
            }
            let allowance = limit.saturating_sub(self.produced);
            // One byte past the allowance shows whether the message goes over.
            let room = allowance.saturating_add(1).min(INFLATE_CHUNK).min(left);
            let len = out.len();
            let step = hint.min(room);
            reserve_bounded(out, step, len.saturating_add(allowance).saturating_add(1));
            out.resize(len + step, 0);
            let (in0, out0) = (ctx.total_in(), ctx.total_out());
            let status = ctx.decompress(input, &mut out[len..], FlushDecompress::None);
            let (used, made) = (
                delta(ctx.total_in(), in0),
                delta(ctx.total_out(), out0).min(step),
            );
            out.truncate(len + made);
            input = input.get(used..).unwrap_or_default();
            self.produced = self.produced.saturating_add(made);
            made_here += made;
            if self.produced > limit {
                return Err(InflateError::TooLarge);
            }
            match status {
                Err(_) => return Err(InflateError::Corrupt),
                Ok(Status::StreamEnd) => {
                    self.ended = true;
                    return Ok((total - input.len(), false));
                }
                Ok(Status::Ok | Status::BufError) => {}
            }
            if made == step {
                // The output filled up: more may be waiting inside.
                hint = hint.saturating_mul(2);
                continue;
            }
            if input.is_empty() {
                return Ok((total, false));
            }
            if used == 0 {
                // Input left, room left, and no progress: not a DEFLATE stream.
                return Err(InflateError::Corrupt);
            }
        }
    }
}

/// Makes room for `additional` more bytes in `out` without letting its length-plus-
/// spare grow past `max_len` (or `len + additional`, if that is more). Grows by
/// doubling below that bound, copying into an exactly sized buffer (`BytesMut::reserve`
/// would double past the bound).
fn reserve_bounded(out: &mut BytesMut, additional: usize, max_len: usize) {
    let len = out.len();
    if out.capacity() - len >= additional {
        return;
    }
    let need = len.saturating_add(additional);
    let target = out
        .capacity()
        .saturating_mul(2)
        .clamp(need, max_len.max(need));
    let mut grown = BytesMut::with_capacity(target);
    grown.extend_from_slice(out);
    *out = grown;
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;
    use rand::rngs::SmallRng;
    use rand::{Rng, RngCore, SeedableRng};

    fn params(snct: bool, cnct: bool, sbits: u8, cbits: u8) -> DeflateParams {
        DeflateParams {
            server_no_context_takeover: snct,
            client_no_context_takeover: cnct,
            server_max_window_bits: sbits,
            client_max_window_bits: cbits,
        }
    }

    fn deflate_one(d: &mut Deflater, msg: &[u8]) -> Vec<u8> {
        let mut out = BytesMut::new();
        d.compress(msg, &mut out).unwrap();
        out.to_vec()
    }

    fn inflate_one(i: &mut Inflater, wire: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
        let mut out = BytesMut::new();
        i.inflate_message(wire, &mut out, limit)?;
        Ok(out.to_vec())
    }

    /// A fresh inflater with context takeover and 15 bits (what a server receives with
    /// default parameters).
    fn inflater() -> Inflater {
        Inflater::new(DeflateParams::default(), Role::Server)
    }

    fn text(len: usize, seed: u64) -> Vec<u8> {
        let words: [&[u8]; 12] = [
            b"the ",
            b"quick ",
            b"brown ",
            b"fox ",
            b"{\"id\":",
            b"\"name\":",
            b"websocket ",
            b"message ",
            b"1234",
            b", ",
            b"\n",
            b"deflate ",
        ];
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut v = Vec::with_capacity(len + 16);
        while v.len() < len {
            v.extend_from_slice(words[rng.random_range(0..words.len())]);
        }
        v.truncate(len);
        v
    }

    fn random(len: usize, seed: u64) -> Vec<u8> {
        let mut v = vec![0u8; len];
        SmallRng::seed_from_u64(seed).fill_bytes(&mut v);
        v
    }

    const HELLO: [u8; 7] = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

    #[test]
    fn rfc7692_compression_examples() {
        // §7.2.3.1: "Hello" in one frame.
        let mut d = Deflater::new(DeflateParams::default(), Role::Server, 6);
        assert_eq!(deflate_one(&mut d, b"Hello"), HELLO);
        // §7.2.3.2: the same message again, sharing the LZ77 window.
        assert_eq!(
            deflate_one(&mut d, b"Hello"),
            [0xf2, 0x00, 0x11, 0x00, 0x00]
        );
        // Without context takeover, every "Hello" looks like the first.
        let mut fresh = Deflater::new(params(true, false, 15, 15), Role::Server, 6);
        for _ in 0..3 {
            assert_eq!(deflate_one(&mut fresh, b"Hello"), HELLO);
        }
        // §7.2.3.3: no compression (level 0 emits a stored block).
        let mut stored = Deflater::new(DeflateParams::default(), Role::Client, 0);
        assert_eq!(
            deflate_one(&mut stored, b"Hello"),
            [0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00]
        );
        // An empty message is one zero byte, fresh context or not.
        let mut d = Deflater::new(DeflateParams::default(), Role::Client, 6);
        assert_eq!(deflate_one(&mut d, b""), [0x00]);
        assert_eq!(deflate_one(&mut d, b""), [0x00]);
        assert_eq!(deflate_one(&mut d, b"Hello"), HELLO);
        assert_eq!(deflate_one(&mut d, b""), [0x00]);
    }

    #[test]
    fn rfc7692_decompression_examples() {
        let mut i = inflater();
        // §7.2.3.1, one frame and two fragments.
        assert_eq!(inflate_one(&mut i, &HELLO, 100).unwrap(), b"Hello");
        let mut out = BytesMut::new();
        i.inflate(&[0xf2, 0x48, 0xcd], &mut out, 100).unwrap();
        i.inflate(&[0xc9, 0xc9, 0x07, 0x00], &mut out, 100).unwrap();
        i.finish_message(&mut out, 100).unwrap();
        assert_eq!(&out[..], b"Hello");
        // §7.2.3.2: a back-reference into the previous message.
        assert_eq!(
            inflate_one(&mut i, &[0xf2, 0x00, 0x11, 0x00, 0x00], 100).unwrap(),
            b"Hello"
        );
        // §7.2.3.3: a stored block.
        assert_eq!(
            inflate_one(
                &mut i,
                &[0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00],
                100
            )
            .unwrap(),
            b"Hello"
        );
        // §7.2.3.5: two DEFLATE blocks in one message.
        assert_eq!(
            inflate_one(
                &mut i,
                &[0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00],
                100
            )
            .unwrap(),
            b"Hello"
        );
        // An empty message, as a zero byte or as no bytes at all.
        assert_eq!(inflate_one(&mut i, &[0x00], 100).unwrap(), b"");
        assert_eq!(inflate_one(&mut i, &[], 100).unwrap(), b"");
        // The context survived all of that.
        assert_eq!(
            inflate_one(&mut i, &[0xf2, 0x00, 0x11, 0x00, 0x00], 100).unwrap(),
            b"Hello"
        );
        // §7.2.3.4: BFINAL set; the byte after the final block is ignored. The stream
        // is over, so the next message starts from an empty window.
        assert_eq!(
            inflate_one(
                &mut i,
                &[0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
                100
            )
            .unwrap(),
            b"Hello"
        );
        assert!(!i.has_context());
        assert_eq!(inflate_one(&mut i, &HELLO, 100).unwrap(), b"Hello");
    }

    #[test]
    fn rfc_hello_with_every_level_round_trips() {
        for level in 0..=9 {
            let mut d = Deflater::new(DeflateParams::default(), Role::Client, level);
            let mut i = inflater();
            for _ in 0..3 {
                let wire = deflate_one(&mut d, b"Hello");
                assert_eq!(
                    inflate_one(&mut i, &wire, 5).unwrap(),
                    b"Hello",
                    "level {level}"
                );
            }
        }
    }

    /// Compress `messages` from `role`'s side and inflate them on the peer's, checking
    /// each; the inflater gets the payload split into `split`-byte pieces.
    fn round_trip(p: DeflateParams, role: Role, level: u32, messages: &[Vec<u8>], split: usize) {
        let peer = match role {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        };
        let mut d = Deflater::new(p, role, level);
        let mut i = Inflater::new(p, peer);
        let mut wire = BytesMut::new();
        let mut out = BytesMut::new();
        for m in messages {
            d.compress(m, &mut wire).unwrap();
            let payload = wire.split();
            for piece in payload.chunks(split.max(1)) {
                i.inflate(piece, &mut out, m.len()).unwrap();
            }
            i.finish_message(&mut out, m.len()).unwrap();
            assert!(out[..] == m[..], "{p:?} {role:?} len {}", m.len());
            out.clear();
            assert_eq!(d.has_context(), !p.reset_compressor(role));
            assert_eq!(i.has_context(), !p.reset_decompressor(peer));
        }
    }

    /// Empty, 1-byte, 1 MiB text and 1 MiB random messages (and some in between), with
    /// and without context takeover, in both directions, with `bits` windows.
    fn round_trips_with_window(bits: u8) {
        let big_text = text(1 << 20, 1);
        let messages = vec![
            Vec::new(),
            b"x".to_vec(),
            big_text.clone(),
            random(1 << 20, 2),
            big_text[..1000].to_vec(),
            Vec::new(),
            big_text[5000..70_000].to_vec(),
        ];
        for no_takeover in [false, true] {
            for role in [Role::Client, Role::Server] {
                let p = params(no_takeover, no_takeover, bits, bits);
                round_trip(p, role, 1, &messages, usize::MAX);
            }
        }
    }

    // One test per window size, so they run in parallel.
    #[test]
    fn round_trips_window_9() {
        round_trips_with_window(9);
    }

    #[test]
    fn round_trips_window_10() {
        round_trips_with_window(10);
    }

    #[test]
    fn round_trips_window_11() {
        round_trips_with_window(11);
    }

    #[test]
    fn round_trips_window_12() {
        round_trips_with_window(12);
    }

    #[test]
    fn round_trips_window_13() {
        round_trips_with_window(13);
    }

    #[test]
    fn round_trips_window_14() {
        round_trips_with_window(14);
    }

    #[test]
    fn round_trips_window_15() {
        round_trips_with_window(15);
    }

    #[test]
    fn round_trips_mixed_parameters_and_levels() {
        // Small pieces on the receiving side.
        let small: Vec<Vec<u8>> = (0..20).map(|k| text(k * 300, k as u64)).collect();
        for level in [0, 6, 9] {
            for (snct, cnct, s, c) in [
                (true, false, 9, 15),
                (false, true, 15, 8),
                (false, false, 8, 8),
            ] {
                for role in [Role::Client, Role::Server] {
                    round_trip(params(snct, cnct, s, c), role, level, &small, 7);
                }
            }
        }
    }

    #[test]
    fn context_takeover_shrinks_repeats() {
        let msg = text(2000, 9);
        let mut keep = Deflater::new(DeflateParams::default(), Role::Client, 6);
        let mut reset = Deflater::new(params(false, true, 15, 15), Role::Client, 6);
        let first = deflate_one(&mut keep, &msg);
        let again = deflate_one(&mut keep, &msg);
        assert!(
            again.len() * 10 < first.len(),
            "{} vs {}",
            again.len(),
            first.len()
        );
        assert_eq!(deflate_one(&mut reset, &msg), first);
        assert_eq!(deflate_one(&mut reset, &msg), first);
        // And the peer decodes the short form only with the context.
        let mut i = inflater();
        assert_eq!(inflate_one(&mut i, &first, usize::MAX).unwrap(), msg);
        assert_eq!(inflate_one(&mut i, &again, usize::MAX).unwrap(), msg);
        let mut cold = inflater();
        assert!(inflate_one(&mut cold, &again, usize::MAX).is_err());
    }

    #[test]
    fn contexts_are_dropped_without_takeover() {
        let p = params(true, true, 15, 15);
        let mut d = Deflater::new(p, Role::Server, 6);
        let mut i = Inflater::new(p, Role::Server);
        assert!(!d.has_context() && !i.has_context());
        let wire = deflate_one(&mut d, b"Hello Hello Hello");
        assert!(!d.has_context());
        let mut out = BytesMut::new();
        i.inflate(&wire, &mut out, 100).unwrap();
        assert!(i.has_context());
        i.finish_message(&mut out, 100).unwrap();
        assert!(!i.has_context());
        // With takeover they stay.
        let mut d = Deflater::new(DeflateParams::default(), Role::Server, 6);
        deflate_one(&mut d, b"x");
        assert!(d.has_context());
        assert!(!d.resets_after_message() && d.window_bits() == 15);
    }

    #[test]
    fn fragments_round_trip() {
        let msg = text(100_000, 3);
        for p in [DeflateParams::default(), params(true, true, 10, 10)] {
            let mut d = Deflater::new(p, Role::Client, 6);
            let mut i = Inflater::new(p, Role::Server);
            for round in 0..3 {
                let mut frames = Vec::new();
                let parts: Vec<&[u8]> = msg.chunks(7000 + round * 1000).collect();
                for (k, part) in parts.iter().enumerate() {
                    let mut wire = BytesMut::new();
                    d.compress_fragment(part, k + 1 == parts.len(), &mut wire)
                        .unwrap();
                    frames.push(wire);
                }
                // An empty non-final part in the middle is fine too.
                let mut empty = BytesMut::new();
                d.compress_fragment(b"", false, &mut empty).unwrap();
                let mut out = BytesMut::new();
                for f in &frames {
                    i.inflate(f, &mut out, msg.len()).unwrap();
                }
                i.finish_message(&mut out, msg.len()).unwrap();
                assert!(out[..] == msg[..]);
                // Each non-final fragment was flushed: it inflates on arrival.
                assert!(frames[0].ends_with(&TAIL));
                let _ = empty;
            }
        }
    }

    #[test]
    fn final_fragment_after_flushed_parts_is_not_empty() {
        // A message whose last part is empty, after a flushed part: the last frame must
        // still close the stream properly (one zero byte).
        let mut d = Deflater::new(DeflateParams::default(), Role::Client, 6);
        let mut i = inflater();
        for _ in 0..3 {
            let mut a = BytesMut::new();
            let mut b = BytesMut::new();
            d.compress_fragment(b"Hello", false, &mut a).unwrap();
            d.compress_fragment(b"", true, &mut b).unwrap();
            assert_eq!(&b[..], [0x00]);
            let mut out = BytesMut::new();
            i.inflate(&a, &mut out, 10).unwrap();
            i.inflate(&b, &mut out, 10).unwrap();
            i.finish_message(&mut out, 10).unwrap();
            assert_eq!(&out[..], b"Hello");
        }
    }

    /// Compresses `msg` three times under `p` (from the server) and checks every output
    /// with the independent decoder: the data round trips and no back-reference reaches
    /// further than `max_dist`. Returns the farthest distance seen.
    fn check_distances(p: DeflateParams, level: u32, msg: &[u8], max_dist: usize) -> usize {
        let mut d = Deflater::new(p, Role::Server, level);
        let mut history = Vec::new();
        let mut farthest = 0;
        for _ in 0..3 {
            let mut wire = deflate_one(&mut d, msg);
            wire.extend_from_slice(&TAIL);
            if p.server_no_context_takeover {
                history.clear();
            }
            let start = history.len();
            let dist = super::super::test_inflate::inflate(&wire, &mut history).unwrap();
            assert!(history[start..] == msg[..]);
            assert!(dist <= max_dist, "distance {dist} > {max_dist} under {p:?}");
            farthest = farthest.max(dist);
        }
        farthest
    }

    /// Text (short distances) and a random block repeated 20 000 bytes later (only a
    /// window over 2^14 reaches it), then numbers repeating at every small distance.
    fn window_test_message() -> Vec<u8> {
        let mut msg = text(60_000, 5);
        let block = random(20_000, 6);
        msg.extend_from_slice(&block);
        msg.extend_from_slice(&block);
        for k in 0..4000u32 {
            msg.extend_from_slice(format!("{} ", k % 300).as_bytes());
        }
        msg
    }

    /// The window bits 8 decision: compressing with 9 stays inside a 256-byte window, so
    /// a peer inflating with exactly 256 bytes of window decodes it.
    #[test]
    fn window_8_output_fits_an_8_bit_window() {
        let msg = window_test_message();
        for no_takeover in [false, true] {
            let p = params(no_takeover, no_takeover, 8, 8);
            assert_eq!(Deflater::new(p, Role::Server, 6).window_bits(), 9);
            for level in [1, 6, 9] {
                let farthest = check_distances(p, level, &msg, 1 << 8);
                assert!(farthest > 200, "{farthest}");
            }
        }
    }

    /// Every window we compress with is honoured, and the test data does use it all.
    #[test]
    fn windows_are_honoured() {
        let msg = window_test_message();
        for bits in 9..=15 {
            for level in [1, 6] {
                let p = params(false, false, bits, bits);
                check_distances(p, level, &msg, 1 << bits);
            }
        }
        let wide = check_distances(DeflateParams::default(), 6, &msg, 1 << 15);
        assert!(wide > 1 << 14, "{wide}");
    }

    /// zlib-rs inflates with a 32 KiB window whatever window bits it is given (it only
    /// checks them against a zlib header), so a peer that uses more window than agreed
    /// is tolerated, not caught. Pinned here so a backend change is noticed.
    #[test]
    fn inflater_tolerates_a_wider_window() {
        let msg = window_test_message();
        let mut wide = Deflater::new(DeflateParams::default(), Role::Server, 6);
        let wire = deflate_one(&mut wide, &msg);
        let mut narrow = Inflater::new(params(false, false, 9, 9), Role::Client);
        assert_eq!(narrow.window_bits(), 9);
        let got = inflate_one(&mut narrow, &wire, usize::MAX);
        assert!(got.as_deref() == Ok(&msg[..]));
    }

    #[test]
    fn decompression_bomb_is_stopped_early() {
        let zeros = vec![0u8; 10 << 20];
        let mut d = Deflater::new(DeflateParams::default(), Role::Client, 9);
        let bomb = deflate_one(&mut d, &zeros);
        assert!(bomb.len() < 12 << 10, "{}", bomb.len());
        let limit = 1 << 20;
        for split in [bomb.len(), 100, 1] {
            let mut i = inflater();
            let mut out = BytesMut::new();
            let mut result = Ok(());
            for piece in bomb.chunks(split) {
                result = i.inflate(piece, &mut out, limit);
                assert!(
                    out.capacity() <= limit + INFLATE_CHUNK,
                    "{}",
                    out.capacity()
                );
                if result.is_err() {
                    break;
                }
            }
            if result.is_ok() {
                result = i.finish_message(&mut out, limit);
            }
            assert_eq!(result, Err(InflateError::TooLarge));
            assert!(out.len() <= limit + 1);
            assert!(out.capacity() <= limit + INFLATE_CHUNK);
            // Spent: it keeps failing.
            assert_eq!(
                i.inflate(&HELLO, &mut out, limit),
                Err(InflateError::TooLarge)
            );
            assert_eq!(
                i.finish_message(&mut out, limit),
                Err(InflateError::TooLarge)
            );
            assert!(!i.has_context());
        }
        // The limit is exact: 10 MiB passes a 10 MiB limit and fails one byte below.
        let mut out = BytesMut::new();
        inflater()
            .inflate_message(&bomb, &mut out, zeros.len())
            .unwrap();
        assert_eq!(out.len(), zeros.len());
        assert!(out.iter().all(|&b| b == 0));
        let mut out = BytesMut::new();
        assert_eq!(
            inflater().inflate_message(&bomb, &mut out, zeros.len() - 1),
            Err(InflateError::TooLarge)
        );
        // A zero limit admits only the empty message.
        assert_eq!(inflate_one(&mut inflater(), &[0x00], 0).unwrap(), b"");
        assert_eq!(
            inflate_one(&mut inflater(), &HELLO, 0),
            Err(InflateError::TooLarge)
        );
    }

    /// The bounded steps give what `inflate_message` gives, never more than `max_out`
    /// bytes at a time, under any input split and output bound; a bomb is stopped at
    /// the limit just the same.
    #[test]
    fn partial_steps_are_bounded_and_equal_whole_inflate() {
        let msg = text(200_000, 3);
        let mut d = Deflater::new(DeflateParams::default(), Role::Client, 6);
        let wire = deflate_one(&mut d, &msg);
        let mut fresh = Deflater::new(DeflateParams::default(), Role::Client, 6);
        let bomb = deflate_one(&mut fresh, &vec![0u8; 3 << 20]);
        for (split, max_out) in [(wire.len(), 1), (1, 7), (100, 4096), (5000, INFLATE_CHUNK)] {
            let mut i = inflater();
            let mut got = Vec::new();
            let mut out = BytesMut::new();
            for piece in wire.chunks(split) {
                let mut rest = piece;
                loop {
                    let p = i
                        .inflate_partial(rest, &mut out, max_out, usize::MAX)
                        .unwrap();
                    assert!(out.len() <= max_out);
                    got.extend_from_slice(&out.split());
                    rest = &rest[p.consumed..];
                    if rest.is_empty() && !p.output_full {
                        break;
                    }
                }
            }
            while !i.finish_partial(&mut out, max_out, usize::MAX).unwrap() {
                assert!(out.len() <= max_out);
                got.extend_from_slice(&out.split());
            }
            got.extend_from_slice(&out.split());
            assert!(got == msg, "split {split} max_out {max_out}");
            assert_eq!(i.message_len(), 0);
            // A bomb stops at the limit, in bounded steps.
            let limit = 1 << 20;
            let mut i = inflater();
            let mut made = 0;
            let mut rest = &bomb[..];
            let err = loop {
                match i.inflate_partial(rest, &mut out, max_out.max(512), limit) {
                    Ok(p) => {
                        assert!(out.len() <= max_out.max(512));
                        made += out.split().len();
                        rest = &rest[p.consumed..];
                        if rest.is_empty() && !p.output_full {
                            break i.finish_partial(&mut out, INFLATE_CHUNK, limit).err();
                        }
                    }
                    Err(e) => break Some(e),
                }
            };
            assert_eq!(err, Some(InflateError::TooLarge));
            assert!(made <= limit + 1);
        }
    }

    #[test]
    fn capacity_follows_the_message_not_the_chunk() {
        // Small messages do not grab a whole chunk each.
        let mut i = inflater();
        let mut out = BytesMut::new();
        i.inflate_message(&HELLO, &mut out, 64 << 20).unwrap();
        assert!(out.capacity() < 1024, "{}", out.capacity());
        // A message larger than the chunk grows out geometrically, within the limit.
        let msg = text(300_000, 6);
        let mut d = Deflater::new(DeflateParams::default(), Role::Client, 6);
        let wire = deflate_one(&mut d, &msg);
        let mut out = BytesMut::new();
        inflater()
            .inflate_message(&wire, &mut out, msg.len())
            .unwrap();
        assert!(out[..] == msg[..]);
        assert!(out.capacity() <= msg.len() + INFLATE_CHUNK);
        // Output appended after existing content.
        let mut out = BytesMut::from(&b"prefix:"[..]);
        inflater().inflate_message(&HELLO, &mut out, 5).unwrap();
        assert_eq!(&out[..], b"prefix:Hello");
    }

    #[test]
    fn corrupt_input_is_reported() {
        for bad in [
            &[0xff, 0xff, 0xff, 0xff][..],
            &[0x07],                         // BTYPE 11 (reserved)
            &[0x00, 0x05, 0x00, 0x00, 0x00], // stored block with LEN != !NLEN
            &[0xf2, 0x00, 0x11, 0x00, 0x00], // distance back into nothing
        ] {
            let mut i = inflater();
            let mut out = BytesMut::new();
            let r = i
                .inflate(bad, &mut out, 1 << 20)
                .and_then(|()| i.finish_message(&mut out, 1 << 20));
            assert_eq!(r, Err(InflateError::Corrupt), "{bad:02x?}");
            assert_eq!(i.inflate(&HELLO, &mut out, 100), Err(InflateError::Corrupt));
        }
    }

    #[test]
    fn random_input_never_panics() {
        let mut rng = SmallRng::seed_from_u64(7);
        let mut out = BytesMut::new();
        for round in 0..3000 {
            let len = rng.random_range(0..200);
            let mut data = vec![0u8; len];
            rng.fill_bytes(&mut data);
            if round % 3 == 0 && len > 0 {
                // Start with a plausible block header.
                data[0] &= 0b1111_1011;
            }
            let mut i = Inflater::new(
                params(round % 2 == 0, false, 9 + (round % 7) as u8, 15),
                Role::Client,
            );
            out.clear();
            let _ = i.inflate(&data, &mut out, 4096);
            let _ = i.finish_message(&mut out, 4096);
            assert!(out.len() <= 4097);
        }
        // Corrupting valid streams.
        let msg = text(5000, 8);
        let mut d = Deflater::new(DeflateParams::default(), Role::Server, 6);
        let wire = deflate_one(&mut d, &msg);
        for k in 0..wire.len() {
            let mut bad = wire.clone();
            bad[k] ^= 1 << (k % 8);
            let mut out = BytesMut::new();
            let _ = inflater().inflate_message(&bad, &mut out, 10_000);
            let mut cut = wire.clone();
            cut.truncate(k);
            let _ = inflater().inflate_message(&cut, &mut out, 10_000);
        }
    }

    #[test]
    fn debug_output() {
        let d = Deflater::new(DeflateParams::default(), Role::Client, 6);
        let i = inflater();
        assert!(format!("{d:?}").contains("window_bits: 15"));
        assert!(format!("{i:?}").contains("has_context: false"));
        assert_eq!(i.message_len(), 0);
        assert!(!i.resets_after_message());
        assert_eq!(i.window_bits(), 15);
    }

    #[test]
    fn bounded_reservation() {
        let mut b = BytesMut::with_capacity(100);
        b.extend_from_slice(&[1; 100]);
        reserve_bounded(&mut b, 10, 150);
        assert_eq!(b.capacity(), 150);
        assert_eq!(&b[..], &[1; 100][..]);
        reserve_bounded(&mut b, 10, 150);
        assert_eq!(b.capacity(), 150);
        b.extend_from_slice(&[2; 50]);
        reserve_bounded(&mut b, 1, 100);
        assert_eq!(b.capacity(), 151);
        let mut e = BytesMut::new();
        reserve_bounded(&mut e, 64, usize::MAX);
        assert_eq!(e.capacity(), 64);
    }
}
