//! Applying a WebSocket mask key (RFC 6455 §5.3). Masking and unmasking are the same XOR.
//!
//! This is the only place that XORs payloads. The loop, in safe code, XORs 64 bytes at
//! a time with the key repeated (a fixed-length XOR of two arrays, which LLVM turns
//! into vector instructions), after a short head that brings the stores to a 32-byte
//! boundary so that no vector store straddles two cache lines.
//!
//! Baseline x86_64 only has 16-byte SSE2 vectors, which reach about half of memcpy's
//! speed. So on x86_64 with the `std` feature, buffers of at least 64 bytes run a
//! copy of the same safe loop compiled for AVX2 when the CPU has it (detected at run
//! time; std caches the answer). Calling that copy is the crate's only `unsafe` code, and
//! its contract is just that: it is called only after the detection found AVX2. Without
//! `std` (no run-time detection) and on other targets the loop is compiled for the
//! build's target features (`-C target-cpu=...` gives it wider vectors too).

/// The main loop's step in bytes.
const BLOCK: usize = 64;

/// The alignment the main loop's stores start at: the widest vector used (AVX2's).
const ALIGN: usize = 32;

/// XOR `buf` with `key`, as if `buf` started `offset` bytes into the masked payload.
///
/// `offset` lets a payload be unmasked in pieces as it arrives: call it once per piece
/// with the number of payload bytes already processed.
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    // The key as a word whose little-endian bytes start at `offset`'s key position.
    let key = u32::from_le_bytes(key).rotate_right(8 * (offset & 3) as u32);
    // Short buffers (control frames, small messages) stay on the inlined loop: under
    // one block, wider vectors have little to gain.
    #[cfg(all(feature = "std", target_arch = "x86_64"))]
    if buf.len() >= BLOCK && xor_avx2(buf, key) {
        return;
    }
    xor_key(buf, key);
}

/// XOR `buf` with the little-endian bytes of `key` repeated, `BLOCK` bytes at a time
/// from the first 32-byte boundary.
#[inline(always)]
fn xor_key(buf: &mut [u8], key: u32) {
    // `align_offset` may give up (usize::MAX): then it is all head, still correct.
    let head_len = buf.as_ptr().align_offset(ALIGN).min(buf.len());
    let (head, rest) = buf.split_at_mut(head_len);
    xor_pattern(head, &pattern(key));
    let pattern = pattern(key.rotate_right(8 * (head_len & 3) as u32));
    let mut blocks = rest.chunks_exact_mut(BLOCK);
    for block in &mut blocks {
        xor_pattern(<&mut [u8; BLOCK]>::try_from(block).unwrap(), &pattern);
    }
    // The tail (under BLOCK bytes) starts at a multiple of 4: the key is in phase.
    xor_pattern(blocks.into_remainder(), &pattern);
}

/// The key's bytes repeated over a block. Built from the whole word (a broadcast) rather
/// than byte by byte, which would make the vector loads of it wait on narrow stores.
#[inline(always)]
fn pattern(key: u32) -> [u8; BLOCK] {
    let mut pattern = [0u8; BLOCK];
    for word in pattern.chunks_exact_mut(4) {
        word.copy_from_slice(&key.to_le_bytes());
    }
    pattern
}

/// XOR `buf` (at most `BLOCK` bytes; only that many are touched) with `pattern`.
#[inline(always)]
fn xor_pattern(buf: &mut [u8], pattern: &[u8; BLOCK]) {
    for (b, p) in buf.iter_mut().zip(pattern.iter()) {
        *b ^= *p;
    }
}

/// [`xor_key`] compiled for AVX2, if the CPU has it: returns whether it ran (if not,
/// `buf` is untouched).
#[cfg(all(feature = "std", target_arch = "x86_64"))]
#[allow(unsafe_code)]
#[inline(never)]
fn xor_avx2(buf: &mut [u8], key: u32) -> bool {
    /// The same safe body; `unsafe` only because the CPU running it must support AVX2
    /// (a safe `#[target_feature]` function needs Rust 1.86, above the rust-version).
    #[target_feature(enable = "avx2")]
    unsafe fn xor_key_avx2(buf: &mut [u8], key: u32) {
        xor_key(buf, key);
    }
    // Cached by std after the first call: an atomic load and a bit test.
    if !std::is_x86_feature_detected!("avx2") {
        return false;
    }
    // SAFETY: `xor_key_avx2`'s only requirement is that the CPU supports AVX2 (its
    // body is safe code), and the run-time detection just above found that it does.
    unsafe { xor_key_avx2(buf, key) };
    true
}

/// The byte-by-byte reference implementation, kept for tests and differential fuzzing
/// (hidden from the documented API).
///
/// Any `offset` is accepted, as by [`apply_mask`]: only its remainder modulo 4 matters.
#[doc(hidden)]
pub fn apply_mask_reference(buf: &mut [u8], key: [u8; 4], offset: usize) {
    for (i, b) in buf.iter_mut().enumerate() {
        // Wrapping: 2^64 is a multiple of 4, so the key position is still right.
        *b ^= key[offset.wrapping_add(i) & 3];
    }
}

/// Copy `src` into `dst` while masking it: `dst` must be exactly as long as `src`.
#[inline]
pub fn mask_into(dst: &mut [u8], src: &[u8], key: [u8; 4]) {
    dst.copy_from_slice(src);
    apply_mask(dst, key, 0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn matches_reference_at_every_length_offset_and_alignment() {
        let key = [0x12, 0x34, 0x56, 0x78];
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        for start in 0..8 {
            for len in 0..(data.len() - start) {
                for offset in 0..4 {
                    // Masked in place inside a copy of `data`, so that `start` moves the
                    // buffer's alignment (a fresh `to_vec` would always be aligned alike).
                    let mut fast = data.clone();
                    let mut slow = data[start..start + len].to_vec();
                    apply_mask(&mut fast[start..start + len], key, offset);
                    apply_mask_reference(&mut slow, key, offset);
                    assert_eq!(
                        fast[start..start + len],
                        slow[..],
                        "start {start} len {len} offset {offset}"
                    );
                }
            }
        }
    }

    /// Long buffers: past `BLOCK`, so on x86_64 with AVX2 (and `std`) these run the
    /// dispatched AVX2 copy, at several head lengths before the 32-byte boundary.
    #[test]
    fn long_buffers_match_reference() {
        let key = [0xa1, 0x5b, 0x0c, 0xf7];
        let data: Vec<u8> = (0..1200u32).map(|i| (i * 31 + 7) as u8).collect();
        for start in [0, 1, 3, 16, 31, 32, 33] {
            for len in 1..=1100 {
                for offset in [0, 1, 2, 3, 6] {
                    let mut fast = data[..start + len].to_vec();
                    let mut slow = fast[start..].to_vec();
                    apply_mask(&mut fast[start..], key, offset);
                    apply_mask_reference(&mut slow, key, offset);
                    assert_eq!(
                        fast[start..],
                        slow[..],
                        "start {start} len {len} offset {offset}"
                    );
                    assert_eq!(fast[..start], data[..start], "start {start} len {len}");
                }
            }
        }
    }

    /// The portable loop on its own (on an AVX2 machine `apply_mask` skips it for long
    /// buffers), with the key already rotated as `apply_mask` does.
    #[test]
    fn portable_loop_matches_reference() {
        let key = [0xa1, 0x5b, 0x0c, 0xf7];
        let data: Vec<u8> = (0..1200u32).map(|i| (i * 13 + 1) as u8).collect();
        for start in [0, 1, 5, 16, 31] {
            for len in 0..=1100 {
                for offset in 0..4 {
                    let mut fast = data[..start + len].to_vec();
                    let mut slow = data[start..start + len].to_vec();
                    let word = u32::from_le_bytes(key).rotate_right(8 * offset as u32);
                    xor_key(&mut fast[start..], word);
                    apply_mask_reference(&mut slow, key, offset);
                    assert_eq!(
                        fast[start..],
                        slow[..],
                        "start {start} len {len} offset {offset}"
                    );
                }
            }
        }
    }

    #[test]
    fn masking_in_pieces_equals_masking_whole() {
        let key = [1, 2, 3, 4];
        let data: Vec<u8> = (0..100u8).collect();
        let mut whole = data.clone();
        apply_mask(&mut whole, key, 0);
        let mut pieces = data.clone();
        let (a, rest) = pieces.split_at_mut(5);
        let (b, c) = rest.split_at_mut(30);
        apply_mask(a, key, 0);
        apply_mask(b, key, 5);
        apply_mask(c, key, 35);
        assert_eq!(whole, pieces);
    }

    #[test]
    fn any_offset_is_accepted() {
        // Found by the `mask` fuzz target: the reference overflowed (a panic with
        // overflow checks) for an offset near usize::MAX.
        let key = [0x12, 0x34, 0x56, 0x78];
        for offset in [usize::MAX - 2, usize::MAX - 1, usize::MAX] {
            let data: Vec<u8> = (0..20).collect();
            let mut fast = data.clone();
            let mut slow = data.clone();
            apply_mask(&mut fast, key, offset);
            apply_mask_reference(&mut slow, key, offset);
            assert_eq!(fast, slow, "offset {offset}");
            assert_eq!(slow[0], data[0] ^ key[offset & 3]);
        }
    }

    #[test]
    fn rfc_example() {
        // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d.
        let mut buf = *b"Hello";
        apply_mask(&mut buf, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(buf, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    }
}
