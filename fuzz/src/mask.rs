//! Target `mask`: the word-at-a-time masking fast path against the byte-by-byte
//! reference, at every length, key offset and buffer alignment, whole and in pieces.

use arbitrary::{Arbitrary, Unstructured};
use websock_core::mask::{apply_mask, apply_mask_reference, mask_into};

use crate::util::chunks;

/// The structured input.
#[derive(Debug, Arbitrary)]
pub struct Input {
    /// The masking key.
    pub key: [u8; 4],
    /// Payload bytes already processed before `data` (any value; only `& 3` matters).
    pub offset: usize,
    /// Where `data` starts in its buffer (modulo 64), to vary alignment.
    pub align: u8,
    /// Sizes of the pieces for piecewise masking (modulo 40).
    pub pieces: Vec<u8>,
    /// The payload.
    pub data: Vec<u8>,
}

/// The target's entry point.
pub fn run(data: &[u8]) {
    if let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) {
        check(&input);
    }
}

/// Masks `data` placed `align` bytes into a guarded buffer with the fast path, checks
/// the bytes around it are untouched, and returns the masked bytes.
fn fast_at(data: &[u8], key: [u8; 4], offset: usize, align: usize) -> Vec<u8> {
    const GUARD: u8 = 0xA5;
    let mut buf = vec![GUARD; align + data.len() + 16];
    buf[align..align + data.len()].copy_from_slice(data);
    apply_mask(&mut buf[align..align + data.len()], key, offset);
    assert!(
        buf[..align].iter().all(|&b| b == GUARD),
        "wrote before the slice"
    );
    assert!(
        buf[align + data.len()..].iter().all(|&b| b == GUARD),
        "wrote after the slice"
    );
    buf[align..align + data.len()].to_vec()
}

/// Checks one structured input.
pub fn check(input: &Input) {
    let Input {
        key, offset, data, ..
    } = input;
    let (key, offset) = (*key, *offset);
    let mut expected = data.clone();
    apply_mask_reference(&mut expected, key, offset);
    // The reference is the RFC's formula.
    for (i, (&e, &d)) in expected.iter().zip(data.iter()).enumerate() {
        assert_eq!(e, d ^ key[offset.wrapping_add(i) % 4]);
    }

    // Whole, at the fuzzer's alignment and at every alignment of a 16-byte word.
    let align = usize::from(input.align) % 64;
    assert_eq!(fast_at(data, key, offset, align), expected, "align {align}");
    if data.len() <= 256 {
        for a in 0..16 {
            assert_eq!(fast_at(data, key, offset, a), expected, "align {a}");
        }
    }

    // In pieces, each continuing the key where the last stopped.
    let mut pieces = data.clone();
    let mut done = 0;
    let sizes: Vec<&[u8]> = chunks(data, &input.pieces, 40);
    for piece in sizes {
        let len = piece.len();
        apply_mask(
            &mut pieces[done..done + len],
            key,
            offset.wrapping_add(done),
        );
        done += len;
    }
    assert_eq!(pieces, expected, "piecewise masking");

    // Masking is an involution.
    let mut twice = expected.clone();
    apply_mask(&mut twice, key, offset);
    assert_eq!(&twice, data, "unmasking did not restore the data");

    // mask_into starts at offset 0.
    let mut dst = vec![0u8; data.len()];
    mask_into(&mut dst, data, key);
    let mut from_zero = data.clone();
    apply_mask_reference(&mut from_zero, key, 0);
    assert_eq!(dst, from_zero, "mask_into");
}
