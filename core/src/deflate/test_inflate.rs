//! A small, slow, independent DEFLATE decoder (RFC 1951) for the tests: it checks the
//! compressor's output without zlib-rs, and reports the farthest back-reference, which
//! zlib-rs's inflater cannot (it always keeps a 32 KiB window, whatever it is told).

use alloc::vec;
use alloc::vec::Vec;

/// Decodes raw DEFLATE `data` that ends at a block boundary (a message plus
/// [`TAIL`](super::TAIL)), appending to `history` (the output of earlier messages, for
/// context takeover). Returns the farthest distance used, or `None` if the data is not
/// valid DEFLATE (including a distance beyond `history`).
pub(crate) fn inflate(data: &[u8], history: &mut Vec<u8>) -> Option<usize> {
    let mut s = Bits {
        data,
        pos: 0,
        buf: 0,
        cnt: 0,
    };
    let mut max_dist = 0;
    while s.pos < data.len() {
        let last = s.bits(1)?;
        match s.bits(2)? {
            0 => {
                s.buf = 0;
                s.cnt = 0;
                let len = usize::from(s.byte()?) | usize::from(s.byte()?) << 8;
                let nlen = usize::from(s.byte()?) | usize::from(s.byte()?) << 8;
                if len != !nlen & 0xffff {
                    return None;
                }
                let end = s.pos.checked_add(len)?;
                history.extend_from_slice(data.get(s.pos..end)?);
                s.pos = end;
            }
            1 => {
                let mut lengths = [0u8; 288 + 30];
                lengths[..144].fill(8);
                lengths[144..256].fill(9);
                lengths[256..280].fill(7);
                lengths[280..288].fill(8);
                lengths[288..].fill(5);
                let lit = Huffman::new(&lengths[..288]);
                let dist = Huffman::new(&lengths[288..]);
                max_dist = max_dist.max(s.codes(&lit, &dist, history)?);
            }
            2 => {
                let (lit, dist) = s.dynamic()?;
                max_dist = max_dist.max(s.codes(&lit, &dist, history)?);
            }
            _ => return None,
        }
        if last == 1 {
            break;
        }
    }
    Some(max_dist)
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    buf: u32,
    cnt: u32,
}

struct Huffman {
    counts: [u16; 16],
    symbols: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Huffman {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[usize::from(l)] += 1;
        }
        counts[0] = 0;
        let mut offs = [0u16; 16];
        for len in 1..15 {
            offs[len + 1] = offs[len] + counts[len];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (sym, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[usize::from(offs[usize::from(l)])] = sym as u16;
                offs[usize::from(l)] += 1;
            }
        }
        Huffman { counts, symbols }
    }
}

const LBASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258,
];
const LEXT: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DBASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
    2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
];
const DEXT: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
    13,
];

impl Bits<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        while self.cnt < n {
            self.buf |= u32::from(self.byte()?) << self.cnt;
            self.cnt += 8;
        }
        let v = self.buf & ((1u32 << n) - 1);
        self.buf >>= n;
        self.cnt -= n;
        Some(v)
    }

    fn decode(&mut self, h: &Huffman) -> Option<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= self.bits(1)? as i32;
            let count = i32::from(h.counts[len]);
            if code - count < first {
                return h.symbols.get((index + code - first) as usize).copied();
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }

    fn dynamic(&mut self) -> Option<(Huffman, Huffman)> {
        const ORDER: [usize; 19] = [
            16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
        ];
        let nlen = self.bits(5)? as usize + 257;
        let ndist = self.bits(5)? as usize + 1;
        let ncode = self.bits(4)? as usize + 4;
        let mut lengths = [0u8; 19];
        for &i in &ORDER[..ncode] {
            lengths[i] = self.bits(3)? as u8;
        }
        let lencode = Huffman::new(&lengths);
        let mut all = vec![0u8; nlen + ndist];
        let mut i = 0;
        while i < nlen + ndist {
            let sym = self.decode(&lencode)?;
            let (value, repeat) = match sym {
                0..=15 => (sym as u8, 1),
                16 => (*all.get(i.checked_sub(1)?)?, 3 + self.bits(2)? as usize),
                17 => (0, 3 + self.bits(3)? as usize),
                18 => (0, 11 + self.bits(7)? as usize),
                _ => return None,
            };
            if i + repeat > nlen + ndist {
                return None;
            }
            all[i..i + repeat].fill(value);
            i += repeat;
        }
        Some((Huffman::new(&all[..nlen]), Huffman::new(&all[nlen..])))
    }

    /// One block's codes; returns the farthest distance used.
    fn codes(&mut self, lit: &Huffman, dist: &Huffman, out: &mut Vec<u8>) -> Option<usize> {
        let mut max_dist = 0;
        loop {
            let sym = usize::from(self.decode(lit)?);
            match sym {
                0..=255 => out.push(sym as u8),
                256 => return Some(max_dist),
                _ => {
                    let k = sym - 257;
                    let len = usize::from(*LBASE.get(k)?) + self.bits(u32::from(LEXT[k]))? as usize;
                    let d = usize::from(self.decode(dist)?);
                    let distance =
                        usize::from(*DBASE.get(d)?) + self.bits(u32::from(DEXT[d]))? as usize;
                    if distance > out.len() {
                        return None;
                    }
                    max_dist = max_dist.max(distance);
                    for _ in 0..len {
                        out.push(out[out.len() - distance]);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_rfc7692_examples() {
        let tail = [0x00, 0x00, 0xff, 0xff];
        let mut h = Vec::new();
        let hello = [0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        assert_eq!(inflate(&[&hello[..], &tail].concat(), &mut h), Some(0));
        assert_eq!(h, b"Hello");
        // The second "Hello" copies 5 bytes from 5 back.
        let again = [0xf2, 0x00, 0x11, 0x00, 0x00];
        assert_eq!(inflate(&[&again[..], &tail].concat(), &mut h), Some(5));
        assert_eq!(h, b"HelloHello");
        // Without history it is invalid.
        assert_eq!(
            inflate(&[&again[..], &tail].concat(), &mut Vec::new()),
            None
        );
        let stored = [
            0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
        ];
        let mut h = Vec::new();
        assert_eq!(inflate(&[&stored[..], &tail].concat(), &mut h), Some(0));
        assert_eq!(h, b"Hello");
        assert_eq!(inflate(&[0x07], &mut Vec::new()), None);
    }
}
