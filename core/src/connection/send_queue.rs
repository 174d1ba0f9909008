//! Outgoing bytes: encoded frames waiting for the transport, written as a batch of
//! slices (one vectored write), with the browser's `bufferedAmount` accounting.

use alloc::collections::VecDeque;
use bytes::{Buf, Bytes, BytesMut};

use crate::frame::{FrameHeader, OpCode, MAX_HEADER_LEN};
use crate::mask::apply_mask;

/// Payloads at least this long are queued as their own segment (no copy) when they need
/// no masking; shorter ones are copied next to their header.
const ZERO_COPY_MIN: usize = 4096;

/// Frames encoded elsewhere (prepared messages) at least this long are queued as their
/// own segment, shared with every other queue that holds them; shorter ones are copied
/// next to the frames staged before them (one slice for the transport instead of many).
const SHARE_MIN: usize = 256;

/// Above this capacity an empty staging buffer is released, so an idle connection
/// holds almost no memory.
const IDLE_KEEP: usize = 64 << 10;

/// The least the staging buffer grows by: small frames pack into shared blocks instead
/// of one allocation each.
const STAGING_CHUNK: usize = 4 << 10;

/// What one queued segment or frame mark costs besides its bytes (the handle in its
/// deque, and a segment's share of its buffer's header), counted against the limit so
/// that a flood of empty frames is bounded like a flood of large ones.
const ENTRY_COST: usize = 64;

/// A frame's place in the queue, for `bufferedAmount`.
#[derive(Debug)]
struct Mark {
    /// Cumulative wire offset at which the frame ends.
    end: u64,
    /// Application payload bytes it carries (0 for control frames).
    payload: usize,
}

/// The queue's buffers: boxed in [`SendQueue`], made when something is queued and
/// freed by [`SendQueue::release_idle`] once all of them are empty (an idle
/// connection's state carries one word for them).
#[derive(Debug, Default)]
struct Buffers {
    /// Ready segments, oldest first; `segments[0]` may be partly written (`written`).
    segments: VecDeque<Bytes>,
    /// Frames being appended; moved into `segments` when the transport asks for bytes.
    staging: BytesMut,
    marks: VecDeque<Mark>,
}

impl Buffers {
    /// Moves the staged frames into a segment of their own.
    fn flush_staging(&mut self) {
        if !self.staging.is_empty() {
            self.segments.push_back(self.staging.split().freeze());
        }
    }

    /// Makes room in the staging block for `n` more bytes: a full block becomes a
    /// segment and a new block begins (growing the block in place would copy everything
    /// staged so far, once per doubling).
    fn make_room(&mut self, n: usize) {
        if self.staging.capacity() - self.staging.len() < n {
            self.flush_staging();
            self.staging.reserve(n.max(STAGING_CHUNK));
        }
    }

    /// Whether every buffer is empty.
    fn is_empty(&self) -> bool {
        self.segments.is_empty() && self.staging.is_empty() && self.marks.is_empty()
    }
}

#[derive(Debug, Default)]
pub(crate) struct SendQueue {
    /// The segments, the staged frames and the frame marks; `None` while all are empty
    /// and released.
    bufs: Option<alloc::boxed::Box<Buffers>>,
    /// Wire bytes ever queued / ever written.
    queued_total: u64,
    written_total: u64,
    /// Application payload bytes queued and not yet fully written.
    pending_payload: usize,
}

impl SendQueue {
    /// Wire bytes waiting to be written.
    pub(crate) fn len(&self) -> usize {
        (self.queued_total - self.written_total) as usize
    }

    /// What the queue holds, for its limit: the wire bytes plus [`ENTRY_COST`] for each
    /// segment and frame mark.
    pub(crate) fn cost(&self) -> usize {
        let entries = self.bufs.as_deref().map_or(0, |b| {
            b.segments.len() + b.marks.len() + usize::from(!b.staging.is_empty())
        });
        self.len()
            .saturating_add(entries.saturating_mul(ENTRY_COST))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queued_total == self.written_total
    }

    /// Payload bytes from `send` not yet handed to the transport.
    pub(crate) fn pending_payload(&self) -> usize {
        self.pending_payload
    }

    /// Queue bytes that are not a frame (the opening handshake's HTTP head).
    pub(crate) fn push_raw(&mut self, bytes: Bytes) {
        self.queued_total += bytes.len() as u64;
        let bufs = self.bufs.get_or_insert_with(Default::default);
        bufs.flush_staging();
        bufs.segments.push_back(bytes);
    }

    /// Queue one frame. `payload_counts` says whether its payload counts toward
    /// `bufferedAmount` (data frames from `send`).
    pub(crate) fn push_frame(
        &mut self,
        opcode: OpCode,
        fin: bool,
        mask: Option<[u8; 4]>,
        payload: Bytes,
        payload_counts: bool,
    ) {
        let counted = if payload_counts { payload.len() } else { 0 };
        self.push_data_frame(opcode, fin, 0, mask, payload, counted);
    }

    /// Queue one frame with RSV bits `rsv`; `counted` bytes count toward
    /// `bufferedAmount` (the application's payload size, before compression).
    pub(crate) fn push_data_frame(
        &mut self,
        opcode: OpCode,
        fin: bool,
        rsv: u8,
        mask: Option<[u8; 4]>,
        payload: Bytes,
        counted: usize,
    ) {
        let header = FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len: payload.len() as u64,
        };
        let mut head = [0u8; MAX_HEADER_LEN];
        let n = header.encode(&mut head);
        let staged = n + if mask.is_some() || payload.len() < ZERO_COPY_MIN {
            payload.len()
        } else {
            0
        };
        let bufs = self.bufs.get_or_insert_with(Default::default);
        bufs.make_room(staged);
        bufs.staging.extend_from_slice(&head[..n]);
        match mask {
            Some(key) => {
                let start = bufs.staging.len();
                bufs.staging.extend_from_slice(&payload);
                apply_mask(&mut bufs.staging[start..], key, 0);
            }
            None if payload.len() < ZERO_COPY_MIN => bufs.staging.extend_from_slice(&payload),
            None => {
                bufs.flush_staging();
                bufs.segments.push_back(payload.clone());
            }
        }
        self.queued((n + payload.len()) as u64, counted);
    }

    /// Queue a whole frame encoded elsewhere (a [`PreparedMessage`]'s, which many queues
    /// share): one shorter than [`SHARE_MIN`] is copied next to the frames staged before
    /// it, a longer one is queued as a segment of its own (a reference count, no copy).
    /// `counted` bytes count toward `bufferedAmount`.
    ///
    /// [`PreparedMessage`]: crate::PreparedMessage
    pub(crate) fn push_encoded_frame(&mut self, frame: Bytes, counted: usize) {
        let len = frame.len();
        let bufs = self.bufs.get_or_insert_with(Default::default);
        if len < SHARE_MIN {
            bufs.make_room(len);
            bufs.staging.extend_from_slice(&frame);
        } else {
            bufs.flush_staging();
            bufs.segments.push_back(frame);
        }
        self.queued(len as u64, counted);
    }

    /// Accounts for a frame of `wire` bytes just queued, `counted` of them toward
    /// `bufferedAmount`.
    fn queued(&mut self, wire: u64, counted: usize) {
        self.queued_total += wire;
        // Only frames that count toward `bufferedAmount` need a mark.
        if counted > 0 {
            self.pending_payload += counted;
            // The frame was just pushed: the buffers exist.
            let bufs = self.bufs.get_or_insert_with(Default::default);
            bufs.marks.push_back(Mark {
                end: self.queued_total,
                payload: counted,
            });
        }
    }

    /// Fill `out` with the slices to write next, oldest first; returns how many.
    pub(crate) fn slices<'a>(&'a mut self, out: &mut [&'a [u8]]) -> usize {
        let Some(bufs) = self.bufs.as_deref_mut() else {
            return 0;
        };
        bufs.flush_staging();
        let bufs: &'a Buffers = bufs;
        let mut n = 0;
        for (slot, seg) in out.iter_mut().zip(bufs.segments.iter()) {
            *slot = seg.as_ref();
            n += 1;
        }
        n
    }

    /// Appends shared handles to the segments to write next, oldest first; returns their
    /// total length.
    pub(crate) fn owned_segments(&mut self, out: &mut alloc::vec::Vec<Bytes>) -> usize {
        let Some(bufs) = self.bufs.as_deref_mut() else {
            return 0;
        };
        bufs.flush_staging();
        let mut total = 0;
        for seg in &bufs.segments {
            total += seg.len();
            out.push(seg.clone());
        }
        total
    }

    /// The transport took `n` bytes from the front.
    pub(crate) fn advance(&mut self, mut n: usize) {
        n = n.min(self.len());
        self.written_total += n as u64;
        let empty = self.is_empty();
        let Some(bufs) = self.bufs.as_deref_mut() else {
            return;
        };
        bufs.flush_staging();
        while n > 0 {
            let Some(front) = bufs.segments.front_mut() else {
                break;
            };
            if n >= front.len() {
                n -= front.len();
                bufs.segments.pop_front();
            } else {
                front.advance(n);
                n = 0;
            }
        }
        while let Some(mark) = bufs.marks.front() {
            if mark.end > self.written_total {
                break;
            }
            self.pending_payload -= mark.payload;
            bufs.marks.pop_front();
        }
        if empty && bufs.staging.capacity() > IDLE_KEEP {
            bufs.staging = BytesMut::new();
        }
    }

    /// Frees the storage of whatever is empty: the staging block (kept alive by its
    /// spare capacity once its frames were written) and the deques' buffers; all of
    /// them, with their box, once everything is empty.
    pub(crate) fn release_idle(&mut self) {
        let Some(bufs) = self.bufs.as_deref_mut() else {
            return;
        };
        if bufs.is_empty() {
            self.bufs = None;
            return;
        }
        if bufs.staging.is_empty() {
            bufs.staging = BytesMut::new();
        }
        if bufs.segments.is_empty() {
            bufs.segments = VecDeque::new();
        }
        if bufs.marks.is_empty() {
            bufs.marks = VecDeque::new();
        }
    }

    /// Drop everything not yet written (the connection is gone).
    pub(crate) fn clear(&mut self) {
        self.bufs = None;
        self.written_total = self.queued_total;
        self.pending_payload = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn drain(q: &mut SendQueue) -> Vec<u8> {
        let mut out = Vec::new();
        let mut slices: [&[u8]; 8] = [&[]; 8];
        let n = q.slices(&mut slices);
        for s in &slices[..n] {
            out.extend_from_slice(s);
        }
        let len = out.len();
        q.advance(len);
        out
    }

    #[test]
    fn frames_are_encoded_in_order() {
        let mut q = SendQueue::default();
        q.push_frame(OpCode::Text, true, None, Bytes::from_static(b"hi"), true);
        q.push_frame(OpCode::Ping, true, None, Bytes::new(), false);
        assert_eq!(q.len(), 6);
        assert_eq!(drain(&mut q), b"\x81\x02hi\x89\x00");
        assert!(q.is_empty());
    }

    #[test]
    fn large_unmasked_payload_is_not_copied() {
        let mut q = SendQueue::default();
        let big = Bytes::from(alloc::vec![7u8; 10_000]);
        q.push_frame(OpCode::Binary, true, None, big.clone(), true);
        let mut slices: [&[u8]; 8] = [&[]; 8];
        let n = q.slices(&mut slices);
        assert_eq!(n, 2);
        assert_eq!(slices[1].as_ptr(), big.as_ptr());
    }

    #[test]
    fn a_full_staging_block_is_sealed_not_grown() {
        // 100 frames of 1 KiB (copied, below ZERO_COPY_MIN): each staged block stays
        // at most one chunk, and every byte arrives in order.
        let mut q = SendQueue::default();
        let mut expected = Vec::new();
        for i in 0..100u8 {
            let payload = Bytes::from(alloc::vec![i; 1024]);
            q.push_frame(OpCode::Binary, true, None, payload.clone(), true);
            expected.extend_from_slice(&[0x82, 126, 4, 0]);
            expected.extend_from_slice(&payload);
        }
        let mut out = Vec::new();
        while !q.is_empty() {
            let mut slices: [&[u8]; 8] = [&[]; 8];
            let n = q.slices(&mut slices);
            assert!(slices[..n].iter().all(|s| s.len() <= STAGING_CHUNK));
            let len: usize = slices[..n].iter().map(|s| s.len()).sum();
            for s in &slices[..n] {
                out.extend_from_slice(s);
            }
            q.advance(len);
        }
        assert_eq!(out, expected);
    }

    #[test]
    fn masked_payload_is_masked() {
        let mut q = SendQueue::default();
        q.push_frame(
            OpCode::Text,
            true,
            Some([0x37, 0xfa, 0x21, 0x3d]),
            Bytes::from_static(b"Hello"),
            true,
        );
        assert_eq!(
            drain(&mut q),
            [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        );
    }

    #[test]
    fn buffered_amount_counts_payload_until_the_frame_is_written() {
        let mut q = SendQueue::default();
        q.push_frame(
            OpCode::Binary,
            true,
            None,
            Bytes::from_static(b"abcdef"),
            true,
        );
        q.push_frame(OpCode::Pong, true, None, Bytes::from_static(b"xy"), false);
        assert_eq!(q.pending_payload(), 6);
        q.advance(7); // header (2) + 5 of 6 payload bytes
        assert_eq!(q.pending_payload(), 6);
        q.advance(1);
        assert_eq!(q.pending_payload(), 0);
        q.advance(100);
        assert!(q.is_empty());
    }
}
