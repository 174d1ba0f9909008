//! Inputs: received bytes, end of stream, timer expiry; and the frame reader.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::{String, ToString};
use bytes::{Buf, BytesMut};
use core::time::Duration;

use super::{ClientHandshake, Connection, Phase, Role, Timer, RECV_IDLE_KEEP};
use crate::close::parse_close_body;
use crate::dom::ReadyState;
use crate::error::{Error, HandshakeError, ProtocolError};
use crate::event::{Event, StreamEvent};
use crate::frame::{FrameHeader, OpCode, Status, MAX_HEADER_LEN};
use crate::handshake;
use crate::trace::Initiator;

/// Most events one call to process input leaves waiting (control frames each raise
/// one; a data message stops processing by itself): the rest of the input waits in the
/// receive buffer until [`Connection::poll_event`] drains them.
pub(crate) const MAX_EVENTS_PER_INPUT: usize = 32;
use crate::mask::apply_mask;
use crate::message::{MessageKind, Reassembly};

/// A frame whose header has been read and whose payload is arriving.
#[derive(Debug)]
pub(crate) struct InFrame {
    pub(super) opcode: OpCode,
    pub(super) fin: bool,
    pub(super) mask: Option<[u8; 4]>,
    /// Payload bytes not yet taken off the front of the receive buffer (the whole
    /// payload, except for a streamed frame whose first bytes were delivered).
    pub(super) len: usize,
    /// Payload bytes at the front of the receive buffer already unmasked and validated.
    pub(super) done: usize,
    /// Whether the payload is part of a text message (validated as it arrives).
    pub(super) text: bool,
    /// Payload bytes already taken off the receive buffer (a streamed frame's delivered
    /// bytes): where the front of the buffer is in the payload, for unmasking.
    pub(super) consumed: usize,
    /// The frame belongs to a streamed message (its payload is delivered as it arrives).
    pub(super) streamed: bool,
}

/// Inputs.
impl Connection {
    /// Bytes arrived from the transport. They are copied into the engine's buffer; to
    /// read straight into it instead, use [`receive_buffer`](Self::receive_buffer).
    ///
    /// Input is processed up to the first frame that completes a data message (for a
    /// streamed message: up to the first chunk or its end); the rest is processed as
    /// [`poll_event`](Self::poll_event) (or
    /// [`poll_stream_event`](Self::poll_stream_event)) is called, so the application
    /// can answer a message before later frames (a ping, a protocol violation, a Close)
    /// are acted on. Drain `poll_event` before waiting for more input.
    pub fn handle_input(&mut self, now: Duration, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        self.recv.extend_from_slice(data);
        self.handle_received(now);
    }

    /// The engine's receive buffer, with at least 2 KiB of spare capacity. Append the
    /// bytes read from the transport to it (e.g. `read_buf`), then call
    /// [`handle_received`](Self::handle_received). Bytes already in it must stay.
    pub fn receive_buffer(&mut self) -> &mut BytesMut {
        self.reserve_receive();
        &mut self.recv
    }

    /// The transport has nothing to read now (a read returned "would block" or
    /// `Pending`): frees the memory of every buffer that holds nothing, the receive
    /// buffer, the send queue's staging block and the empty queues' storage, so that an
    /// idle connection keeps only its state. Buffers holding bytes are kept untouched.
    /// The next read or send allocates again (one allocation each); a busy connection,
    /// whose reads do not wait, keeps its buffers. [`read_from`](Self::read_from) calls
    /// this itself on `WouldBlock`; drivers that read into
    /// [`receive_buffer`](Self::receive_buffer) call it when a read waits.
    pub fn release_idle_memory(&mut self) {
        if self.recv.is_empty() {
            self.recv = BytesMut::new();
        }
        if self.events.is_empty() {
            self.events = VecDeque::new();
        }
        self.send.release_idle();
    }

    /// Process what was appended to [`receive_buffer`](Self::receive_buffer).
    pub fn handle_received(&mut self, now: Duration) {
        self.now = now;
        if self.recv.is_empty() {
            return;
        }
        if self.state == ReadyState::Open {
            self.timers.stop(Timer::KeepaliveTimeout);
            self.arm_keepalive();
        }
        self.process();
        if self.recv.is_empty() && self.recv.capacity() > RECV_IDLE_KEEP {
            self.recv = BytesMut::new();
        }
    }

    /// The transport's read side ended.
    pub fn handle_eof(&mut self, now: Duration) {
        self.now = now;
        if self.eof {
            return;
        }
        // Frames received before the end (a Close, say) count, even if not yet polled.
        if self.has_unprocessed_input() {
            self.process_input(false);
        }
        self.eof = true;
        match self.state {
            ReadyState::Connecting => {
                self.fail(Error::Handshake(HandshakeError::UnexpectedEof), None);
                self.abandon();
            }
            ReadyState::Open => {
                self.fail(Error::ConnectionLost, None);
                self.abandon();
            }
            ReadyState::Closing => {
                // Our Close is out; the peer left without answering.
                self.closed(crate::close::ABNORMAL, String::new(), false);
                self.abandon();
            }
            ReadyState::Closed => {
                self.recv = BytesMut::new();
                self.update_shutdown();
            }
        }
    }

    /// Time passed: handle every deadline at or before `now`.
    pub fn handle_timeout(&mut self, now: Duration) {
        self.now = now;
        while let Some(timer) = self.timers.expired(now) {
            match timer {
                Timer::Handshake => {
                    self.fail(Error::HandshakeTimeout, None);
                    self.abandon();
                }
                Timer::Close => {
                    self.fail(Error::CloseTimeout, None);
                    self.abandon();
                }
                Timer::KeepalivePing => {
                    if self.state == ReadyState::Open {
                        // With the send queue over its limit the peer is not reading:
                        // queue no more, but still expect to hear from it in time.
                        if self.has_send_room() {
                            self.keepalive_seq = self.keepalive_seq.wrapping_add(1);
                            let seq = u64::from(self.keepalive_seq);
                            let payload = bytes::Bytes::copy_from_slice(&seq.to_be_bytes());
                            let mask = self.mask_key();
                            self.send
                                .push_frame(OpCode::Ping, true, mask, payload, false);
                        }
                        self.timers.set(
                            Timer::KeepaliveTimeout,
                            now.saturating_add(self.timeouts.keepalive_timeout()),
                        );
                    }
                }
                Timer::KeepaliveTimeout => {
                    self.fail(Error::KeepaliveTimeout, None);
                    self.abandon();
                }
                Timer::Drain => self.abandon(),
                Timer::WriteStall => self.write_stalled(),
            }
        }
    }
}

/// The reader.
impl Connection {
    /// Process buffered input, stopping after a frame that completes a data message
    /// (or once [`MAX_EVENTS_PER_INPUT`] events wait: a flood of control frames in one
    /// input becomes a bounded number of events at a time):
    /// the rest waits for [`Connection::poll_event`], so the application sees (and can
    /// answer) a message before later frames are acted on, as when reading frame by
    /// frame. (A bad frame behind a good message must not close the connection before
    /// the application could echo the message: Autobahn's "strict" cases 3.2, 4.1.3...)
    pub(super) fn process(&mut self) {
        self.process_input(true);
    }

    /// Process buffered input; with `hold`, stop after a completed data message.
    pub(super) fn process_input(&mut self, hold: bool) {
        self.input_held = false;
        // Without holding, stream chunks queue up: at most about a whole message's
        // worth (the whole-message limit), so a deflate bomb cannot grow the queue
        // without bound.
        let mut streamed_bytes = 0usize;
        loop {
            let events_before = self.events.len();
            let progressed = match self.phase {
                Phase::ClientHandshake(_) => self.read_response(),
                Phase::ServerHandshake { .. } => self.read_request(),
                Phase::ServerDecision { .. } => {
                    self.limit_early_data();
                    false
                }
                Phase::Frames => self.read_frame(),
                Phase::Draining => {
                    self.add_drained(self.recv.len());
                    self.recv.clear();
                    self.update_shutdown();
                    false
                }
            };
            if !progressed || self.recv.is_empty() && self.frame.is_none() && !self.stream_pending()
            {
                return;
            }
            let delivered = self.events.len() > events_before
                && (matches!(
                    self.events.back(),
                    Some(
                        StreamEvent::Event(Event::Message(_))
                            | StreamEvent::MessageChunk(_)
                            | StreamEvent::MessageEnd
                    )
                ) || self.events.len() >= MAX_EVENTS_PER_INPUT);
            if !hold {
                streamed_bytes = self
                    .events
                    .range(events_before.min(self.events.len())..)
                    .map(|e| match e {
                        StreamEvent::MessageChunk(c) => c.len(),
                        _ => 0,
                    })
                    .fold(streamed_bytes, usize::saturating_add);
            }
            if hold && delivered || streamed_bytes > self.limits.max_message_size {
                self.input_held = !self.recv.is_empty() || self.stream_pending();
                return;
            }
        }
    }

    /// Whether a completed message is reported: while OPEN, and while CLOSING (our
    /// Close sent, the peer's not yet received) if [`crate::Config::receive_after_close`].
    pub(super) fn delivers_messages(&self) -> bool {
        match self.state {
            ReadyState::Open => true,
            ReadyState::Closing => self.receive_after_close,
            ReadyState::Connecting | ReadyState::Closed => false,
        }
    }

    /// Whether buffered input waits to be processed (see [`Connection::process`]).
    pub(super) fn has_unprocessed_input(&self) -> bool {
        matches!(self.phase, Phase::Frames) && (!self.recv.is_empty() || self.stream_pending())
    }

    /// Feed the head reader; returns whether the head completed.
    fn feed_head(&mut self) -> Result<bool, HandshakeError> {
        let head = match &mut self.phase {
            Phase::ClientHandshake(client) => &mut client.head,
            Phase::ServerHandshake { head } => &mut **head,
            _ => return Ok(false),
        };
        let total = self.recv.len();
        let used = match head.feed_taking(&self.recv) {
            Ok(None) => total,
            Ok(Some(leftover)) => total - leftover.len(),
            Err((e, taken)) => {
                // The head's bytes are not discarded input: only what followed the
                // failure counts toward the drain budget, however the head was split.
                self.recv.advance(taken);
                return Err(e);
            }
        };
        self.recv.advance(used);
        Ok(head.is_complete())
    }

    fn read_response(&mut self) -> bool {
        let result = self
            .feed_head()
            .and_then(|complete| {
                if !complete {
                    return Ok(None);
                }
                let Phase::ClientHandshake(client) = &self.phase else {
                    return Ok(None);
                };
                let ClientHandshake { request, key, head } = &**client;
                let response = head.parse_response()?;
                let negotiated = handshake::validate_response(&response, key, request)?;
                Ok(Some((response, negotiated)))
            })
            .and_then(|done| {
                if let Some((_, negotiated)) = &done {
                    self.agree_deflate_client(negotiated)?;
                }
                Ok(done)
            });
        match result {
            Ok(None) => false,
            Ok(Some((response, negotiated))) => {
                self.set_extensions(handshake::format_extensions(&negotiated.extensions));
                self.open(negotiated.protocol, Some(response));
                true
            }
            Err(e) => {
                self.fail(Error::Handshake(e), None);
                self.abandon();
                false
            }
        }
    }

    fn read_request(&mut self) -> bool {
        let result = self.feed_head().and_then(|complete| {
            if !complete {
                return Ok(None);
            }
            let Phase::ServerHandshake { head } = &self.phase else {
                return Ok(None);
            };
            let request = head.parse_request()?;
            handshake::validate_request(&request)?;
            Ok(Some(request))
        });
        match result {
            Ok(None) => false,
            Ok(Some(request)) => {
                #[cfg(feature = "tracing")]
                self.span.record("path", request.path.as_str());
                self.push_event(Event::Request(request.clone()));
                self.phase = Phase::ServerDecision {
                    request: Box::new(request),
                };
                false
            }
            Err(e) => {
                self.refuse_request(e);
                false
            }
        }
    }

    /// Answer the request with the HTTP error for `e` and fail.
    fn refuse_request(&mut self, e: HandshakeError) {
        let status = handshake::reject_status(&e).unwrap_or(400);
        let mut out = alloc::vec::Vec::new();
        // A 4xx status and no extra headers cannot fail to encode.
        let _ = handshake::encode_reject(status, &[], e.to_string().as_bytes(), &mut out);
        self.send.push_raw(bytes::Bytes::from(out));
        self.fail(Error::Handshake(e), None);
    }

    /// While the application decides on a request, bytes the client sends are kept for
    /// after `accept`, but at most one frame's worth: a client must wait for the
    /// response before sending (RFC 6455 §4.1), and one that floods the server instead
    /// is refused ([`HandshakeError::TooLarge`]) rather than buffered without bound.
    fn limit_early_data(&mut self) {
        if self.recv.len() > self.limits.max_frame_size.saturating_add(MAX_HEADER_LEN) {
            self.refuse_request(HandshakeError::TooLarge);
        }
    }

    /// Read one frame header or more payload. Returns whether progress was made.
    fn read_frame(&mut self) -> bool {
        if self.frame.is_none() && self.stream_pending() {
            // A streamed compressed message's last frame is in: finish inflating it.
            return self.stream_frame();
        }
        if self.frame.is_none() {
            match FrameHeader::parse(&self.recv) {
                Ok(Status::Partial) => return false,
                Ok(Status::Complete((header, n))) => {
                    if let Err(e) = self.admit(&header) {
                        self.protocol_error(e);
                        return false;
                    }
                    self.recv.advance(n);
                }
                Err(e) => {
                    self.protocol_error(e);
                    return false;
                }
            }
        }
        let Some(frame) = self.frame.as_mut() else {
            return false;
        };
        let available = self.recv.len().min(frame.len);
        if available > frame.done {
            let fresh = &mut self.recv[frame.done..available];
            if let Some(key) = frame.mask {
                apply_mask(fresh, key, frame.consumed + frame.done);
            }
            if frame.text {
                let valid = match self.message.as_mut() {
                    Some(m) => m.utf8.feed(fresh).is_ok(),
                    None => true,
                };
                if !valid {
                    self.protocol_error(ProtocolError::InvalidUtf8);
                    return false;
                }
            }
            frame.done = available;
        }
        if frame.streamed {
            return self.stream_frame();
        }
        if frame.done < frame.len {
            return false;
        }
        let (opcode, fin, len) = (frame.opcode, frame.fin, frame.len);
        self.frame = None;
        let payload = self.recv.split_to(len).freeze();
        self.dispatch(opcode, fin, payload);
        true
    }

    /// Check a header against the connection's state and limits, before any payload is
    /// buffered, and start the frame.
    fn admit(&mut self, h: &FrameHeader) -> Result<(), ProtocolError> {
        let compressed = self.check_rsv(h.opcode, h.rsv)?;
        match (self.role, h.mask.is_some()) {
            (Role::Server, false) => return Err(ProtocolError::UnmaskedFrame),
            (Role::Client, true) => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        if h.payload_len > self.limits.max_frame_size as u64 {
            return Err(ProtocolError::FrameTooLarge);
        }
        let max_fragments = self.limits.max_fragments;
        let max_message =
            if self.streamed.is_some() || self.message.is_none() && self.stream_messages {
                self.max_streamed_message_size
            } else {
                self.limits.max_message_size
            };
        let mut starts = None;
        let text = match h.opcode {
            OpCode::Text | OpCode::Binary => {
                if self.message.is_some() {
                    return Err(ProtocolError::ExpectedContinuation);
                }
                let kind = if h.opcode == OpCode::Text {
                    MessageKind::Text
                } else {
                    MessageKind::Binary
                };
                let mut m = Reassembly::new(kind);
                m.compressed = compressed;
                m.admit_frame(h.payload_len, max_message, max_fragments)?;
                self.message = Some(m);
                if self.stream_messages {
                    starts = Some(kind);
                }
                // Compressed text is validated after inflating, not on the wire.
                kind == MessageKind::Text && !compressed
            }
            OpCode::Continuation => {
                let m = self
                    .message
                    .as_mut()
                    .ok_or(ProtocolError::UnexpectedContinuation)?;
                m.admit_frame(h.payload_len, max_message, max_fragments)?;
                m.kind == MessageKind::Text && !m.compressed
            }
            OpCode::Close | OpCode::Ping | OpCode::Pong => false,
        };
        if let Some(kind) = starts {
            self.start_streamed(kind);
        }
        let streamed = !h.opcode.is_control() && self.streamed.is_some();
        self.frame = Some(InFrame {
            opcode: h.opcode,
            fin: h.fin,
            mask: h.mask,
            len: h.payload_len as usize,
            done: 0,
            text,
            consumed: 0,
            streamed,
        });
        Ok(())
    }

    fn dispatch(&mut self, opcode: OpCode, fin: bool, payload: bytes::Bytes) {
        match opcode {
            OpCode::Text | OpCode::Binary | OpCode::Continuation => {
                if self.message.as_ref().is_some_and(|m| m.compressed) {
                    return self.dispatch_compressed(fin, &payload);
                }
                if !fin {
                    if let Some(m) = self.message.as_mut() {
                        m.data.extend_from_slice(&payload);
                    }
                    return;
                }
                let Some(m) = self.message.take() else {
                    return;
                };
                match m.finish(payload) {
                    Ok(msg) => {
                        if self.delivers_messages() {
                            self.push_event(Event::Message(msg));
                        }
                    }
                    Err(e) => self.protocol_error(e),
                }
            }
            OpCode::Ping => {
                if self.auto_pong && !self.close_sent {
                    // Answer every ping while the send queue has room; under a flood
                    // (queue full) only the latest one is answered (RFC 6455 §5.5.3).
                    self.flush_pong();
                    self.pending_pong = Some(payload.clone());
                }
                self.push_event(Event::Ping(payload));
            }
            OpCode::Pong => self.push_event(Event::Pong(payload)),
            OpCode::Close => self.receive_close(&payload),
        }
    }

    /// A frame of a compressed message: inflate it; deliver the message after `fin`.
    fn dispatch_compressed(&mut self, fin: bool, payload: &[u8]) {
        let Some(mut m) = self.message.take() else {
            return;
        };
        if let Err(e) = self.inflate_frame(&mut m, payload, fin) {
            return self.protocol_error(e);
        }
        if !fin {
            self.message = Some(m);
            return;
        }
        match m.finish(bytes::Bytes::new()) {
            Ok(msg) => {
                if self.delivers_messages() {
                    self.push_event(Event::Message(msg));
                }
            }
            Err(e) => self.protocol_error(e),
        }
    }

    fn receive_close(&mut self, payload: &[u8]) {
        let body = match parse_close_body(payload) {
            Ok(b) => b,
            Err(e) => return self.protocol_error(e),
        };
        let code = body.reported_code();
        let reason = body.reason.to_string();
        self.note_initiator(if self.close_sent {
            Initiator::Local
        } else {
            Initiator::Remote
        });
        if !self.close_sent {
            // Echo the code (an empty body stays empty).
            self.queue_close(body.code, "");
        }
        self.closed(code, reason, true);
    }

    /// The peer broke the protocol: send the matching Close frame and fail.
    pub(super) fn protocol_error(&mut self, e: ProtocolError) {
        // Discarded unread: counts toward the drain budget (see `closed`), from the
        // failing frame's payload start (a streamed frame's delivered part too), so the
        // count does not depend on how the input was split.
        let delivered = self.frame.take().map_or(0, |f| f.consumed);
        self.message = None;
        self.streamed = None;
        self.add_drained(delivered.saturating_add(self.recv.len()));
        self.recv.clear();
        self.fail(Error::Protocol(e), Some((e.close_code(), e.reason())));
    }
}
