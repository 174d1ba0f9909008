//! The connection's side of permessage-deflate (RFC 7692): offering and agreeing on it
//! in the handshake, inflating received messages, compressing sent ones. The
//! compression itself lives in [`crate::deflate`]; without the `deflate` feature these
//! functions are no-ops and every message goes uncompressed.

use alloc::string::String;
use bytes::Bytes;

use super::Connection;
use crate::error::{HandshakeError, ProtocolError};
use crate::handshake::{Agreement, ClientRequest, Negotiated, Request};

/// The compressor failed (it does not with valid use); the connection fails with 1011.
#[derive(Debug)]
pub(in crate::connection) struct CompressFailed;

#[cfg(feature = "deflate")]
mod enabled {
    use super::*;
    use crate::deflate::{self, InflateError, PerMessageDeflate, RSV1};
    use crate::message::Reassembly;
    use alloc::boxed::Box;

    /// Compressed payloads up to this size are copied out of the scratch buffer (see
    /// `compress`).
    const SMALL_COMPRESSED: usize = 16 << 10;

    impl Connection {
        /// Client: add our permessage-deflate offer to the request (unless the caller
        /// wrote one).
        pub(in crate::connection) fn offer_deflate(&self, request: &mut ClientRequest) {
            let cfg = &self.deflate_config;
            let offered = request
                .extensions
                .iter()
                .any(|e| e.trim_start().starts_with(deflate::EXTENSION_NAME));
            if cfg.enabled && !offered {
                request
                    .extensions
                    .push(deflate::client_offer(cfg).to_string());
            }
        }

        /// Client: check the server's answer to our offer and switch compression on.
        pub(in crate::connection) fn agree_deflate_client(
            &mut self,
            negotiated: &Negotiated,
        ) -> Result<(), HandshakeError> {
            if !self.deflate_config.enabled {
                return Ok(());
            }
            let params =
                deflate::client_accept_response(&self.deflate_config, &negotiated.extensions)
                    .map_err(HandshakeError::from)?;
            self.deflate = params
                .map(|p| Box::new(PerMessageDeflate::new(p, self.role, &self.deflate_config)));
            Ok(())
        }

        /// Server: pick among the client's offers; returns the response element.
        pub(in crate::connection) fn agree_deflate_server(
            &mut self,
            request: &Request,
        ) -> Option<String> {
            if !self.deflate_config.enabled {
                return None;
            }
            let (params, element) =
                deflate::server_negotiate(&self.deflate_config, &request.extensions())?;
            self.deflate = Some(Box::new(PerMessageDeflate::new(
                params,
                self.role,
                &self.deflate_config,
            )));
            Some(element.to_string())
        }

        /// Forget an agreement that could not be sent.
        pub(in crate::connection) fn reset_deflate(&mut self) {
            self.deflate = None;
        }

        /// A handshake done elsewhere agreed `agreement`: report its extensions and
        /// switch compression on with its parameters.
        pub(in crate::connection) fn start_agreed(&mut self, agreement: Agreement) {
            self.deflate = agreement
                .deflate()
                .map(|p| Box::new(PerMessageDeflate::new(*p, self.role, &self.deflate_config)));
            self.set_extensions(String::from(agreement.extensions()));
        }

        /// Receive side: check a data or control frame's RSV bits; returns whether it
        /// starts a compressed message.
        pub(in crate::connection) fn check_rsv(
            &self,
            opcode: crate::frame::OpCode,
            rsv: u8,
        ) -> Result<bool, ProtocolError> {
            match self.deflate {
                Some(_) => deflate::check_rsv(opcode, rsv),
                None if rsv != 0 => Err(ProtocolError::ReservedBits),
                None => Ok(false),
            }
        }

        /// Receive side: inflate one frame of a compressed message into `m.data`,
        /// validating text as it is produced; `fin` ends the message.
        pub(in crate::connection) fn inflate_frame(
            &mut self,
            m: &mut Reassembly,
            payload: &[u8],
            fin: bool,
        ) -> Result<(), ProtocolError> {
            let limit = self.limits.max_message_size;
            let Some(pmd) = self.deflate.as_mut() else {
                return Err(ProtocolError::ReservedBits);
            };
            let before = m.data.len();
            let inflater = pmd.inflater();
            inflater
                .inflate(payload, &mut m.data, limit)
                .and_then(|()| {
                    if fin {
                        inflater.finish_message(&mut m.data, limit)
                    } else {
                        Ok(())
                    }
                })
                .map_err(|e| match e {
                    InflateError::TooLarge => ProtocolError::MessageTooLarge,
                    InflateError::Corrupt => ProtocolError::InvalidCompressedData,
                })?;
            if m.kind == crate::message::MessageKind::Text {
                m.utf8
                    .feed(&m.data[before..])
                    .map_err(|_| ProtocolError::InvalidUtf8)?;
            }
            Ok(())
        }

        /// Receive side, streamed compressed message: one bounded inflate step (at
        /// most [`STREAM_INFLATE_STEP`](super::super::stream::STREAM_INFLATE_STEP)
        /// bytes) of the current frame's unmasked payload, or of the tail once the
        /// final frame is in; validates text and delivers the step's output as a chunk
        /// (an unfinished code point waits for the next step). Returns whether
        /// anything progressed.
        pub(in crate::connection) fn inflate_streamed(&mut self) -> Result<bool, ProtocolError> {
            use super::super::stream::STREAM_INFLATE_STEP;
            use bytes::Buf;
            let limit = self.max_streamed_message_size;
            let (Some(pmd), Some(m), Some(s)) = (
                self.deflate.as_mut(),
                self.message.as_mut(),
                self.streamed.as_mut(),
            ) else {
                return Err(ProtocolError::ReservedBits);
            };
            let map = |e| match e {
                InflateError::TooLarge => ProtocolError::MessageTooLarge,
                InflateError::Corrupt => ProtocolError::InvalidCompressedData,
            };
            let inflater = pmd.inflater();
            let before = m.data.len();
            let mut progressed;
            let mut ended = false;
            match self.frame.as_mut() {
                Some(frame) => {
                    let p = inflater
                        .inflate_partial(
                            &self.recv[..frame.done],
                            &mut m.data,
                            STREAM_INFLATE_STEP,
                            limit,
                        )
                        .map_err(map)?;
                    self.recv.advance(p.consumed);
                    frame.consumed += p.consumed;
                    frame.len -= p.consumed;
                    frame.done -= p.consumed;
                    s.more_output = p.output_full;
                    progressed = p.consumed > 0;
                    if !p.output_full && frame.len == 0 {
                        s.finishing = frame.fin;
                        self.frame = None;
                        progressed = true;
                    }
                }
                None if s.finishing => {
                    let done = inflater
                        .finish_partial(&mut m.data, STREAM_INFLATE_STEP, limit)
                        .map_err(map)?;
                    s.more_output = !done;
                    s.finishing = !done;
                    ended = done;
                    progressed = true;
                }
                None => return Ok(false),
            }
            let text = m.kind == crate::message::MessageKind::Text;
            if text {
                m.utf8
                    .feed(&m.data[before..])
                    .map_err(|_| ProtocolError::InvalidUtf8)?;
            }
            let keep = if text { m.utf8.incomplete_len() } else { 0 };
            let ready = m.data.len().saturating_sub(keep);
            if ready > 0 {
                let chunk = m.data.split_to(ready).freeze();
                self.push_chunk(chunk);
                progressed = true;
            }
            if ended {
                self.end_streamed();
            }
            Ok(progressed)
        }

        /// Send side: whether a message of `len` bytes goes compressed.
        pub(in crate::connection) fn should_compress(&self, len: usize, allowed: bool) -> bool {
            allowed
                && self
                    .deflate
                    .as_ref()
                    .is_some_and(|d| d.should_compress(len))
        }

        /// Send side: compress one fragment (or a whole message with `fin`) of a
        /// compressed message; returns the frame payload.
        pub(in crate::connection) fn compress(
            &mut self,
            data: &[u8],
            fin: bool,
        ) -> Result<Bytes, CompressFailed> {
            let Some(pmd) = self.deflate.as_mut() else {
                return Ok(Bytes::copy_from_slice(data));
            };
            let mut out = core::mem::take(&mut pmd.scratch);
            let result = pmd.deflater().compress_fragment(data, fin, &mut out);
            // A small output is copied and the scratch buffer kept for the next one: a
            // split would pin the whole buffer (sized for the input) to a few bytes
            // queued, and a stream of well-compressed fragments would pin one each.
            let payload = if out.len() <= SMALL_COMPRESSED {
                let copied = Bytes::copy_from_slice(&out);
                out.clear();
                copied
            } else {
                out.split().freeze()
            };
            pmd.scratch = out;
            result.map(|()| payload).map_err(|_| CompressFailed)
        }

        /// The RSV bits of a compressed message's first frame.
        pub(in crate::connection) const COMPRESSED_RSV: u8 = RSV1;
    }
}

#[cfg(not(feature = "deflate"))]
mod disabled {
    use super::*;
    use crate::message::Reassembly;

    impl Connection {
        pub(in crate::connection) fn offer_deflate(&self, _request: &mut ClientRequest) {}

        pub(in crate::connection) fn agree_deflate_client(
            &mut self,
            _negotiated: &Negotiated,
        ) -> Result<(), HandshakeError> {
            Ok(())
        }

        pub(in crate::connection) fn agree_deflate_server(
            &mut self,
            _request: &Request,
        ) -> Option<String> {
            None
        }

        pub(in crate::connection) fn check_rsv(
            &self,
            _opcode: crate::frame::OpCode,
            rsv: u8,
        ) -> Result<bool, ProtocolError> {
            if rsv != 0 {
                Err(ProtocolError::ReservedBits)
            } else {
                Ok(false)
            }
        }

        pub(in crate::connection) fn inflate_frame(
            &mut self,
            _m: &mut Reassembly,
            _payload: &[u8],
            _fin: bool,
        ) -> Result<(), ProtocolError> {
            Err(ProtocolError::ReservedBits)
        }

        pub(in crate::connection) fn reset_deflate(&mut self) {}

        pub(in crate::connection) fn inflate_streamed(&mut self) -> Result<bool, ProtocolError> {
            Err(ProtocolError::ReservedBits)
        }

        pub(in crate::connection) fn start_agreed(&mut self, agreement: Agreement) {
            self.set_extensions(String::from(agreement.extensions()));
        }

        pub(in crate::connection) fn should_compress(&self, _len: usize, _allowed: bool) -> bool {
            false
        }

        pub(in crate::connection) fn compress(
            &mut self,
            data: &[u8],
            _fin: bool,
        ) -> Result<Bytes, CompressFailed> {
            Ok(Bytes::copy_from_slice(data))
        }

        pub(in crate::connection) const COMPRESSED_RSV: u8 = 0;
    }
}
