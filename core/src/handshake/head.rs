//! Incremental, linear-time reading of an HTTP/1.x head (request or response).
//!
//! [`HeadReader`] looks at every byte exactly once as it arrives: it tracks where the
//! blank line ending the head might be, counts header lines, and enforces the size and
//! header-count limits as it goes, so an endless or oversized head is refused as soon as
//! it crosses a limit, and a head fed one byte at a time costs the same as one fed whole.
//! `httparse` runs once, on the complete head.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::client::Response;
use super::server::Request;
use crate::error::HandshakeError;

/// Where the scanner stands relative to the end of the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scan {
    /// Before the start line: empty lines here are skipped (RFC 7230 §3.5).
    Begin,
    /// Inside a non-empty line.
    InLine,
    /// Right after a line feed: an empty line here ends the head.
    LineStart,
    /// After a line feed and a carriage return.
    LineStartCr,
    /// The head is complete.
    Done,
    /// A limit was exceeded; the reader refuses further input.
    Failed(Failure),
}

/// Why the reader failed (kept so further calls report the same error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    TooLarge,
    TooManyHeaders,
}

impl From<Failure> for HandshakeError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::TooLarge => HandshakeError::TooLarge,
            Failure::TooManyHeaders => HandshakeError::TooManyHeaders,
        }
    }
}

/// Accumulates the bytes of an HTTP head until its blank line, enforcing limits, without
/// re-scanning: each byte is examined once, whatever the chunking.
///
/// Only the head is stored; bytes that follow it in the same chunk are handed back by
/// [`feed`](Self::feed). Once complete, [`parse_request`](Self::parse_request) or
/// [`parse_response`](Self::parse_response) parses it (once, with `httparse`).
/// Both `CRLF` and bare `LF` line endings are accepted, as `httparse` accepts them.
#[derive(Debug, Clone)]
pub struct HeadReader {
    buf: Vec<u8>,
    max_size: usize,
    max_headers: usize,
    /// Complete non-empty lines seen (the start line plus header lines).
    lines: usize,
    state: Scan,
}

impl HeadReader {
    /// A reader that accepts a head of at most `max_size` bytes (start line, headers and
    /// the final blank line) and at most `max_headers` header lines.
    pub fn new(max_size: usize, max_headers: usize) -> Self {
        HeadReader {
            buf: Vec::new(),
            max_size,
            max_headers,
            lines: 0,
            state: Scan::Begin,
        }
    }

    /// A reader with the handshake limits of `limits`.
    pub fn with_limits(limits: &crate::config::Limits) -> Self {
        Self::new(limits.max_handshake_size, limits.max_headers)
    }

    /// Feeds the next bytes of the stream.
    ///
    /// Returns `Ok(None)` while the head is incomplete (all of `data` was taken), and
    /// `Ok(Some(leftover))` once it is complete, where `leftover` is the part of `data`
    /// after the head: WebSocket frames that arrived in the same read, which the caller
    /// must keep. After completion every further call returns all of its `data` as
    /// leftover.
    ///
    /// # Errors
    ///
    /// [`HandshakeError::TooLarge`] as soon as the head passes `max_size` bytes without
    /// ending, and [`HandshakeError::TooManyHeaders`] as soon as the header line after
    /// the `max_headers`-th is complete. Errors are final: later calls repeat them.
    pub fn feed<'a>(&mut self, data: &'a [u8]) -> Result<Option<&'a [u8]>, HandshakeError> {
        self.feed_taking(data).map_err(|(e, _)| e)
    }

    /// [`feed`](Self::feed), and on failure also how many bytes of `data` the head took:
    /// those up to and including the byte that failed it (all of a too-large head's
    /// room). The count does not depend on how the stream was split into calls, so a
    /// caller can tell the head's bytes from those that followed it.
    pub(crate) fn feed_taking<'a>(
        &mut self,
        data: &'a [u8],
    ) -> Result<Option<&'a [u8]>, (HandshakeError, usize)> {
        match self.state {
            Scan::Done => return Ok(Some(data)),
            Scan::Failed(f) => return Err((f.into(), 0)),
            _ => {}
        }
        // Never look at more bytes than the head may still have.
        let room = self.max_size.saturating_sub(self.buf.len());
        let window = data.get(..room).unwrap_or(data);
        for (i, &b) in window.iter().enumerate() {
            if let Err(f) = self.step(b) {
                self.state = Scan::Failed(f);
                self.buf = Vec::new();
                return Err((f.into(), i + 1));
            }
            if self.state == Scan::Done {
                let (head, rest) = data.split_at(i + 1);
                self.buf.extend_from_slice(head);
                return Ok(Some(rest));
            }
        }
        if window.len() < data.len() {
            self.state = Scan::Failed(Failure::TooLarge);
            self.buf = Vec::new();
            return Err((HandshakeError::TooLarge, window.len()));
        }
        self.buf.extend_from_slice(data);
        Ok(None)
    }

    /// Advances the scanner by one byte.
    fn step(&mut self, b: u8) -> Result<(), Failure> {
        self.state = match (self.state, b) {
            (Scan::Begin, b'\r' | b'\n') => Scan::Begin,
            (Scan::LineStart | Scan::LineStartCr, b'\n') => Scan::Done,
            (Scan::LineStart, b'\r') => Scan::LineStartCr,
            (Scan::InLine, b'\n') => {
                self.lines += 1;
                // The first line is the request or status line.
                if self.lines - 1 > self.max_headers {
                    return Err(Failure::TooManyHeaders);
                }
                Scan::LineStart
            }
            (s @ (Scan::Done | Scan::Failed(_)), _) => s,
            _ => Scan::InLine,
        };
        Ok(())
    }

    /// Whether the whole head has been received.
    pub fn is_complete(&self) -> bool {
        self.state == Scan::Done
    }

    /// The head bytes received so far (all of it once complete).
    pub fn head(&self) -> &[u8] {
        &self.buf
    }

    /// A `httparse` header array just large enough for this head: never more than
    /// `max_headers`, nor more than the header lines counted while scanning.
    fn header_slots(&self) -> Result<Vec<httparse::Header<'static>>, HandshakeError> {
        if !self.is_complete() {
            return Err(HandshakeError::MalformedHttp);
        }
        let slots = self.max_headers.min(self.lines.saturating_sub(1));
        Ok(vec![httparse::EMPTY_HEADER; slots])
    }

    /// Parses the complete head as a request. This is a raw parse: the WebSocket rules
    /// are checked by [`validate_request`](super::server::validate_request).
    ///
    /// # Errors
    ///
    /// [`HandshakeError::MalformedHttp`] if the head is not a valid HTTP/1.x request (or
    /// is not complete yet), [`HandshakeError::TooManyHeaders`] over the limit.
    pub fn parse_request(&self) -> Result<Request, HandshakeError> {
        let mut slots = self.header_slots()?;
        let mut req = httparse::Request::new(&mut slots);
        complete(req.parse(&self.buf))?;
        Ok(Request {
            method: String::from(req.method.unwrap_or_default()),
            path: String::from(req.path.unwrap_or_default()),
            version: req.version.unwrap_or_default(),
            headers: own_headers(req.headers),
        })
    }

    /// Parses the complete head as a response. This is a raw parse: the WebSocket rules
    /// are checked by [`validate_response`](super::client::validate_response).
    ///
    /// # Errors
    ///
    /// As for [`parse_request`](Self::parse_request).
    pub fn parse_response(&self) -> Result<Response, HandshakeError> {
        let mut slots = self.header_slots()?;
        let mut resp = httparse::Response::new(&mut slots);
        complete(resp.parse(&self.buf))?;
        Ok(Response {
            status: resp.code.unwrap_or_default(),
            reason: String::from(resp.reason.unwrap_or_default()),
            headers: own_headers(resp.headers),
        })
    }
}

/// Maps a `httparse` result on a complete head.
fn complete(r: httparse::Result<usize>) -> Result<(), HandshakeError> {
    match r {
        Ok(httparse::Status::Complete(_)) => Ok(()),
        // The scanner saw a blank line that httparse does not treat as the end.
        Ok(httparse::Status::Partial) => Err(HandshakeError::MalformedHttp),
        Err(httparse::Error::TooManyHeaders) => Err(HandshakeError::TooManyHeaders),
        Err(_) => Err(HandshakeError::MalformedHttp),
    }
}

fn own_headers(headers: &[httparse::Header<'_>]) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .map(|h| (String::from(h.name), h.value.to_vec()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    const REQ: &[u8] = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\r\n";

    fn feed_all(r: &mut HeadReader, data: &[u8]) -> Result<Option<Vec<u8>>, HandshakeError> {
        r.feed(data).map(|o| o.map(<[u8]>::to_vec))
    }

    #[test]
    fn whole_head_with_leftover() {
        let mut r = HeadReader::new(1024, 8);
        let mut data = REQ.to_vec();
        data.extend_from_slice(b"\x81\x00rest");
        assert_eq!(feed_all(&mut r, &data), Ok(Some(b"\x81\x00rest".to_vec())));
        assert!(r.is_complete());
        assert_eq!(r.head(), REQ);
        let req = r.parse_request().unwrap();
        assert_eq!(req.method, "GET");
        assert_eq!(req.path, "/chat");
        assert_eq!(req.version, 1);
        assert_eq!(req.header("host"), Some(&b"example.com"[..]));
        // Further input is all leftover.
        assert_eq!(r.feed(b"more"), Ok(Some(&b"more"[..])));
    }

    #[test]
    fn exact_end_has_empty_leftover() {
        let mut r = HeadReader::new(REQ.len(), 2);
        assert_eq!(r.feed(REQ), Ok(Some(&b""[..])));
    }

    #[test]
    fn byte_at_a_time_matches_whole() {
        let mut data = REQ.to_vec();
        data.extend_from_slice(b"tail");
        for split in 0..=data.len() {
            let mut r = HeadReader::new(1024, 8);
            let (a, b) = data.split_at(split);
            let mut leftover = Vec::new();
            for chunk in [a, b] {
                if let Some(rest) = r.feed(chunk).unwrap() {
                    leftover.extend_from_slice(rest);
                }
            }
            assert_eq!(leftover, b"tail", "split at {split}");
            assert_eq!(r.head(), REQ);
        }
        let mut r = HeadReader::new(1024, 8);
        let mut leftover = Vec::new();
        for b in &data {
            if let Some(rest) = r.feed(core::slice::from_ref(b)).unwrap() {
                leftover.extend_from_slice(rest);
            }
        }
        assert_eq!(leftover, b"tail");
        let mut whole = HeadReader::new(1024, 8);
        whole.feed(&data).unwrap();
        assert_eq!(r.parse_request(), whole.parse_request());
    }

    #[test]
    fn terminator_straddles_chunks() {
        let mut r = HeadReader::new(1024, 8);
        assert_eq!(
            r.feed(b"HTTP/1.1 101 Switching Protocols\r\nA: b\r"),
            Ok(None)
        );
        assert_eq!(r.feed(b"\n\r"), Ok(None));
        assert_eq!(r.feed(b"\nX"), Ok(Some(&b"X"[..])));
        let resp = r.parse_response().unwrap();
        assert_eq!(resp.status, 101);
        assert_eq!(resp.reason, "Switching Protocols");
        assert_eq!(resp.header("a"), Some(&b"b"[..]));
    }

    #[test]
    fn bare_lf_and_leading_empty_lines() {
        let mut r = HeadReader::new(1024, 8);
        assert_eq!(
            r.feed(b"\r\n\nGET / HTTP/1.1\nHost: x\n\nZ"),
            Ok(Some(&b"Z"[..]))
        );
        assert_eq!(r.parse_request().unwrap().header_str("host"), Some("x"));
    }

    #[test]
    fn too_large_without_terminator() {
        // An endless header line is refused once it passes the limit.
        let mut r = HeadReader::new(100, 8);
        assert_eq!(r.feed(b"GET / HTTP/1.1\r\nX: "), Ok(None));
        let mut result = Ok(None);
        for _ in 0..200 {
            result = r.feed(b"a");
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(HandshakeError::TooLarge));
        assert!(r.head().len() <= 100);
        // Errors are final.
        assert_eq!(r.feed(b"\r\n\r\n"), Err(HandshakeError::TooLarge));
    }

    #[test]
    fn too_large_in_one_chunk() {
        let mut r = HeadReader::new(10, 8);
        assert_eq!(r.feed(REQ), Err(HandshakeError::TooLarge));
        // A huge chunk is refused after looking at no more than the limit.
        let mut r = HeadReader::new(REQ.len() - 1, 8);
        assert_eq!(r.feed(REQ), Err(HandshakeError::TooLarge));
        // A head that fits exactly, followed by far more than the limit of frame data.
        let mut r = HeadReader::new(REQ.len(), 8);
        let mut data = REQ.to_vec();
        data.extend_from_slice(&[0x82; 5000]);
        assert_eq!(r.feed(&data), Ok(Some(&[0x82; 5000][..])));
    }

    #[test]
    fn a_failed_head_takes_the_same_bytes_however_it_is_split() {
        // Too large (100 bytes without an end) and too many headers (the third header
        // line's LF).
        let large = vec![b'a'; 150];
        let many = b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nrest".to_vec();
        for (data, taken) in [(large, 100), (many, 34)] {
            for chunk in 1..=data.len() {
                let mut r = HeadReader::new(100, 2);
                let mut fed = 0;
                let mut failed = None;
                for piece in data.chunks(chunk) {
                    match r.feed_taking(piece) {
                        Ok(None) => fed += piece.len(),
                        Ok(Some(_)) => panic!("the head cannot complete"),
                        Err((_, n)) => {
                            failed = Some(fed + n);
                            break;
                        }
                    }
                }
                assert_eq!(failed, Some(taken), "reads of {chunk}");
            }
        }
    }

    #[test]
    fn too_many_headers_rejected_early() {
        let mut head = String::from("GET / HTTP/1.1\r\n");
        for i in 0..5 {
            head.push_str(&format!("X-{i}: v\r\n"));
        }
        let mut r = HeadReader::new(4096, 5);
        let mut full = head.clone().into_bytes();
        full.extend_from_slice(b"\r\n");
        assert!(matches!(r.feed(&full), Ok(Some(_))));
        assert_eq!(r.parse_request().unwrap().headers.len(), 5);

        // Six headers with a limit of five: refused, before the head even ends.
        head.push_str("X-5: v\r\n");
        let mut r = HeadReader::new(4096, 5);
        assert_eq!(r.feed(head.as_bytes()), Err(HandshakeError::TooManyHeaders));
    }

    #[test]
    fn zero_headers_allowed() {
        let mut r = HeadReader::new(100, 0);
        assert!(r.feed(b"HTTP/1.1 200 OK\r\n\r\n").unwrap().is_some());
        assert_eq!(r.parse_response().unwrap().headers.len(), 0);
        let mut r = HeadReader::new(100, 0);
        assert_eq!(
            r.feed(b"HTTP/1.1 200 OK\r\nA: b\r\n"),
            Err(HandshakeError::TooManyHeaders)
        );
    }

    #[test]
    fn huge_head_byte_at_a_time_is_linear() {
        // A 1 MB header value, one byte per call: each byte is examined once.
        let mut r = HeadReader::new(2 << 20, 8);
        assert_eq!(r.feed(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: "), Ok(None));
        for _ in 0..(1 << 20) {
            assert_eq!(r.feed(b"a"), Ok(None));
        }
        assert_eq!(r.feed(b"\r\n\r\n"), Ok(Some(&b""[..])));
        let req = r.parse_request().unwrap();
        assert_eq!(req.header("x-big").map(<[u8]>::len), Some(1 << 20));
    }

    #[test]
    fn malformed_heads() {
        for bad in [
            &b"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n"[..],
            b"GARBAGE\r\n\r\n",
            b"GET / HTTP/2.0\r\n\r\n",
            b"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
            b"GET / HTTP/1.1\r\n folded: x\r\n\r\n",
            b"\xff\xfe\r\n\r\n",
        ] {
            let mut r = HeadReader::new(1024, 8);
            assert!(r.feed(bad).unwrap().is_some(), "{bad:?}");
            assert_eq!(
                r.parse_request(),
                Err(HandshakeError::MalformedHttp),
                "{bad:?}"
            );
            assert_eq!(
                r.parse_response(),
                Err(HandshakeError::MalformedHttp),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn parse_before_complete_fails() {
        let mut r = HeadReader::new(1024, 8);
        r.feed(b"GET / HTTP/1.1\r\n").unwrap();
        assert_eq!(r.parse_request(), Err(HandshakeError::MalformedHttp));
    }

    #[test]
    fn non_utf8_reason_and_values() {
        let mut r = HeadReader::new(1024, 8);
        r.feed(b"HTTP/1.1 404 Nicht gef\xfcnden\r\nX: caf\xe9\r\n\r\n")
            .unwrap();
        let resp = r.parse_response().unwrap();
        assert_eq!(resp.status, 404);
        assert_eq!(resp.header("x"), Some(&b"caf\xe9"[..]));
    }
}
