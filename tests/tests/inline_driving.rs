//! How the async handles (websock-tokio, websock-smol: core's `handle`) drive a
//! connection: an unsplit stream drives it inline, in its own calls, and answers a burst
//! of pipelined messages with a few writes (replies queued while received messages wait
//! go out together); a split stream is driven by a task whether or not either half is
//! polled.
//!
//! The server side runs over a transport wrapper that counts the writes that reached
//! the socket; the client is a raw peer (std `TcpStream`, frames written by hand).

use std::io::{self, IoSlice, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use websock_core::Message;
use websock_tests::facade::raw_client;
use websock_tests::tls_accept::masked_frame;

/// Messages in the burst.
const BURST: usize = 100;

/// A stream that counts the writes that moved bytes.
struct Counting<S> {
    inner: S,
    writes: Arc<AtomicUsize>,
}

impl<S> Counting<S> {
    fn count(&self, poll: &Poll<io::Result<usize>>) {
        if matches!(poll, Poll::Ready(Ok(n)) if *n > 0) {
            self.writes.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl tokio::io::AsyncRead for Counting<tokio::net::TcpStream> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Counting<tokio::net::TcpStream> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.count(&poll);
        poll
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.count(&poll);
        poll
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl futures_io::AsyncRead for Counting<async_net::TcpStream> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl futures_io::AsyncWrite for Counting<async_net::TcpStream> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.count(&poll);
        poll
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.count(&poll);
        poll
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// Reads one unmasked server frame with a short payload: (opcode, payload).
fn read_frame(tcp: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut header = [0u8; 2];
    tcp.read_exact(&mut header).expect("a frame header");
    let len = usize::from(header[1] & 0x7f);
    assert!(len < 126, "short frames only");
    let mut payload = vec![0u8; len];
    tcp.read_exact(&mut payload).expect("a frame payload");
    (header[0] & 0x0f, payload)
}

/// Sends a burst of `BURST` text messages in one write, reads every echo in order, and
/// sends a Close; the server (run by the caller) counts its writes.
fn burst_client(addr: std::net::SocketAddr) {
    let mut tcp = raw_client(addr);
    let mut burst = Vec::new();
    for i in 0..BURST {
        burst.extend(masked_frame(0x1, format!("m{i}").as_bytes()));
    }
    tcp.write_all(&burst).unwrap();
    for i in 0..BURST {
        let (opcode, payload) = read_frame(&mut tcp);
        assert_eq!((opcode, payload), (0x1, format!("m{i}").into_bytes()));
    }
    tcp.write_all(&masked_frame(0x8, &1000u16.to_be_bytes()))
        .unwrap();
    let (opcode, _) = read_frame(&mut tcp);
    assert_eq!(opcode, 0x8, "the Close echo");
}

/// An echo loop as the README shows it, on an unsplit stream.
macro_rules! echo_loop {
    ($ws:expr) => {
        while let Some(Ok(message)) = $ws.recv().await {
            if $ws.send(message).await.is_err() {
                break;
            }
        }
    };
}

fn check_burst_writes(runtime: &str, writes: usize) {
    // One write per message would be BURST; the burst arrives in a few reads, each
    // answered by one write (plus the 101 and the Close echo).
    assert!(
        writes <= 12,
        "{runtime}: {writes} writes for {BURST} pipelined messages"
    );
}

#[test]
fn tokio_an_unsplit_stream_answers_a_burst_with_few_writes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || burst_client(addr));
    let writes = Arc::new(AtomicUsize::new(0));
    let counted = writes.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_nonblocking(true).unwrap();
        let inner = tokio::net::TcpStream::from_std(tcp).unwrap();
        let stream = Counting {
            inner,
            writes: counted,
        };
        let mut ws = websock_tokio::accept(stream).await.expect("accept");
        echo_loop!(ws);
    });
    client.join().expect("the client saw every echo in order");
    check_burst_writes("tokio", writes.load(Ordering::Relaxed));
}

#[test]
fn smol_an_unsplit_stream_answers_a_burst_with_few_writes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || burst_client(addr));
    let writes = Arc::new(AtomicUsize::new(0));
    let counted = writes.clone();
    smol::block_on(async move {
        let (tcp, _) = listener.accept().unwrap();
        let inner = async_net::TcpStream::try_from(tcp).unwrap();
        let stream = Counting {
            inner,
            writes: counted,
        };
        let mut ws = websock_smol::accept(stream).await.expect("accept");
        echo_loop!(ws);
    });
    client.join().expect("the client saw every echo in order");
    check_burst_writes("smol", writes.load(Ordering::Relaxed));
}

/// After `split`, a ping is answered while neither half is polled (the driver task
/// runs on the runtime's thread).
#[test]
fn tokio_split_halves_are_driven_while_not_polled() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    // The runtime runs on a thread of its own; this thread never polls the halves.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let runtime = rt.handle().clone();
    std::thread::spawn(move || rt.block_on(std::future::pending::<()>()));
    let (accepted_tx, accepted_rx) = std::sync::mpsc::channel();
    runtime.spawn(async move {
        let (tcp, _) = listener.accept().unwrap();
        tcp.set_nonblocking(true).unwrap();
        let tcp = tokio::net::TcpStream::from_std(tcp).unwrap();
        let ws = websock_tokio::accept(tcp).await.expect("accept");
        let _ = accepted_tx.send(ws.split());
    });
    let mut tcp = raw_client(addr);
    let (tx, rx) = accepted_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("accepted");
    // Neither half is polled from here on, until the pong has been read.
    tcp.write_all(&masked_frame(0x9, b"are you there")).unwrap();
    let (opcode, payload) = read_frame(&mut tcp);
    assert_eq!((opcode, payload.as_slice()), (0xA, &b"are you there"[..]));
    tx.try_send(Message::text("still here")).unwrap();
    let (opcode, payload) = read_frame(&mut tcp);
    assert_eq!((opcode, payload.as_slice()), (0x1, &b"still here"[..]));
    drop((tx, rx));
    // Dropping both halves closes with 1001 (the driver task finishes it).
    let (opcode, payload) = read_frame(&mut tcp);
    assert_eq!(
        (opcode, payload.as_slice()),
        (0x8, &1001u16.to_be_bytes()[..])
    );
}
