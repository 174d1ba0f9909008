//! Streamed messages end to end, on every runtime: a message much larger than the
//! memory it may use goes each way (client `send_stream` → server `recv_stream` →
//! server `send_stream` → client `recv_stream`), text and binary, with and without
//! permessage-deflate, while a counting allocator checks the process's peak heap; a
//! streamed text with invalid UTF-8 far into it fails with 1007 before the rest is
//! read; a deflate bomb read streamed stays bounded; `recv` and `recv_stream` mix on one
//! connection.
//!
//! The size is [`GIB`] (1 GiB each way) by default; `WEBSOCK_STREAM_TEST_MIB` sets it in
//! MiB for a quicker local run.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use websock_core::deflate::DeflateConfig;
use websock_core::handle::{WebSocketReceiver, WebSocketSender, WebSocketStream};
use websock_core::{Limits, MessageKind};
use websock_tests::Runtime;

/// Counts the bytes allocated now and the most ever allocated at once.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; the counters are
// only statistics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` holds for `System.alloc`.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (see `alloc`).
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc` holds for `System.realloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grown = new_size - layout.size();
                let now = CURRENT.fetch_add(grown, Ordering::Relaxed) + grown;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One heap-heavy test at a time (tests run on parallel threads, and the counters are
/// the process's).
static MEASURING: Mutex<()> = Mutex::new(());

/// 1 GiB.
const GIB: u64 = 1 << 30;

/// The peak heap a streamed transfer may add, whatever its size.
const HEAP_BOUND: usize = 16 << 20;

/// How many bytes each way.
fn size() -> u64 {
    std::env::var("WEBSOCK_STREAM_TEST_MIB")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(GIB, |mib| mib << 20)
}

/// The repeated block of a message's bytes: text with 1-, 2-, 3- and 4-byte code
/// points, 16,381 bytes (a prime, so code points straddle every fragment and chunk
/// boundary somewhere).
fn block() -> Vec<u8> {
    let unit = "stream héllo wörld ✓ 😀 ";
    let mut text = String::new();
    while text.len() < 16_381 {
        text.push_str(unit);
    }
    let mut cut = 16_381;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
    text.into_bytes()
}

/// Checks received bytes against the repeated block, from offset `at` of the message.
struct Expected {
    block: Vec<u8>,
    at: u64,
}

impl Expected {
    fn check(&mut self, mut chunk: &[u8]) -> Result<(), String> {
        while !chunk.is_empty() {
            let offset = (self.at % self.block.len() as u64) as usize;
            let n = (self.block.len() - offset).min(chunk.len());
            if chunk[..n] != self.block[offset..offset + n] {
                return Err(format!("bytes differ at offset {}", self.at));
            }
            self.at += n as u64;
            chunk = &chunk[n..];
        }
        Ok(())
    }
}

/// What each transfer is.
#[derive(Debug, Clone, Copy)]
struct Variant {
    kind: MessageKind,
    deflate: bool,
}

const VARIANTS: [Variant; 4] = [
    Variant {
        kind: MessageKind::Binary,
        deflate: false,
    },
    Variant {
        kind: MessageKind::Text,
        deflate: false,
    },
    Variant {
        kind: MessageKind::Binary,
        deflate: true,
    },
    Variant {
        kind: MessageKind::Text,
        deflate: true,
    },
];

fn deflate(on: bool) -> DeflateConfig {
    DeflateConfig {
        enabled: on,
        level: 1,
        ..DeflateConfig::default()
    }
}

/// Streaming from the first message (see `WebSocketStream::recv_stream`).
fn streaming() -> websock_core::Streaming {
    websock_core::Streaming {
        enabled: true,
        max_streamed_message_size: None,
    }
}

/// Small whole-message limits: a streamed message is bounded by neither.
fn limits() -> Limits {
    Limits {
        max_message_size: 1 << 20,
        max_send_queue: 1 << 20,
        ..Limits::default()
    }
}

/// The server side of every async transfer: echoes each message chunk by chunk.
async fn echo_streaming<S>(ws: WebSocketStream<S>) -> Result<(), String> {
    let (mut tx, mut rx) = ws.split();
    let echoed = echo_halves(&mut tx, &mut rx).await;
    echoed.map_err(|e| format!("{e}, close {:?}", rx.close_event()))
}

async fn echo_halves(tx: &mut WebSocketSender, rx: &mut WebSocketReceiver) -> Result<(), String> {
    while let Some(reader) = rx.recv_stream().await {
        let mut reader = reader.map_err(|e| format!("server recv_stream: {e}"))?;
        let mut writer = tx.send_stream(reader.kind());
        while let Some(chunk) = reader.chunk().await {
            let chunk = chunk.map_err(|e| format!("server chunk: {e}"))?;
            writer
                .write(&chunk)
                .await
                .map_err(|e| format!("server write: {e}"))?;
        }
        writer
            .finish()
            .await
            .map_err(|e| format!("server finish: {e}"))?;
    }
    Ok(())
}

/// The length of a message of about `total` bytes of the repeated block: whole blocks,
/// then a last piece cut on a code point (so text stays valid).
fn message_len(total: u64) -> u64 {
    let block = block();
    let len = block.len() as u64;
    let mut last = (total % len) as usize;
    while last > 0 && (block[last] & 0xC0) == 0x80 {
        last -= 1;
    }
    total / len * len + last as u64
}

/// Writes `total` bytes of the block (see [`message_len`]) as one message of `kind`.
async fn write_message(
    tx: &mut WebSocketSender,
    kind: MessageKind,
    total: u64,
) -> Result<(), String> {
    let block = block();
    let mut writer = tx.send_stream(kind);
    let mut left = message_len(total);
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        writer
            .write(&block[..n])
            .await
            .map_err(|e| format!("client write: {e}"))?;
        left -= n as u64;
    }
    writer
        .finish()
        .await
        .map_err(|e| format!("client finish: {e}"))
}

/// Reads one message streamed and checks it is `total` bytes of the block, of `kind`.
async fn read_message(
    rx: &mut WebSocketReceiver,
    kind: MessageKind,
    total: u64,
) -> Result<(), String> {
    let mut reader = match rx.recv_stream().await {
        Some(Ok(reader)) => reader,
        other => return Err(format!("client recv_stream: {other:?}")),
    };
    if reader.kind() != kind {
        return Err(format!("kind {:?}, sent {kind:?}", reader.kind()));
    }
    let mut expected = Expected {
        block: block(),
        at: 0,
    };
    while let Some(chunk) = reader.chunk().await {
        let chunk = chunk.map_err(|e| format!("client chunk: {e}"))?;
        if kind == MessageKind::Text && std::str::from_utf8(&chunk).is_err() {
            return Err(format!(
                "a text chunk at {} is not UTF-8 on its own",
                expected.at
            ));
        }
        expected.check(&chunk)?;
    }
    if expected.at != message_len(total) {
        return Err(format!(
            "received {} bytes of {}",
            expected.at,
            message_len(total)
        ));
    }
    Ok(())
}

/// The client side of an async transfer: sends and receives concurrently.
async fn client_side<S>(
    ws: WebSocketStream<S>,
    v: Variant,
    total: u64,
) -> Result<WebSocketReceiver, String> {
    let (mut tx, mut rx) = ws.split();
    let send = write_message(&mut tx, v.kind, total);
    let recv = read_message(&mut rx, v.kind, total);
    let (sent, received) = futures_lite::future::zip(send, recv).await;
    if sent.is_err() || received.is_err() {
        return Err(format!(
            "sent {sent:?}, received {received:?}, close {:?}",
            rx.close_event()
        ));
    }
    tx.close(Some(1000), "done")
        .await
        .map_err(|e| format!("close: {e}"))?;
    Ok(rx)
}

/// One transfer on tokio: the echo server and the client on one runtime.
fn tokio_transfer(v: Variant, total: u64) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
            let options = websock_tokio::ServerOptions::new()
                .deflate(deflate(v.deflate))
                .limits(limits())
                .streaming(streaming());
            let ws = websock_tokio::accept_with(tcp, options, |_| websock_core::Decision::accept())
                .await
                .map_err(|e| format!("accept: {e}"))?;
            echo_streaming(ws).await
        });
        let options = websock_tokio::ClientOptions::new()
            .deflate(deflate(v.deflate))
            .limits(limits())
            .streaming(streaming());
        let ws = websock_tokio::connect_with(&format!("ws://{addr}/"), options)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        if ws.extensions().is_empty() == v.deflate {
            return Err(format!("extensions {:?}", ws.extensions()));
        }
        let client = client_side(ws, v, total).await;
        let server = server.await.map_err(|e| e.to_string())?;
        both(client, server)
    })
}

/// One transfer on smol.
fn smol_transfer(v: Variant, total: u64) -> Result<(), String> {
    smol::block_on(async move {
        let listener = async_net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let server = smol::spawn(async move {
            let (tcp, _) = listener.accept().await.map_err(|e| e.to_string())?;
            let options = websock_smol::ServerOptions::new()
                .deflate(deflate(v.deflate))
                .limits(limits())
                .streaming(streaming());
            let ws = websock_smol::accept_with(tcp, options, |_| websock_core::Decision::accept())
                .await
                .map_err(|e| format!("accept: {e}"))?;
            echo_streaming(ws).await
        });
        let options = websock_smol::ClientOptions::new()
            .deflate(deflate(v.deflate))
            .limits(limits())
            .streaming(streaming());
        let ws = websock_smol::connect_with(&format!("ws://{addr}/"), options)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        if ws.extensions().is_empty() == v.deflate {
            return Err(format!("extensions {:?}", ws.extensions()));
        }
        let client = client_side(ws, v, total).await;
        both(client, server.await)
    })
}

/// Both sides' outcomes: each side's failure, if any.
fn both<T>(client: Result<T, String>, server: Result<(), String>) -> Result<(), String> {
    match (client, server) {
        (Ok(_), Ok(())) => Ok(()),
        (c, s) => Err(format!("client: {:?}; server: {s:?}", c.err())),
    }
}

fn transfer(rt: Runtime, v: Variant, total: u64) -> Result<(), String> {
    match rt {
        Runtime::Tokio => tokio_transfer(v, total),
        Runtime::Smol => smol_transfer(v, total),
        Runtime::Std => std_transfer(v, total),
    }
}

/// The transfers of one runtime, each measured: the peak heap above what was allocated
/// before it.
fn transfers(rt: Runtime) {
    let total = size();
    let mut rows = Vec::new();
    for v in VARIANTS {
        let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
        let base = CURRENT.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let start = Instant::now();
        let outcome = transfer(rt, v, total);
        let took = start.elapsed();
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        if let Err(e) = outcome {
            panic!("{rt} {v:?}: {e}");
        }
        rows.push(format!(
            "{rt} {:?} deflate={}: {} MiB each way in {:.1} s, peak heap +{} KiB",
            v.kind,
            v.deflate,
            total >> 20,
            took.as_secs_f64(),
            peak >> 10
        ));
        assert!(
            peak < HEAP_BOUND,
            "{rt} {v:?}: peak heap +{} KiB for {} MiB each way (bound {} KiB)",
            peak >> 10,
            total >> 20,
            HEAP_BOUND >> 10
        );
    }
    println!("{}", rows.join("\n"));
}

#[test]
fn tokio_streams_a_gib_each_way_in_bounded_memory() {
    transfers(Runtime::Tokio);
}

#[test]
fn smol_streams_a_gib_each_way_in_bounded_memory() {
    transfers(Runtime::Smol);
}

#[test]
fn std_streams_a_gib_each_way_in_bounded_memory() {
    transfers(Runtime::Std);
}

/// One transfer on websock-std: the echo server on a thread, the client's sender on
/// another, its receiver on the test's.
fn std_transfer(v: Variant, total: u64) -> Result<(), String> {
    use std::io::Write as _;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = std::thread::spawn(move || -> Result<(), String> {
        let (tcp, _) = listener.accept().map_err(|e| e.to_string())?;
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let options = websock_std::ServerOptions::new()
            .deflate(deflate(v.deflate))
            .limits(limits())
            .streaming(streaming());
        let ws = websock_std::accept_with(tcp, options, |_| websock_core::Decision::accept())
            .map_err(|e| format!("accept: {e}"))?;
        let (tx, mut rx) = ws.split();
        while let Some(reader) = rx.recv_stream() {
            let mut reader = reader.map_err(|e| format!("server recv_stream: {e}"))?;
            let mut writer = tx.send_stream(reader.kind());
            while let Some(chunk) = reader.chunk() {
                let chunk = chunk.map_err(|e| format!("server chunk: {e}"))?;
                writer
                    .write_all(&chunk)
                    .map_err(|e| format!("server write: {e}"))?;
            }
            writer.finish().map_err(|e| format!("server finish: {e}"))?;
        }
        Ok(())
    });
    let options = websock_std::ClientOptions::new()
        .deflate(deflate(v.deflate))
        .limits(limits())
        .streaming(streaming());
    let ws = websock_std::connect_with(&format!("ws://{addr}/"), options)
        .map_err(|e| format!("connect: {e}"))?;
    if ws.extensions().is_empty() == v.deflate {
        return Err(format!("extensions {:?}", ws.extensions()));
    }
    let (tx, mut rx) = ws.split();
    let sender = std::thread::spawn(move || -> Result<_, String> {
        let block = block();
        let mut writer = tx.send_stream(v.kind);
        let mut left = message_len(total);
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            writer
                .write_all(&block[..n])
                .map_err(|e| format!("client write: {e}"))?;
            left -= n as u64;
        }
        writer.finish().map_err(|e| format!("client finish: {e}"))?;
        Ok(tx)
    });
    let received = (|| {
        let mut reader = match rx.recv_stream() {
            Some(Ok(reader)) => reader,
            other => {
                return Err(format!(
                    "client recv_stream: {:?}",
                    other.map(|r| r.map(|_| ()))
                ))
            }
        };
        if reader.kind() != v.kind {
            return Err(format!("kind {:?}, sent {:?}", reader.kind(), v.kind));
        }
        let mut expected = Expected {
            block: block(),
            at: 0,
        };
        while let Some(chunk) = reader.chunk() {
            let chunk = chunk.map_err(|e| format!("client chunk: {e}"))?;
            expected.check(&chunk)?;
        }
        if expected.at != message_len(total) {
            return Err(format!(
                "received {} of {}",
                expected.at,
                message_len(total)
            ));
        }
        Ok(())
    })();
    let sent = sender
        .join()
        .map_err(|_| "the sender panicked".to_owned())?;
    let client = match (sent, received) {
        (Ok(tx), Ok(())) => {
            // The receiver reads the server's Close while the sender waits for it.
            let closing = std::thread::spawn(move || tx.close(Some(1000), "done").map(|_| ()));
            while rx.recv().is_some() {}
            let closed = closing.join().map_err(|_| "close panicked".to_owned())?;
            closed.map_err(|e| format!("close: {e}"))
        }
        (sent, received) => Err(format!("sent {:?}, received {received:?}", sent.err())),
    };
    let server = server
        .join()
        .map_err(|_| "the server panicked".to_owned())?;
    both(client, server)
}

/// Where the invalid byte goes: 700 MiB into the message.
const BAD_AT: u64 = 700 << 20;
/// The fragments the client sends for the invalid-UTF-8 test: 1 MiB each, 1 GiB in
/// all (the invalid byte in fragment 700).
const FRAGMENT: usize = 1 << 20;

/// What a server reading one message streamed saw: the bytes delivered and the error
/// that ended it.
type Streamed = (u64, Option<String>);

/// Reads one message streamed, counting its bytes, until it ends or fails.
async fn count_streamed<S>(mut ws: WebSocketStream<S>) -> Streamed {
    let mut reader = match ws.recv_stream().await {
        Some(Ok(reader)) => reader,
        other => {
            return (
                0,
                Some(format!("recv_stream: {:?}", other.map(|r| r.map(|_| ())))),
            )
        }
    };
    let mut delivered = 0;
    while let Some(chunk) = reader.chunk().await {
        match chunk {
            Ok(c) => delivered += c.len() as u64,
            Err(e) => return (delivered, Some(format!("{e}"))),
        }
    }
    (delivered, None)
}

/// The same on websock-std.
fn count_streamed_std<S: websock_std::Transport>(
    ws: &mut websock_std::WebSocketStream<S>,
) -> Streamed {
    let mut reader = match ws.recv_stream() {
        Some(Ok(reader)) => reader,
        other => {
            return (
                0,
                Some(format!("recv_stream: {:?}", other.map(|r| r.map(|_| ())))),
            )
        }
    };
    let mut delivered = 0;
    while let Some(chunk) = reader.chunk() {
        match chunk {
            Ok(c) => delivered += c.len() as u64,
            Err(e) => return (delivered, Some(format!("{e}"))),
        }
    }
    (delivered, None)
}

/// Runs a server of runtime `rt` that reads one message streamed with `options`, on a
/// thread; returns its address and what it saw.
fn streamed_server(
    rt: Runtime,
    options: websock_core::ServerSettings,
) -> (std::net::SocketAddr, std::thread::JoinHandle<Streamed>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accept = |_: &websock_core::handshake::Request| websock_core::Decision::accept();
    let server = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().unwrap();
        match rt {
            Runtime::Tokio => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async move {
                    let tcp = tokio::net::TcpStream::from_std({
                        tcp.set_nonblocking(true).unwrap();
                        tcp
                    })
                    .unwrap();
                    match websock_tokio::accept_with(tcp, options, accept).await {
                        Ok(ws) => count_streamed(ws).await,
                        Err(e) => (0, Some(format!("accept: {e}"))),
                    }
                }),
            Runtime::Smol => smol::block_on(async move {
                let tcp = async_net::TcpStream::try_from(tcp).unwrap();
                match websock_smol::accept_with(tcp, options, accept).await {
                    Ok(ws) => count_streamed(ws).await,
                    Err(e) => (0, Some(format!("accept: {e}"))),
                }
            }),
            Runtime::Std => match websock_std::accept_with(tcp, options, accept) {
                Ok(mut ws) => {
                    let seen = count_streamed_std(&mut ws);
                    while ws.recv().is_some() {}
                    seen
                }
                Err(e) => (0, Some(format!("accept: {e}"))),
            },
        }
    });
    (addr, server)
}

/// A text message of 1 GiB with one invalid byte 700 MiB in, streamed to each
/// runtime's server: the server's reader fails with invalid UTF-8 (1007) having
/// delivered the 700 MiB before it, and the server reads no further: the client's
/// sends are refused long before its last fragment.
#[test]
fn invalid_utf8_700_mib_into_a_streamed_text_fails_with_1007_before_the_rest() {
    // Not measured, but its allocations must not count in the tests that are.
    let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
    for rt in Runtime::ALL {
        let options = websock_core::ServerSettings::new().streaming(streaming());
        let (addr, server) = streamed_server(rt, options);
        let client = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let options = websock_tokio::ClientOptions::new().deflate(deflate(false));
                let mut ws = websock_tokio::connect_with(&format!("ws://{addr}/"), options)
                    .await
                    .map_err(|e| format!("connect: {e}"))?;
                let valid = bytes::Bytes::from(vec![b'a'; FRAGMENT]);
                let mut invalid = vec![b'a'; FRAGMENT];
                invalid[17] = 0xff;
                let invalid = bytes::Bytes::from(invalid);
                let fragments = (GIB / FRAGMENT as u64) as usize;
                let bad_fragment = (BAD_AT / FRAGMENT as u64) as usize;
                for i in 0..fragments {
                    let data = if i == bad_fragment {
                        invalid.clone()
                    } else {
                        valid.clone()
                    };
                    if ws
                        .send_fragment(MessageKind::Text, data, i + 1 == fragments)
                        .await
                        .is_err()
                    {
                        while ws.recv().await.is_some() {}
                        return Ok((i, ws.close_event()));
                    }
                }
                Err("every fragment was sent".to_owned())
            });
        let (delivered, error) = server.join().unwrap();
        let (refused_at, close) = client.unwrap_or_else(|e| panic!("{rt}: {e}"));
        println!(
            "{rt}: server delivered {} MiB, failed with {error:?}; client refused at fragment {refused_at}, close {close:?}",
            delivered >> 20
        );
        let error = error.unwrap_or_else(|| panic!("{rt}: the message ended without error"));
        assert!(error.contains("UTF-8"), "{rt}: {error}");
        assert!(
            delivered <= BAD_AT + 17 && delivered + (64 << 10) > BAD_AT,
            "{rt}: delivered {delivered}"
        );
        // The server failed the connection with 1007 (its Close may not reach a client
        // that is still sending: the server stops reading and drops the connection).
        assert!(error.contains("(1007)"), "{rt}: {error}");
        assert!(close.is_some(), "{rt}");
        assert!(
            refused_at < 800,
            "{rt}: the client sent {refused_at} fragments"
        );
    }
}

/// A deflate bomb (1 GiB of zeros, about 1 MiB compressed) read streamed: with
/// `max_streamed_message_size` at 10 MiB each runtime's server fails it with 1009 after
/// delivering at most that much, and the process's heap never grows by more than
/// [`HEAP_BOUND`] meanwhile.
#[test]
fn a_deflate_bomb_read_streamed_stays_bounded() {
    for rt in Runtime::ALL {
        let _one = MEASURING.lock().unwrap_or_else(|e| e.into_inner());
        let base = CURRENT.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let limit = 10 << 20;
        let options = websock_core::ServerSettings::new()
            .deflate(deflate(true))
            .streaming(websock_core::Streaming {
                enabled: true,
                max_streamed_message_size: Some(limit),
            });
        let (addr, server) = streamed_server(rt, options);
        let client = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let options = websock_tokio::ClientOptions::new().deflate(DeflateConfig {
                    level: 9,
                    ..deflate(true)
                });
                let ws = websock_tokio::connect_with(&format!("ws://{addr}/"), options)
                    .await
                    .map_err(|e| format!("connect: {e}"))?;
                let (tx, mut rx) = ws.split();
                let zeros = vec![0u8; 1 << 20];
                let mut writer = tx.send_stream(MessageKind::Binary);
                for _ in 0..1024 {
                    if writer.write(&zeros).await.is_err() {
                        break;
                    }
                }
                drop(writer);
                while rx.recv().await.is_some() {}
                Ok::<_, String>(rx.close_event())
            });
        let (delivered, error) = server.join().unwrap();
        let close = client.unwrap_or_else(|e| panic!("{rt}: {e}"));
        let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
        println!(
            "{rt}: bomb: server delivered {} KiB, failed with {error:?}, close {close:?}, peak heap +{} KiB",
            delivered >> 10,
            peak >> 10
        );
        assert!(delivered <= limit as u64, "{rt}: delivered {delivered}");
        assert!(error.is_some_and(|e| e.contains("(1009)")), "{rt}");
        assert!(close.is_some(), "{rt}");
        assert!(peak < HEAP_BOUND, "{rt}: peak heap +{} KiB", peak >> 10);
    }
}
