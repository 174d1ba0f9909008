//! Incremental UTF-8 validation across fragment boundaries.
//!
//! [`Utf8Validator::feed`] fails at the first byte that can never become valid UTF-8,
//! even when the message is incomplete; a code point split across chunks is accepted.
//! Whole chunks go through `simdutf8`; only a code point straddling two chunks is
//! checked on its own.

use core::fmt;

/// The input is not, and can never become, valid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utf8Error;

impl fmt::Display for Utf8Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid UTF-8")
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Utf8Error {}

/// Validates a byte stream chunk by chunk. Holds at most 3 bytes of an unfinished
/// code point between chunks.
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    pending: [u8; 4],
    pending_len: u8,
}

impl Utf8Validator {
    /// A validator at the start of a stream.
    pub const fn new() -> Self {
        Utf8Validator {
            pending: [0; 4],
            pending_len: 0,
        }
    }

    /// Validate the next chunk. Fails as soon as the bytes seen so far cannot be the
    /// prefix of valid UTF-8.
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), Utf8Error> {
        while self.pending_len > 0 {
            let Some((&b, rest)) = data.split_first() else {
                return Ok(());
            };
            data = rest;
            self.pending[self.pending_len as usize] = b;
            self.pending_len += 1;
            match core::str::from_utf8(&self.pending[..self.pending_len as usize]) {
                Ok(_) => self.pending_len = 0,
                Err(e) if e.error_len().is_some() => return Err(Utf8Error),
                Err(_) => {}
            }
        }
        // The complete part goes through the fast whole-buffer check; an unfinished code
        // point at the end (found by looking at the last three bytes) waits for the next
        // chunk, checked as a prefix now so a byte that can never become valid fails here.
        let (complete, tail) = data.split_at(unfinished_start(data));
        if simdutf8::basic::from_utf8(complete).is_err() {
            return Err(Utf8Error);
        }
        match core::str::from_utf8(tail) {
            Ok(_) => Ok(()),
            Err(e) if e.error_len().is_some() => Err(Utf8Error),
            Err(_) => {
                self.pending[..tail.len()].copy_from_slice(tail);
                self.pending_len = tail.len() as u8;
                Ok(())
            }
        }
    }

    /// The stream ended: fails if a code point is unfinished. Resets the validator.
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        let complete = self.pending_len == 0;
        self.reset();
        if complete {
            Ok(())
        } else {
            Err(Utf8Error)
        }
    }

    /// Whether the bytes so far end on a code point boundary.
    pub fn is_complete(&self) -> bool {
        self.pending_len == 0
    }

    /// How many bytes at the end of the input so far belong to an unfinished code point
    /// (0 to 3): everything before them is complete, valid UTF-8.
    pub fn incomplete_len(&self) -> usize {
        usize::from(self.pending_len)
    }

    /// Forget any unfinished code point.
    pub fn reset(&mut self) {
        self.pending_len = 0;
    }
}

/// The length of the UTF-8 sequence that `lead` starts (1 for ASCII and for bytes that
/// cannot start one; only meaningful for a lead byte the validator accepted).
pub(crate) fn sequence_len(lead: u8) -> usize {
    match lead {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

/// Where an unfinished code point at the end of `data` starts: the last lead byte among
/// the final three bytes, when fewer bytes follow it than it announces; `data.len()`
/// otherwise (the end is complete, or invalid, which the whole-buffer check reports).
fn unfinished_start(data: &[u8]) -> usize {
    let len = data.len();
    for i in (len.saturating_sub(3)..len).rev() {
        let b = data[i];
        if b & 0xc0 == 0x80 {
            continue; // a continuation byte: look further back for its lead
        }
        return if len - i < sequence_len(b) { i } else { len };
    }
    len
}

/// Validate a complete buffer (SIMD-accelerated).
pub fn validate(data: &[u8]) -> Result<&str, Utf8Error> {
    simdutf8::basic::from_utf8(data).map_err(|_| Utf8Error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    fn chunked(data: &[u8], size: usize) -> Result<(), Utf8Error> {
        let mut v = Utf8Validator::new();
        for c in data.chunks(size.max(1)) {
            v.feed(c)?;
        }
        v.finish()
    }

    #[test]
    fn agrees_with_std_under_every_chunking() {
        let samples: Vec<&[u8]> = vec![
            b"hello",
            "κόσμε".as_bytes(),
            "\u{10FFFF}\u{FFFD}€𝄞".as_bytes(),
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited",
            b"\xf4\x90\x80\x80",
            b"\xc0\xaf",
            b"\xe0\x80\xaf",
            b"\xed\xa0\x80",
            b"\xf0\x9f\x98",
            b"\xff",
            b"abc\xe2\x82",
        ];
        for s in samples {
            let expected = core::str::from_utf8(s).is_ok();
            for size in 1..=s.len().max(1) {
                assert_eq!(chunked(s, size).is_ok(), expected, "{s:?} chunk {size}");
            }
        }
    }

    #[test]
    fn fails_fast_inside_an_unfinished_stream() {
        // Autobahn 6.4.x: the invalid byte arrives, the rest never does.
        let mut v = Utf8Validator::new();
        v.feed("κόσμε".as_bytes()).unwrap();
        assert_eq!(v.feed(b"\xf4\x90"), Err(Utf8Error));
        let mut v = Utf8Validator::new();
        v.feed(b"\xf4").unwrap();
        assert_eq!(v.feed(b"\x90"), Err(Utf8Error));
        let mut v = Utf8Validator::new();
        assert_eq!(v.feed(b"\xed\xa0"), Err(Utf8Error));
    }

    #[test]
    fn split_code_point_is_accepted() {
        let mut v = Utf8Validator::new();
        v.feed(b"\xf0\x9f").unwrap();
        assert!(!v.is_complete());
        v.feed(b"\x98").unwrap();
        v.feed(b"\x80!").unwrap();
        assert!(v.finish().is_ok());
    }

    #[test]
    fn unfinished_code_point_fails_at_finish() {
        let mut v = Utf8Validator::new();
        v.feed(b"ok\xe2\x82").unwrap();
        assert_eq!(v.finish(), Err(Utf8Error));
        // finish resets
        assert!(v.finish().is_ok());
    }
}
