//! Blocking or non-blocking `std::io` transports: read into the engine's buffer and
//! write its queue with one call each.

use std::io::{self, IoSlice, Read, Write};

use core::time::Duration;

use super::Connection;

/// Slices offered to one vectored write.
const MAX_SLICES: usize = 32;

/// `std::io` driver helpers.
impl Connection {
    /// Hands the next batch to write (what [`poll_transmit`](Self::poll_transmit)
    /// offers, up to 32 slices) to `write` as `IoSlice`s, for one vectored write, and
    /// returns its result; `None` when nothing waits. Report what the transport took
    /// with [`advance_transmit`](Self::advance_transmit).
    pub fn with_transmit<R>(&mut self, write: impl FnOnce(&[IoSlice<'_>]) -> R) -> Option<R> {
        let mut slices: [&[u8]; MAX_SLICES] = [&[]; MAX_SLICES];
        let n = self.poll_transmit(&mut slices);
        if n == 0 {
            return None;
        }
        let iov: [IoSlice<'_>; MAX_SLICES] = core::array::from_fn(|i| IoSlice::new(slices[i]));
        Some(write(&iov[..n]))
    }

    /// Reads once from `reader` straight into the engine's receive buffer and processes
    /// what arrived (as [`handle_received`](Self::handle_received)).
    ///
    /// Returns the bytes read; `Ok(0)` is the end of stream, already handed to the
    /// engine ([`handle_eof`](Self::handle_eof)). `Interrupted` is retried.
    /// `WouldBlock` (and a read timeout's `TimedOut`) is returned untouched: wait for
    /// readability (the idle connection's empty buffers are freed first, see
    /// [`release_idle_memory`](Self::release_idle_memory)). Any other error is handed to the engine as
    /// [`handle_transport_error`](Self::handle_transport_error) and returned.
    pub fn read_from<R: Read + ?Sized>(
        &mut self,
        now: Duration,
        reader: &mut R,
    ) -> io::Result<usize> {
        let start = self.recv.len();
        self.reserve_receive();
        let room = self.recv.capacity() - start;
        // `std::io::Read` needs initialized memory; safe code cannot lend the spare
        // capacity uninitialized, so the window is zeroed (a memset, no allocation).
        self.recv.resize(start + room, 0);
        let result = loop {
            match reader.read(&mut self.recv[start..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        match result {
            Ok(0) => {
                self.recv.truncate(start);
                self.handle_eof(now);
                Ok(0)
            }
            Ok(n) => {
                self.recv.truncate(start + n.min(room));
                self.handle_received(now);
                Ok(n)
            }
            Err(e) => {
                self.recv.truncate(start);
                if is_wait(&e) {
                    self.release_idle_memory();
                } else {
                    self.handle_transport_error(now);
                }
                Err(e)
            }
        }
    }

    /// Writes what the engine has queued to `writer`, one vectored write per batch,
    /// until the queue is empty or the writer would block, and advances the queue.
    ///
    /// Returns the bytes written (`Ok(0)`: nothing was queued). `WouldBlock` (or a write
    /// timeout) after some progress returns the progress; without any, the error. A
    /// writer that takes 0 bytes, or fails otherwise, fails the transport
    /// ([`handle_transport_error`](Self::handle_transport_error)) and the error is
    /// returned. Flush buffering writers (TLS) afterwards.
    pub fn write_to<W: Write + ?Sized>(&mut self, writer: &mut W) -> io::Result<usize> {
        let mut total = 0;
        loop {
            let Some(result) = self.with_transmit(|iov| writer.write_vectored(iov)) else {
                return Ok(total);
            };
            match result {
                Ok(0) => {
                    let now = self.now;
                    self.handle_transport_error(now);
                    return Err(io::ErrorKind::WriteZero.into());
                }
                Ok(n) => {
                    self.advance_transmit(n);
                    total += n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if is_wait(&e) && total > 0 => return Ok(total),
                Err(e) => {
                    if !is_wait(&e) {
                        let now = self.now;
                        self.handle_transport_error(now);
                    }
                    return Err(e);
                }
            }
        }
    }
}

/// "Try again later": non-blocking I/O not ready, or a blocking socket's timeout.
fn is_wait(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
