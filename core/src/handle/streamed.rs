//! Streamed messages on the async handles: [`MessageReader`] (a received message as a
//! [`Stream`] of chunks, or as `AsyncRead`) and [`MessageWriter`] (a message sent in
//! fragments as it is written, or through `AsyncWrite`).
//!
//! `AsyncRead` / `AsyncWrite` are implemented for `futures-io`'s traits with the
//! `futures-io` feature and for tokio's with the `tokio-io` feature (the runtime crates
//! turn on theirs). Both are bounded: a reader holds at most one chunk (the engine
//! reads no more until it is taken), a writer at most one fragment (and `write` waits
//! while the connection's send queue is full).

use core::future::poll_fn;
#[cfg(any(feature = "futures-io", feature = "tokio-io"))]
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

use super::stream::{WebSocketReceiver, WebSocketSender};
use crate::message::MessageKind;
use crate::session::{Error, OutgoingMessage, StreamChunk, StreamStart};

/// A received message, delivered in chunks as it arrives: from
/// [`WebSocketStream::recv_stream`](super::WebSocketStream::recv_stream).
///
/// Take the chunks with [`chunk`](Self::chunk), as a [`Stream`] of `Result<Bytes,
/// Error>`, or read the bytes with `AsyncRead`. The message is complete when the stream
/// ends (`None`, or a read of 0 bytes); a failure or a close before its end is an
/// error ([`Error::Io`] with [`std::io::ErrorKind::UnexpectedEof`] for the close). Text
/// chunks are valid UTF-8 each, ending on a code point.
///
/// Dropping the reader before the end discards the rest of the message (the next
/// receive skips it).
#[derive(Debug)]
pub struct MessageReader<'a> {
    receiver: &'a mut WebSocketReceiver,
    kind: MessageKind,
    /// A message that was complete before streaming was asked for, or the rest of a
    /// chunk an `AsyncRead` did not take.
    held: Bytes,
    done: bool,
}

impl WebSocketReceiver {
    /// The next message's start, or the message whole (see [`crate::session::StreamStart`]).
    fn poll_stream_start(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<StreamStart, Error>>> {
        let mut st = self.handle.lock();
        let mut drove = false;
        loop {
            return Poll::Ready(match st.poll_stream_start() {
                Some(StreamStart::Failed(e)) => Some(Err(st.failure(e))),
                Some(StreamStart::Closed) => None,
                Some(start) => Some(Ok(start)),
                None if st.driver_done => None,
                None if st.drive_to_wait(cx, &mut drove) => continue,
                None => {
                    st.register_reader(cx);
                    return Poll::Pending;
                }
            });
        }
    }

    /// Receives the next data message as a [`MessageReader`]; see
    /// [`WebSocketStream::recv_stream`](super::WebSocketStream::recv_stream).
    pub async fn recv_stream(&mut self) -> Option<Result<MessageReader<'_>, Error>> {
        let start = match poll_fn(|cx| self.poll_stream_start(cx)).await? {
            Ok(start) => start,
            Err(e) => return Some(Err(e)),
        };
        let (kind, held) = match start {
            StreamStart::Streamed(kind) => (kind, Bytes::new()),
            StreamStart::Whole(m) => (m.kind(), m.into_bytes()),
            StreamStart::Failed(_) | StreamStart::Closed => return None,
        };
        Some(Ok(MessageReader {
            receiver: self,
            kind,
            held,
            done: false,
        }))
    }
}

impl MessageReader<'_> {
    /// The message's kind (text or binary).
    pub fn kind(&self) -> MessageKind {
        self.kind
    }

    /// Polls for the next chunk: `None` once the message is complete.
    pub fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Error>>> {
        if !self.held.is_empty() {
            return Poll::Ready(Some(Ok(core::mem::take(&mut self.held))));
        }
        if self.done {
            return Poll::Ready(None);
        }
        let mut st = self.receiver.handle.lock();
        let mut drove = false;
        let outcome = loop {
            break match st.poll_stream_chunk() {
                Some(StreamChunk::Data(b)) => return Poll::Ready(Some(Ok(b))),
                Some(StreamChunk::End) => None,
                Some(StreamChunk::Failed(e)) => Some(Err(st.failure(e))),
                Some(StreamChunk::Closed) => Some(Err(Error::message_cut_short())),
                None if st.driver_done => Some(Err(Error::message_cut_short())),
                None if st.drive_to_wait(cx, &mut drove) => continue,
                None => {
                    st.register_reader(cx);
                    return Poll::Pending;
                }
            };
        };
        self.done = true;
        Poll::Ready(outcome)
    }

    /// The next chunk of the message; `None` once it is complete.
    pub async fn chunk(&mut self) -> Option<Result<Bytes, Error>> {
        poll_fn(|cx| self.poll_chunk(cx)).await
    }

    /// Copies as much of the message as fits into `buf`; 0 once it is complete.
    #[cfg(any(feature = "futures-io", feature = "tokio-io"))]
    fn poll_read_into(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut chunk = match self.poll_chunk(cx) {
            Poll::Ready(Some(Ok(chunk))) => chunk,
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(e.into_io())),
            Poll::Ready(None) => return Poll::Ready(Ok(0)),
            Poll::Pending => return Poll::Pending,
        };
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        self.held = chunk.split_off(n);
        Poll::Ready(Ok(n))
    }
}

impl Stream for MessageReader<'_> {
    type Item = Result<Bytes, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_chunk(cx)
    }
}

#[cfg(feature = "futures-io")]
impl futures_io::AsyncRead for MessageReader<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut().poll_read_into(cx, buf)
    }
}

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncRead for MessageReader<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.poll_read_into(cx, buf.initialize_unfilled()) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A message sent in fragments as it is written: from
/// [`WebSocketStream::send_stream`](super::WebSocketStream::send_stream).
///
/// [`write`](Self::write) (or `AsyncWrite::write`) gathers bytes into fragments of
/// [`DEFAULT_FRAGMENT_SIZE`](crate::session::DEFAULT_FRAGMENT_SIZE) (see
/// [`fragment_size`](Self::fragment_size)) and queues each one full, waiting while the
/// send queue is full; [`finish`](Self::finish) (or `AsyncWrite`'s close / shutdown)
/// queues the rest as the final fragment (`AsyncWrite`'s close also waits until it is
/// written). A text message's bytes must be UTF-8: a
/// fragment ends on a code point, and invalid bytes are refused
/// ([`SendError::InvalidUtf8`](crate::SendError::InvalidUtf8)). With permessage-deflate
/// the message is compressed as one (if its first fragment is at least the configured
/// minimum size).
///
/// Pings, pongs and the close may go out between its fragments; another message sent
/// before its end (from a clone of the [`WebSocketSender`]) is refused with
/// [`SendError::FragmentOrder`](crate::SendError::FragmentOrder), and a second writer on
/// the connection at the same time would interleave its fragments with this one's: keep
/// one writer at a time. Dropping a writer whose message has started but not finished closes
/// the connection with 1011: the peer must not take part of a message for all of it.
#[derive(Debug)]
pub struct MessageWriter<'a> {
    sender: &'a WebSocketSender,
    out: OutgoingMessage,
}

impl WebSocketSender {
    /// Starts a message of `kind` sent as it is written; see
    /// [`WebSocketStream::send_stream`](super::WebSocketStream::send_stream).
    pub fn send_stream(&self, kind: MessageKind) -> MessageWriter<'_> {
        MessageWriter {
            sender: self,
            out: OutgoingMessage::new(kind, true, crate::session::DEFAULT_FRAGMENT_SIZE),
        }
    }
}

impl MessageWriter<'_> {
    crate::session::message_writer_builders!();

    /// Queues what is due (`flush`: everything written), waiting for room.
    fn poll_queue(&mut self, cx: &mut Context<'_>, flush: bool) -> Poll<Result<(), Error>> {
        let out = &mut self.out;
        let mut st = self.sender.handle.lock();
        st.poll_room(cx, |st, cx| match out.poll_queue(&mut st.conn, flush) {
            Ok(true) => {
                st.queued(cx);
                Poll::Ready(Ok(()))
            }
            Ok(false) if !st.driver_done => {
                // What was queued goes out (a driver task is woken for it).
                st.queued(cx);
                Poll::Pending
            }
            Ok(false) => Poll::Ready(Err(Error::Closed)),
            Err(e) => Poll::Ready(Err(Error::from_send(e))),
        })
    }

    /// Takes some of `data` (waiting while a full fragment cannot be queued); returns
    /// how much.
    pub fn poll_write_some(
        &mut self,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<Result<usize, Error>> {
        if data.is_empty() {
            return Poll::Ready(Ok(0));
        }
        loop {
            let n = self.out.write(data);
            if n > 0 {
                // Queue a fragment as soon as it is full (without waiting for room).
                if let Poll::Ready(Err(e)) = self.poll_queue(cx, false) {
                    return Poll::Ready(Err(e));
                }
                return Poll::Ready(Ok(n));
            }
            match self.poll_queue(cx, false) {
                Poll::Ready(Ok(())) => continue,
                other => return other.map(|r| r.map(|()| 0)),
            }
        }
    }

    /// Writes all of `data` into the message.
    pub async fn write(&mut self, mut data: &[u8]) -> Result<(), Error> {
        while !data.is_empty() {
            let n = poll_fn(|cx| self.poll_write_some(cx, data)).await?;
            data = &data[n..];
        }
        Ok(())
    }

    /// Queues everything written so far (except an unfinished code point) and waits
    /// until the connection's send queue is empty.
    pub fn poll_flush_message(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match self.poll_queue(cx, true) {
            Poll::Ready(Ok(())) => self.sender.poll_flushed(cx),
            other => other,
        }
    }

    /// Queues the rest as the final fragment, waiting for room (not for the transport:
    /// see [`poll_flush_message`](Self::poll_flush_message)).
    pub fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.out.finish();
        self.poll_queue(cx, true)
    }

    /// Ends the message: queues the rest as the final fragment, waiting for room.
    /// Returns once the engine has taken it, as `send` does (not once it is written).
    pub async fn finish(mut self) -> Result<(), Error> {
        poll_fn(|cx| self.poll_finish(cx)).await
    }

    /// `AsyncWrite`'s close: finish, then wait until the send queue is empty.
    #[cfg(any(feature = "futures-io", feature = "tokio-io"))]
    fn poll_close_message(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match self.poll_finish(cx) {
            Poll::Ready(Ok(())) => self.sender.poll_flushed(cx),
            other => other,
        }
    }
}

impl Drop for MessageWriter<'_> {
    fn drop(&mut self) {
        if self.out.is_started() && !self.out.is_done() {
            let mut st = self.sender.handle.lock();
            let now = st.now();
            let _ = st.conn.close(now, Some(1011), "message writer dropped");
            st.queued_now();
        }
    }
}

#[cfg(feature = "futures-io")]
impl futures_io::AsyncWrite for MessageWriter<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_some(cx, buf)
            .map_err(Error::into_io)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .poll_flush_message(cx)
            .map_err(Error::into_io)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .poll_close_message(cx)
            .map_err(Error::into_io)
    }
}

#[cfg(feature = "tokio-io")]
impl tokio::io::AsyncWrite for MessageWriter<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.get_mut()
            .poll_write_some(cx, buf)
            .map_err(Error::into_io)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .poll_flush_message(cx)
            .map_err(Error::into_io)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut()
            .poll_close_message(cx)
            .map_err(Error::into_io)
    }
}
