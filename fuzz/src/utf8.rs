//! Target `utf8`: the incremental UTF-8 validator against `std::str::from_utf8`.
//!
//! The bytes (text with edits, or raw bytes) are fed in arbitrary chunks. The validator
//! must accept exactly the valid inputs, fail in exactly the chunk holding the first byte
//! after which the input can no longer be valid, report `is_complete` exactly at code
//! point boundaries, and fail `finish` exactly for a truncated final code point.

use arbitrary::{Arbitrary, Unstructured};
use websock_core::utf8::{validate, Utf8Validator};

use crate::util::chunks;

/// Where the bytes come from.
#[derive(Debug, Arbitrary)]
pub enum Source {
    /// Valid text, then edited.
    Text(String),
    /// Any bytes.
    Raw(Vec<u8>),
}

/// One edit of the bytes: replace, insert or delete at `pos` (modulo the length).
#[derive(Debug, Arbitrary)]
pub struct Edit {
    /// Position.
    pub pos: u16,
    /// The byte to write or insert.
    pub byte: u8,
    /// 0: replace, 1: insert, 2: delete (modulo 3).
    pub op: u8,
}

/// The structured input.
#[derive(Debug, Arbitrary)]
pub struct Input {
    /// Chunk sizes, cycled (modulo 33; 0 feeds an empty chunk).
    pub chunks: Vec<u8>,
    /// Edits applied in order.
    pub edits: Vec<Edit>,
    /// The bytes before editing.
    pub source: Source,
}

/// The target's entry point.
pub fn run(data: &[u8]) {
    if let Ok(input) = Input::arbitrary_take_rest(Unstructured::new(data)) {
        check(&input);
    }
}

/// The bytes an input describes.
pub fn bytes_of(input: &Input) -> Vec<u8> {
    let mut bytes = match &input.source {
        Source::Text(s) => s.as_bytes().to_vec(),
        Source::Raw(b) => b.clone(),
    };
    for e in &input.edits {
        let pos = usize::from(e.pos) % (bytes.len() + 1);
        match e.op % 3 {
            0 if pos < bytes.len() => bytes[pos] = e.byte,
            2 if pos < bytes.len() => {
                bytes.remove(pos);
            }
            _ => bytes.insert(pos, e.byte),
        }
    }
    bytes
}

/// The index of the first byte after which `bytes` can no longer be the start of valid
/// UTF-8, if any (derived from `std`).
pub fn first_fatal_byte(bytes: &[u8]) -> Option<usize> {
    let err = std::str::from_utf8(bytes).err()?;
    err.error_len()?;
    let start = err.valid_up_to();
    // The text before `start` is complete; the smallest prefix of the rest that std
    // calls definitely invalid ends at the fatal byte (within one code point).
    (start..bytes.len().min(start + 4)).find(|&k| {
        std::str::from_utf8(&bytes[start..=k])
            .err()
            .is_some_and(|e| e.error_len().is_some())
    })
}

/// Checks one structured input.
pub fn check(input: &Input) {
    let bytes = bytes_of(input);
    let std_ok = std::str::from_utf8(&bytes).is_ok();
    assert_eq!(
        validate(&bytes).is_ok(),
        std_ok,
        "validate disagrees with std"
    );
    let fatal = first_fatal_byte(&bytes);

    let mut v = Utf8Validator::new();
    let mut seen = 0;
    for chunk in chunks(&bytes, &input.chunks, 33) {
        let result = v.feed(chunk);
        let end = seen + chunk.len();
        match fatal {
            Some(k) if k < end => {
                assert!(
                    result.is_err(),
                    "missed the invalid byte at {k} (chunk ends {end})"
                );
                return;
            }
            _ => assert!(result.is_ok(), "failed early at chunk ending {end}"),
        }
        seen = end;
        assert_eq!(
            v.is_complete(),
            std::str::from_utf8(&bytes[..seen]).is_ok(),
            "is_complete wrong after {seen} bytes"
        );
    }
    assert!(fatal.is_none());
    assert_eq!(v.finish().is_ok(), std_ok, "finish disagrees with std");
    // finish resets: the validator is reusable.
    assert!(v.is_complete());
    assert!(v.feed("ok é".as_bytes()).is_ok() && v.finish().is_ok());
}
