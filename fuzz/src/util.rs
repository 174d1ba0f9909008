//! Small helpers shared by the targets.

/// Splits `data` into consecutive chunks whose sizes cycle through `sizes` (taken
/// modulo `modulus`; a size of 0 gives an empty chunk). No sizes means one chunk.
/// The chunks always cover `data` exactly, in order.
pub(crate) fn chunks<'a>(data: &'a [u8], sizes: &[u8], modulus: usize) -> Vec<&'a [u8]> {
    let mut out = Vec::new();
    if sizes.is_empty() {
        out.push(data);
        return out;
    }
    let mut rest = data;
    let mut empties = 0;
    for &s in sizes.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let mut size = usize::from(s) % modulus.max(1);
        if size == 0 {
            empties += 1;
            if empties > sizes.len() {
                // Every size is zero: take the rest at once.
                size = rest.len();
            }
        }
        let (chunk, tail) = rest.split_at(size.min(rest.len()));
        out.push(chunk);
        rest = tail;
    }
    out
}

/// A tiny deterministic generator (splitmix64) for derived choices that need not come
/// from the input (e.g. a second chunking of the same bytes).
#[derive(Debug, Clone)]
pub(crate) struct Mix(pub(crate) u64);

impl Mix {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A cheap hash of `data` (FNV-1a), used to seed [`Mix`] from an input.
pub(crate) fn hash(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_input() {
        let data: Vec<u8> = (0..100).collect();
        for sizes in [&[][..], &[0], &[0, 0, 3], &[1], &[7, 0, 200]] {
            let c = chunks(&data, sizes, 64);
            assert_eq!(c.concat(), data, "{sizes:?}");
        }
    }
}
