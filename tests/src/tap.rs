//! A transport wrapper that watches the frames a client receives and records the pongs.
//!
//! `websock-smol` answers pings and takes pongs inside the engine without reporting
//! them (its API has no `recv_incoming`), so a smol client cannot see the pong to its
//! ping through the API. [`Tap`] sits between the transport (TCP or TLS, plaintext side)
//! and `websock_smol::client_handshake`: it skips the HTTP response head, then follows
//! the frame headers of what the server sends (servers do not mask; control frames are
//! never compressed) and keeps the payload of every pong.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};

/// The pongs a [`Tap`] saw, shared with the test.
#[derive(Debug, Default)]
pub struct PongWatch {
    pongs: Mutex<Vec<Bytes>>,
}

impl PongWatch {
    /// The payloads of the pongs seen so far, in order.
    pub fn pongs(&self) -> Vec<Bytes> {
        self.pongs.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Follows a server-to-client byte stream: the HTTP head, then frames.
#[derive(Debug, Default)]
pub struct FrameScanner {
    head_done: bool,
    head_tail: Vec<u8>,
    header: Vec<u8>,
    payload_left: u64,
    capture: Option<Vec<u8>>,
}

/// `(opcode, payload length)` once `h` holds a whole frame header.
fn parse_header(h: &[u8]) -> Option<(u8, u64)> {
    if h.len() < 2 {
        return None;
    }
    let masked = h[1] & 0x80 != 0;
    let len7 = h[1] & 0x7f;
    let ext = match len7 {
        126 => 2,
        127 => 8,
        _ => 0,
    };
    let need = 2 + ext + if masked { 4 } else { 0 };
    if h.len() < need {
        return None;
    }
    let len = match len7 {
        126 => u64::from(u16::from_be_bytes([h[2], h[3]])),
        127 => u64::from_be_bytes(h[2..10].try_into().expect("8 bytes")),
        n => u64::from(n),
    };
    Some((h[0] & 0x0f, len))
}

impl FrameScanner {
    /// Feeds received bytes; returns the payloads of the pongs completed by them.
    pub fn feed(&mut self, mut data: &[u8]) -> Vec<Bytes> {
        let mut pongs = Vec::new();
        while !data.is_empty() {
            if !self.head_done {
                self.head_tail.push(data[0]);
                data = &data[1..];
                if self.head_tail.len() > 4 {
                    self.head_tail.remove(0);
                }
                self.head_done = self.head_tail == b"\r\n\r\n";
            } else if self.payload_left > 0 {
                let n = usize::try_from(self.payload_left)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                if let Some(capture) = &mut self.capture {
                    capture.extend_from_slice(&data[..n]);
                }
                self.payload_left -= n as u64;
                data = &data[n..];
                if self.payload_left == 0 {
                    if let Some(capture) = self.capture.take() {
                        pongs.push(capture.into());
                    }
                }
            } else {
                self.header.push(data[0]);
                data = &data[1..];
                if let Some((opcode, len)) = parse_header(&self.header) {
                    self.header.clear();
                    self.payload_left = len;
                    self.capture = (opcode == 0xA).then(Vec::new);
                    if len == 0 {
                        if let Some(capture) = self.capture.take() {
                            pongs.push(capture.into());
                        }
                    }
                }
            }
        }
        pongs
    }
}

/// A transport that records the pongs it carries to the client (see the module docs).
#[derive(Debug)]
pub struct Tap<S> {
    inner: S,
    scanner: FrameScanner,
    watch: Arc<PongWatch>,
}

impl<S> Tap<S> {
    /// Wraps `inner`; the pongs seen go to the returned [`PongWatch`].
    pub fn new(inner: S) -> (Tap<S>, Arc<PongWatch>) {
        let watch = Arc::new(PongWatch::default());
        let tap = Tap {
            inner,
            scanner: FrameScanner::default(),
            watch: watch.clone(),
        };
        (tap, watch)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(n)) = &poll {
            let pongs = this.scanner.feed(&buf[..*n]);
            if !pongs.is_empty() {
                this.watch
                    .pongs
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(pongs);
            }
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_pongs_across_reads_after_the_head() {
        let mut wire = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n".to_vec();
        wire.extend([0x81, 2, b'h', b'i']); // text "hi"
        wire.extend([0x8A, 3, b'a', b'b', b'c']); // pong "abc"
        wire.extend([0x82, 126, 0x01, 0x00]); // binary of 256 B ...
        wire.extend([0x8A; 256]); // ... that looks like pong headers
        wire.extend([0x8A, 0]); // empty pong
        let mut scanner = FrameScanner::default();
        let mut pongs = Vec::new();
        for chunk in wire.chunks(3) {
            pongs.extend(scanner.feed(chunk));
        }
        assert_eq!(pongs, vec![Bytes::from_static(b"abc"), Bytes::new()]);
    }
}
