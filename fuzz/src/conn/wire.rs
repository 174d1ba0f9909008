//! Decodes and checks everything a connection writes, as it is written.
//!
//! * The HTTP head first (unless the connection started upgraded): a client's request
//!   must pass the server's own checks; a server's response must parse, and unless it
//!   is a 101 it is followed by exactly its `Content-Length` body and nothing else.
//! * Then frames, each of which must parse: unmasked from a server, masked from a
//!   client, no RSV bits, fragments in order, every Close body valid (a code RFC 6455
//!   allows on the wire, a UTF-8 reason of at most 123 bytes), and nothing at all after
//!   a Close frame.

use websock_core::close::{is_valid_on_wire, parse_close_body, MAX_REASON_LEN};
use websock_core::frame::{FrameHeader, OpCode, Status};
use websock_core::handshake::{validate_request, HeadReader, Request, Response};
use websock_core::mask::apply_mask;
use websock_core::Role;

/// A decoded outgoing frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutFrame {
    /// The opcode.
    pub opcode: OpCode,
    /// FIN.
    pub fin: bool,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
}

#[derive(Debug)]
enum Stage {
    /// Reading the HTTP head.
    Head(HeadReader),
    /// Server: the body of a refusal; nothing may follow it.
    Body { left: usize },
    /// After a refusal's body: nothing more may be written.
    Done,
    /// Frames.
    Frames,
}

/// The checker for one connection's output.
#[derive(Debug)]
pub struct Wire {
    role: Role,
    stage: Stage,
    buf: Vec<u8>,
    /// Every frame written so far, in order.
    pub frames: Vec<OutFrame>,
    /// The client's request, once written.
    pub request: Option<Request>,
    /// The server's response head, once written.
    pub response: Option<Response>,
    /// A Close frame has been written.
    pub close_written: bool,
    in_fragmented: bool,
    /// Total bytes written.
    pub total: usize,
    /// permessage-deflate was negotiated: RSV1 may mark a compressed message's first
    /// frame, and data payloads are compressed.
    pub compression: bool,
}

impl Wire {
    /// A checker for a connection in `role`; `http` says whether an HTTP head comes first.
    pub fn new(role: Role, http: bool) -> Wire {
        Wire {
            role,
            stage: if http {
                Stage::Head(HeadReader::new(1 << 20, 1000))
            } else {
                Stage::Frames
            },
            buf: Vec::new(),
            frames: Vec::new(),
            request: None,
            response: None,
            close_written: false,
            in_fragmented: false,
            total: 0,
            compression: false,
        }
    }

    /// The connection wrote `bytes`.
    pub fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len();
        let mut bytes = bytes;
        if let Stage::Head(reader) = &mut self.stage {
            let Some(rest) = reader.feed(bytes).expect("own HTTP head unreadable") else {
                return;
            };
            let reader = reader.clone();
            bytes = rest;
            self.stage = match self.role {
                Role::Client => {
                    let req = reader.parse_request().expect("own request malformed");
                    validate_request(&req).expect("own request invalid");
                    self.request = Some(req);
                    Stage::Frames
                }
                Role::Server => {
                    let resp = reader.parse_response().expect("own response malformed");
                    let stage = if resp.status == 101 {
                        Stage::Frames
                    } else {
                        assert!((400..=599).contains(&resp.status), "{resp:?}");
                        let len = resp
                            .header_str("content-length")
                            .and_then(|v| v.parse().ok())
                            .expect("refusal without Content-Length");
                        Stage::Body { left: len }
                    };
                    self.response = Some(resp);
                    stage
                }
            };
        }
        if let Stage::Body { left } = &mut self.stage {
            let take = bytes.len().min(*left);
            *left -= take;
            bytes = &bytes[take..];
            if *left == 0 {
                self.stage = Stage::Done;
            }
        }
        match self.stage {
            Stage::Done => assert!(bytes.is_empty(), "bytes after a refusal's body"),
            Stage::Frames => {
                self.buf.extend_from_slice(bytes);
                self.decode();
            }
            _ => {}
        }
    }

    fn decode(&mut self) {
        let mut at = 0;
        loop {
            let rest = &self.buf[at..];
            let (h, n) = match FrameHeader::parse(rest) {
                Ok(Status::Complete(v)) => v,
                Ok(Status::Partial) => break,
                Err(e) => panic!("own frame does not parse: {e:?}"),
            };
            let len = usize::try_from(h.payload_len).expect("length");
            if rest.len() < n + len {
                break;
            }
            assert!(
                !self.close_written,
                "{:?} frame written after a Close",
                h.opcode
            );
            if h.rsv != 0 {
                assert!(
                    self.compression
                        && h.rsv == 0b100
                        && matches!(h.opcode, OpCode::Text | OpCode::Binary),
                    "RSV bits {:03b} on {:?} (compression: {})",
                    h.rsv,
                    h.opcode,
                    self.compression
                );
            }
            assert_eq!(
                h.mask.is_some(),
                self.role == Role::Client,
                "masking does not match the role"
            );
            let mut payload = rest[n..n + len].to_vec();
            if let Some(key) = h.mask {
                apply_mask(&mut payload, key, 0);
            }
            self.check_frame(h.opcode, h.fin, &payload);
            self.frames.push(OutFrame {
                opcode: h.opcode,
                fin: h.fin,
                payload,
            });
            at += n + len;
        }
        self.buf.drain(..at);
    }

    fn check_frame(&mut self, opcode: OpCode, fin: bool, payload: &[u8]) {
        match opcode {
            OpCode::Text | OpCode::Binary => {
                assert!(!self.in_fragmented, "new message inside a fragmented one");
                self.in_fragmented = !fin;
            }
            OpCode::Continuation => {
                assert!(self.in_fragmented, "continuation outside a message");
                self.in_fragmented = !fin;
            }
            OpCode::Close => {
                let body = parse_close_body(payload).expect("invalid Close body sent");
                if let Some(code) = body.code {
                    assert!(is_valid_on_wire(code), "close code {code} sent");
                }
                assert!(body.reason.len() <= MAX_REASON_LEN);
                self.close_written = true;
            }
            OpCode::Ping | OpCode::Pong => assert!(payload.len() <= 125),
        }
    }

    /// Bytes of an incomplete frame (or head) still waiting for the rest.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}
