//! A reference model of how [`HeadReader`] frames an HTTP head, and a checked feeding
//! loop shared by the two handshake targets.

use websock_core::handshake::HeadReader;
use websock_core::HandshakeError;

use crate::util::chunks;

/// What reading a byte stream's head must come to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// No blank line yet, and within the limits.
    Incomplete,
    /// The head is the first `len` bytes.
    Complete(usize),
    /// Refused: over the size limit.
    TooLarge,
    /// Refused: too many header lines.
    TooManyHeaders,
}

/// Decides, line by line, where the head of `data` ends or which limit it breaks.
///
/// Leading CR and LF bytes are skipped. Lines end with LF. After the start line, a line
/// that is empty or a lone CR ends the head; any other line is a header line, and the
/// one that makes the count exceed `max_headers` is refused when its LF arrives. The
/// reader looks at no more than `max_size` bytes.
///
/// Also returns the index of the byte whose arrival decides the outcome, if any: the
/// head's last byte, the LF of the header line over the count, or byte `max_size` (the
/// first one the reader refuses to look at).
pub(crate) fn reference(
    data: &[u8],
    max_size: usize,
    max_headers: usize,
) -> (Verdict, Option<usize>) {
    let start = data
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(data.len());
    let mut event = None;
    let mut header_lines = 0usize;
    let mut line_start = start;
    let mut first = true;
    for (j, &b) in data.iter().enumerate().skip(start) {
        if b != b'\n' {
            continue;
        }
        let line = &data[line_start..j];
        line_start = j + 1;
        if first {
            first = false;
            continue;
        }
        if line.is_empty() || line == b"\r" {
            event = Some((Verdict::Complete(j + 1), j));
            break;
        }
        header_lines += 1;
        if header_lines > max_headers {
            event = Some((Verdict::TooManyHeaders, j));
            break;
        }
    }
    match event {
        Some((_, at)) if at >= max_size => (Verdict::TooLarge, Some(max_size)),
        Some((v, at)) => (v, Some(at)),
        None if data.len() > max_size => (Verdict::TooLarge, Some(max_size)),
        None => (Verdict::Incomplete, None),
    }
}

/// Feeds `data` to a new reader in the chunks `cuts` describes, checking every call
/// against [`reference`]: the outcome arrives with the chunk that decides it, the
/// leftover is exactly what follows the head, errors are final, and the buffered head
/// never exceeds `max_size`. Feeding it whole gives the same result. Returns the reader
/// and the verdict.
pub(crate) fn feed_checked(
    data: &[u8],
    cuts: &[u8],
    max_size: usize,
    max_headers: usize,
) -> (HeadReader, Verdict) {
    let (verdict, deciding) = reference(data, max_size, max_headers);

    let mut reader = HeadReader::new(max_size, max_headers);
    let mut seen = 0;
    let mut outcome: Option<Result<usize, HandshakeError>> = None;
    for chunk in chunks(data, cuts, 97) {
        let end = seen + chunk.len();
        let result = reader.feed(chunk);
        assert!(reader.head().len() <= max_size, "head over the size limit");
        match outcome {
            Some(Ok(_)) => assert_eq!(result, Ok(Some(chunk)), "input after the head"),
            Some(Err(ref e)) => assert_eq!(result.as_ref(), Err(e), "errors are final"),
            None => match (deciding, result) {
                (Some(k), Ok(Some(rest))) if k < end => {
                    let Verdict::Complete(len) = verdict else {
                        panic!("completed, expected {verdict:?}");
                    };
                    assert_eq!(rest, &data[len..end], "leftover");
                    assert_eq!(reader.head(), &data[..len], "head");
                    assert!(reader.is_complete());
                    outcome = Some(Ok(len));
                }
                (Some(k), Err(e)) if k < end => {
                    let expected = match verdict {
                        Verdict::TooLarge => HandshakeError::TooLarge,
                        Verdict::TooManyHeaders => HandshakeError::TooManyHeaders,
                        _ => panic!("failed with {e:?}, expected {verdict:?}"),
                    };
                    assert_eq!(e, expected);
                    outcome = Some(Err(e));
                }
                (_, Ok(None)) if deciding.is_none_or(|k| k >= end) => {
                    assert!(!reader.is_complete());
                }
                (_, other) => panic!("feed up to {end} gave {other:?}, expected {verdict:?}"),
            },
        }
        seen = end;
    }
    if verdict == Verdict::Incomplete {
        assert!(outcome.is_none() && !reader.is_complete());
        assert!(reader.parse_request().is_err() && reader.parse_response().is_err());
    } else {
        assert!(outcome.is_some(), "no outcome for {verdict:?}");
    }

    // Whole input in one call: the same verdict and head.
    let mut whole = HeadReader::new(max_size, max_headers);
    let result = whole.feed(data);
    match verdict {
        Verdict::Incomplete => assert_eq!(result, Ok(None)),
        Verdict::Complete(len) => {
            assert_eq!(result, Ok(Some(&data[len..])));
            assert_eq!(whole.head(), reader.head());
        }
        Verdict::TooLarge => assert_eq!(result, Err(HandshakeError::TooLarge)),
        Verdict::TooManyHeaders => assert_eq!(result, Err(HandshakeError::TooManyHeaders)),
    }
    (reader, verdict)
}

/// The input of the handshake targets, in a hand-written format so that seeds can be
/// written as real HTTP heads:
///
/// ```text
/// max_size:u16 max_headers:u8 ncuts:u8 cut:u8{ncuts} flood_at:u16 flood_byte:u8
/// flood_count:u16 data*
/// ```
///
/// The bytes fed are `data` with `flood_count` copies of `flood_byte` inserted at
/// `flood_at` (modulo the length): a cheap way to describe huge or endless headers (up
/// to 64 KiB, past any size limit the input can choose).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadInput {
    /// The head size limit.
    pub max_size: u16,
    /// The header count limit.
    pub max_headers: u8,
    /// Chunk sizes, cycled (modulo 97; 0 feeds an empty chunk).
    pub cuts: Vec<u8>,
    /// Where the flood goes.
    pub flood_at: u16,
    /// The flood's byte.
    pub flood_byte: u8,
    /// The flood's length.
    pub flood_count: u16,
    /// The bytes.
    pub data: Vec<u8>,
}

impl HeadInput {
    /// Decodes the format above (every input decodes; missing fields read as zeros).
    pub fn decode(u: &mut arbitrary::Unstructured<'_>) -> HeadInput {
        let mut byte = || u.arbitrary::<u8>().unwrap_or(0);
        let max_size = u16::from_le_bytes([byte(), byte()]);
        let max_headers = byte();
        let ncuts = byte();
        let cuts = (0..ncuts).map(|_| byte()).collect();
        let flood_at = u16::from_le_bytes([byte(), byte()]);
        let flood_byte = byte();
        let flood_count = u16::from_le_bytes([byte(), byte()]);
        HeadInput {
            max_size,
            max_headers,
            cuts,
            flood_at,
            flood_byte,
            flood_count,
            data: u.bytes(u.len()).unwrap_or_default().to_vec(),
        }
    }

    /// Encodes so that [`decode`](Self::decode) gives `self` back.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.max_size.to_le_bytes());
        out.push(self.max_headers);
        out.push(self.cuts.len() as u8);
        out.extend_from_slice(&self.cuts[..self.cuts.len().min(255)]);
        out.extend_from_slice(&self.flood_at.to_le_bytes());
        out.push(self.flood_byte);
        out.extend_from_slice(&self.flood_count.to_le_bytes());
        out.extend_from_slice(&self.data);
    }

    /// A plain input: `data` under the given limits, fed whole, no flood.
    pub fn plain(data: &[u8], max_size: u16, max_headers: u8) -> HeadInput {
        HeadInput {
            max_size,
            max_headers,
            cuts: Vec::new(),
            flood_at: 0,
            flood_byte: 0,
            flood_count: 0,
            data: data.to_vec(),
        }
    }

    /// The bytes to feed.
    pub fn bytes(&self) -> Vec<u8> {
        let mut bytes = self.data.clone();
        if self.flood_count > 0 {
            let at = usize::from(self.flood_at) % (bytes.len() + 1);
            let flood = vec![self.flood_byte; usize::from(self.flood_count)];
            bytes.splice(at..at, flood);
        }
        bytes
    }

    /// Feeds the bytes through [`feed_checked`].
    pub(crate) fn feed(&self) -> (HeadReader, Verdict) {
        feed_checked(
            &self.bytes(),
            &self.cuts,
            usize::from(self.max_size),
            usize::from(self.max_headers),
        )
    }
}
