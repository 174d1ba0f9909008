//! Applying a WebSocket mask key (RFC 6455 §5.3). Masking and unmasking are the same XOR.
//!
//! This is the only place that XORs payloads; the fast path works 64 bytes at a time
//! (which LLVM vectorizes) and needs no `unsafe`.

/// XOR `buf` with `key`, as if `buf` started `offset` bytes into the masked payload.
///
/// `offset` lets a payload be unmasked in pieces as it arrives: call it once per piece
/// with the number of payload bytes already processed.
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate_key(key, offset);
    // 64 bytes at a time against the key repeated: a fixed-length XOR of two arrays,
    // which LLVM turns into vector instructions on every target that has them.
    let mut pattern = [0u8; 64];
    for (i, p) in pattern.iter_mut().enumerate() {
        *p = key[i & 3];
    }
    let mut blocks = buf.chunks_exact_mut(64);
    for block in &mut blocks {
        for (b, p) in block.iter_mut().zip(pattern.iter()) {
            *b ^= *p;
        }
    }
    // The tail (under 64 bytes) starts at a multiple of 4: the key is in phase.
    for (b, p) in blocks.into_remainder().iter_mut().zip(pattern.iter()) {
        *b ^= *p;
    }
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

#[inline]
fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    let r = offset & 3;
    [key[r], key[(r + 1) & 3], key[(r + 2) & 3], key[(r + 3) & 3]]
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
                    let mut fast = data[start..start + len].to_vec();
                    let mut slow = fast.clone();
                    apply_mask(&mut fast, key, offset);
                    apply_mask_reference(&mut slow, key, offset);
                    assert_eq!(fast, slow, "start {start} len {len} offset {offset}");
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
