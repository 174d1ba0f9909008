//! The [`Transport`] trait the blocking driver needs, and its impls for std's sockets
//! and rustls' `StreamOwned`; [`BoxedTransport`], the type-erased transport the
//! idiomatic handles hold (so their types do not name it).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};

#[cfg(feature = "rustls")]
use crate::tls::TlsInfo;
use std::time::Duration;

/// A byte stream a WebSocket can run over: [`Read`] + [`Write`], plus the few controls a
/// blocking driver needs to honour the engine's timers and to share the stream between
/// a reading and a writing thread.
///
/// Every method has a default, so a custom transport (a pipe, an in-memory stream, an
/// upgraded HTTP connection) can opt in with `impl Transport for MyStream {}`. With the
/// defaults, reads cannot time out, so timers (close timeout, keepalive, handshake
/// deadline) fire only when bytes arrive; implement
/// [`set_read_timeout`](Transport::set_read_timeout) to make them exact.
pub trait Transport: Read + Write {
    /// Make the next reads fail with [`io::ErrorKind::WouldBlock`] or
    /// [`io::ErrorKind::TimedOut`] after `timeout` (never zero); `None` blocks forever.
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let _ = timeout;
        Ok(())
    }

    /// Make the next writes give up after `timeout` (never zero), returning what was
    /// written so far or [`io::ErrorKind::WouldBlock`] / [`io::ErrorKind::TimedOut`].
    /// The driver uses it so that a writer blocked on a peer that does not read never
    /// stops the reader for long.
    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let _ = timeout;
        Ok(())
    }

    /// Block until a read would return at once (input, end of stream or an error)
    /// without consuming anything, giving up like a read after the read timeout
    /// ([`io::ErrorKind::WouldBlock`] / [`io::ErrorKind::TimedOut`]). The driver calls
    /// it once a connection is idle so that it holds no receive buffer while it waits.
    ///
    /// The default returns `Ok(())` at once (the driver then reads into a buffer, as
    /// before): right for a transport that may hold input of its own, such as TLS's
    /// decrypted records. `TcpStream` waits with a one-byte `peek`.
    fn wait_readable(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Flush and shut the write side down (TCP FIN; TLS close_notify then FIN). Reading
    /// must still work afterwards.
    fn shutdown_write(&mut self) -> io::Result<()> {
        self.flush()
    }

    /// A second handle to the same transport, so one thread can write while another
    /// blocks in `read` (`TcpStream::try_clone`). `None` (the default) if the transport
    /// cannot be shared that way; the two halves then take turns on one handle.
    fn try_clone_handle(&self) -> Option<Self>
    where
        Self: Sized,
    {
        None
    }

    /// The peer's socket address; `None` (the default) for a transport without one (a
    /// Unix socket, a pipe). Asked once, when the WebSocket stream is made.
    fn peer_addr(&self) -> Option<SocketAddr> {
        None
    }

    /// The local socket address; `None` (the default) for a transport without one.
    /// Asked once, when the WebSocket stream is made.
    fn local_addr(&self) -> Option<SocketAddr> {
        None
    }

    /// The TLS session's facts (websock-core's [`TlsInfo`]); `None` (the default) for a
    /// plain transport. Asked once, when the WebSocket stream is made.
    #[cfg(feature = "rustls")]
    fn tls_info(&self) -> Option<TlsInfo> {
        None
    }
}

/// `Transport` for a std socket type `$socket` (its own timeouts, a write-side
/// shutdown that is a no-op on a socket already gone, `try_clone`), with `$extra`
/// methods.
macro_rules! socket_transport {
    ($socket:ty { $($extra:item)* }) => {
        impl Transport for $socket {
            fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
                <$socket>::set_read_timeout(self, timeout)
            }

            fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
                <$socket>::set_write_timeout(self, timeout)
            }

            fn shutdown_write(&mut self) -> io::Result<()> {
                match self.shutdown(Shutdown::Write) {
                    // Already gone: nothing left to shut down.
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
                    other => other,
                }
            }

            fn try_clone_handle(&self) -> Option<Self> {
                self.try_clone().ok()
            }

            $($extra)*
        }
    };
}

socket_transport!(TcpStream {
    fn wait_readable(&mut self) -> io::Result<()> {
        self.peek(&mut [0]).map(drop)
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        TcpStream::peer_addr(self).ok()
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        TcpStream::local_addr(self).ok()
    }
});

#[cfg(unix)]
socket_transport!(std::os::unix::net::UnixStream {});

impl<T: Transport> Transport for Box<T> {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_read_timeout(timeout)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_write_timeout(timeout)
    }

    fn wait_readable(&mut self) -> io::Result<()> {
        (**self).wait_readable()
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        (**self).shutdown_write()
    }

    fn try_clone_handle(&self) -> Option<Self> {
        (**self).try_clone_handle().map(Box::new)
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        (**self).peer_addr()
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        (**self).local_addr()
    }

    #[cfg(feature = "rustls")]
    fn tls_info(&self) -> Option<TlsInfo> {
        (**self).tls_info()
    }
}

/// A [`Transport`] that can be handed to another thread, with its second handle made
/// object-safe: what [`BoxedTransport`] erases. Implemented for every
/// `Transport + Send + 'static`.
pub(crate) trait ErasedTransport: Transport + Send {
    /// [`Transport::try_clone_handle`], boxed.
    fn try_clone_erased(&self) -> Option<BoxedTransport>;
}

impl<T: Transport + Send + 'static> ErasedTransport for T {
    fn try_clone_erased(&self) -> Option<BoxedTransport> {
        self.try_clone_handle()
            .map(|handle| Box::new(handle) as BoxedTransport)
    }
}

/// A transport with its type erased: the idiomatic handles
/// ([`WebSocketStream`](super::WebSocketStream) and its halves) hold this, so their
/// types do not name the transport. One allocation per connection (and one for the
/// writer's second handle); each I/O call is one virtual call.
pub(crate) type BoxedTransport = Box<dyn ErasedTransport>;

impl Transport for BoxedTransport {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_read_timeout(timeout)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_write_timeout(timeout)
    }

    fn wait_readable(&mut self) -> io::Result<()> {
        (**self).wait_readable()
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        (**self).shutdown_write()
    }

    fn try_clone_handle(&self) -> Option<Self> {
        // Through the vtable, to the erased transport's own `try_clone_handle`
        // (`self.try_clone_erased()` would pick the box's blanket impl, which calls
        // back here).
        (**self).try_clone_erased()
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        (**self).peer_addr()
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        (**self).local_addr()
    }

    #[cfg(feature = "rustls")]
    fn tls_info(&self) -> Option<TlsInfo> {
        (**self).tls_info()
    }
}

#[cfg(feature = "rustls")]
impl<C, D, T> Transport for rustls::StreamOwned<C, T>
where
    C: std::ops::DerefMut + std::ops::Deref<Target = rustls::ConnectionCommon<D>>,
    D: rustls::SideData,
    T: Transport,
{
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(timeout)
    }

    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_write_timeout(timeout)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        self.conn.send_close_notify();
        self.flush()?;
        self.sock.shutdown_write()
    }

    fn peer_addr(&self) -> Option<SocketAddr> {
        self.sock.peer_addr()
    }

    fn local_addr(&self) -> Option<SocketAddr> {
        self.sock.local_addr()
    }

    /// The session's facts; the server name is left to the caller here (rustls keeps
    /// it only on a concrete `ServerConnection`: a runtime's own stream type reports it).
    fn tls_info(&self) -> Option<TlsInfo> {
        Some(TlsInfo::from_state(&self.conn, None))
    }
}
