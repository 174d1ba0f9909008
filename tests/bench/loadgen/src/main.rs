//! A WebSocket load generator that speaks raw frames: no WebSocket library on this side.
//!
//! The client handshake is written by hand with a fixed `Sec-WebSocket-Key`, the `101` is
//! parsed minimally (status line + `Sec-WebSocket-Accept`), then masked binary frames go
//! out and unmasked frames come in. Plain std threads, blocking sockets, every wait bounded.
//!
//! ```text
//! loadgen echo --addr 127.0.0.1:9001 --conns 100 --size 16 --inflight 1 --duration 5
//! loadgen idle --addr 127.0.0.1:9001 --conns 10000 --server-pid 1234 [--deflate]
//! loadgen broadcast --addr 127.0.0.1:9001 --receivers 1000 --size 16 --lag 16 --duration 5
//! ```
//!
//! Each mode prints one machine-readable line starting with `RESULT` on stdout
//! (`key=value` pairs); diagnostics go to stderr.
//!
//! * `echo`: every connection keeps `--inflight` messages of `--size` bytes outstanding and
//!   counts completed echoes during `--duration` seconds (after `--warmup`). With 1 in flight
//!   a connection is one thread (write, read, time it): round-trip latency is recorded.
//!   With more, a writer thread and a reader thread share the socket; the reader hands
//!   credits back to the writer, which writes every allowed frame in one `write_all`.
//! * `idle`: reads the server's VmRSS, opens `--conns` connections (handshake only), waits
//!   `--settle` seconds, reads VmRSS again: KB per idle connection.
//! * `broadcast`: opens `--receivers` connections that only read (one thread each,
//!   counting whole messages), then one sender connection. The server is expected to send
//!   every message it receives on a connection to every *other* open connection (the
//!   receivers never send, so the sender's messages reach all of them). A probe message
//!   must first reach every receiver (10 s at most); then the sender writes `--size`-byte
//!   messages as fast as the server takes them, but never lets deliveries lag behind by
//!   more than `--lag` messages per receiver (stops while `sent * N - delivered > lag * N`),
//!   so the figure is throughput, not buffer growth. Deliveries (messages read by the
//!   receivers) are counted during `--duration` after `--warmup`: `deliveries_per_s`.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::process::exit;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The RFC 6455 example key and its accept value.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
const IO_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a broadcast receiver waits for its next message before it is an error.
const RECEIVER_TIMEOUT: Duration = Duration::from_secs(10);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = args.first().cloned() else {
        usage();
    };
    let opts = Opts::parse(&args[1..]);
    let result = match mode.as_str() {
        "echo" => run_echo(&opts),
        "idle" => run_idle(&opts),
        "broadcast" => run_broadcast(&opts),
        _ => usage(),
    };
    if let Err(e) = result {
        eprintln!("loadgen: {e}");
        println!("RESULT error=\"{}\"", e.to_string().replace('"', "'"));
        exit(1);
    }
    // Threads stuck on a dead server must not keep the process alive.
    exit(0);
}

fn usage() -> ! {
    eprintln!(
        "usage: loadgen echo --addr A [--conns N] [--size B] [--inflight K] [--duration S] [--warmup S]\n\
         \x20      loadgen idle --addr A --server-pid P [--conns N] [--settle S] [--deflate]\n\
         \x20      loadgen broadcast --addr A [--receivers N] [--size B] [--lag K] [--duration S] [--warmup S]"
    );
    exit(2)
}

struct Opts(HashMap<String, String>);

impl Opts {
    fn parse(args: &[String]) -> Opts {
        let mut map = HashMap::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let Some(key) = a.strip_prefix("--") else {
                usage()
            };
            if key == "deflate" {
                map.insert(key.to_string(), "1".to_string());
            } else {
                let Some(v) = it.next() else { usage() };
                map.insert(key.to_string(), v.clone());
            }
        }
        Opts(map)
    }
    fn str(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(String::as_str)
    }
    fn num<T: std::str::FromStr>(&self, k: &str, default: T) -> T {
        match self.0.get(k) {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                eprintln!("loadgen: bad value for --{k}: {v}");
                usage()
            }),
        }
    }
    fn addr(&self) -> io::Result<SocketAddr> {
        let a = self.str("addr").unwrap_or("127.0.0.1:9001");
        a.to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(ErrorKind::InvalidInput, "no address"))
    }
}

// ---------------------------------------------------------------------------------------
// Handshake

/// Connects and performs the opening handshake. Returns the stream and any bytes that
/// arrived after the response head (the start of the first frame, normally none), and
/// whether the server agreed to an extension.
fn connect(addr: SocketAddr, deflate: bool) -> io::Result<(TcpStream, Vec<u8>, bool)> {
    let mut s = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
    s.set_nodelay(true)?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    let ext = if deflate {
        "Sec-WebSocket-Extensions: permessage-deflate\r\n"
    } else {
        ""
    };
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n{ext}\r\n"
    );
    s.write_all(req.as_bytes())?;
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 16 * 1024 {
            return Err(bad("response head too large"));
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(bad("EOF during handshake"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status = head.lines().next().unwrap_or("");
    if !status.starts_with("http/1.1 101") {
        return Err(bad(&format!("handshake refused: {status}")));
    }
    if !head.contains(&ACCEPT.to_ascii_lowercase()) {
        return Err(bad("wrong or missing Sec-WebSocket-Accept"));
    }
    let agreed_ext = head.contains("sec-websocket-extensions:");
    Ok((s, buf[head_end..].to_vec(), agreed_ext))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(ErrorKind::InvalidData, msg.to_string())
}

// ---------------------------------------------------------------------------------------
// Frames

fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i.wrapping_mul(31) + 7) as u8).collect()
}

/// One masked, final, binary frame carrying `data`.
fn client_frame(data: &[u8]) -> Vec<u8> {
    let len = data.len();
    let mut f = Vec::with_capacity(len + 14);
    f.push(0x82);
    if len < 126 {
        f.push(0x80 | len as u8);
    } else if len <= 0xffff {
        f.push(0x80 | 126);
        f.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        f.push(0x80 | 127);
        f.extend_from_slice(&(len as u64).to_be_bytes());
    }
    f.extend_from_slice(&MASK);
    f.extend(data.iter().enumerate().map(|(i, b)| b ^ MASK[i & 3]));
    f
}

/// Reads server frames from a socket, discarding payloads as they stream by (only the
/// first message's payload can be captured, to check the echo).
struct FrameReader {
    s: TcpStream,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
}

impl FrameReader {
    fn new(s: TcpStream, leftover: Vec<u8>) -> FrameReader {
        FrameReader::with_capacity(s, leftover, 256 * 1024)
    }

    /// A reader with a `cap`-byte buffer (at least 16 KiB, and the leftover's size).
    fn with_capacity(s: TcpStream, leftover: Vec<u8>, cap: usize) -> FrameReader {
        let mut buf = vec![0u8; cap.max(16 * 1024).max(leftover.len())];
        buf[..leftover.len()].copy_from_slice(&leftover);
        FrameReader {
            s,
            buf,
            pos: 0,
            len: leftover.len(),
        }
    }

    /// Makes at least `n` bytes available at `pos` (n <= 14).
    fn fill(&mut self, n: usize) -> io::Result<()> {
        while self.len - self.pos < n {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.len, 0);
                self.len -= self.pos;
                self.pos = 0;
            }
            let r = self.s.read(&mut self.buf[self.len..])?;
            if r == 0 {
                return Err(io::Error::new(ErrorKind::UnexpectedEof, "server closed"));
            }
            self.len += r;
        }
        Ok(())
    }

    /// Consumes `n` payload bytes, appending them to `capture` if given.
    fn skip(&mut self, mut n: u64, mut capture: Option<&mut Vec<u8>>) -> io::Result<()> {
        while n > 0 {
            if self.pos == self.len {
                self.pos = 0;
                self.len = 0;
                let r = self.s.read(&mut self.buf)?;
                if r == 0 {
                    return Err(io::Error::new(ErrorKind::UnexpectedEof, "server closed"));
                }
                self.len = r;
            }
            let take = n.min((self.len - self.pos) as u64) as usize;
            if let Some(c) = capture.as_deref_mut() {
                c.extend_from_slice(&self.buf[self.pos..self.pos + take]);
            }
            self.pos += take;
            n -= take as u64;
        }
        Ok(())
    }

    /// Reads one whole data message (all its fragments); returns its payload length.
    /// Pings and pongs are skipped; a close frame is an error.
    fn message(&mut self, mut capture: Option<&mut Vec<u8>>) -> io::Result<u64> {
        let mut total = 0u64;
        loop {
            self.fill(2)?;
            let b0 = self.buf[self.pos];
            let b1 = self.buf[self.pos + 1];
            let masked = b1 & 0x80 != 0;
            let (ext, mut need) = match b1 & 0x7f {
                126 => (2, 4),
                127 => (8, 10),
                _ => (0, 2),
            };
            if masked {
                need += 4;
            }
            self.fill(need)?;
            let h = &self.buf[self.pos..self.pos + need];
            let len = match ext {
                2 => u16::from_be_bytes([h[2], h[3]]) as u64,
                8 => u64::from_be_bytes(h[2..10].try_into().unwrap()),
                _ => (b1 & 0x7f) as u64,
            };
            if masked {
                return Err(bad("server sent a masked frame"));
            }
            self.pos += need;
            let opcode = b0 & 0x0f;
            match opcode {
                0x8 => return Err(bad("server sent close")),
                0x9 | 0xa => {
                    self.skip(len, None)?;
                    continue;
                }
                0x0..=0x2 => {}
                _ => return Err(bad("unexpected opcode")),
            }
            self.skip(len, capture.as_deref_mut())?;
            total += len;
            if b0 & 0x80 != 0 {
                return Ok(total);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// echo

struct Shared {
    /// True while the measured window is open (latency samples are kept then).
    measuring: AtomicBool,
    stop: AtomicBool,
    latencies: Mutex<Vec<u32>>,
    errors: AtomicU64,
}

fn run_echo(o: &Opts) -> io::Result<()> {
    let addr = o.addr()?;
    let conns: usize = o.num("conns", 10);
    let size: usize = o.num("size", 16);
    let inflight: usize = o.num("inflight", 1).max(1);
    let duration: f64 = o.num("duration", 5.0);
    let warmup: f64 = o.num("warmup", 0.5);

    let data = payload(size);
    let frame = Arc::new(client_frame(&data));
    let batch = Arc::new(frame.repeat(inflight));

    // Connect everything first (each connect and handshake bounded by timeouts).
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut streams = Vec::with_capacity(conns);
    for i in 0..conns {
        if Instant::now() > deadline {
            return Err(bad(&format!(
                "connect phase took over 30 s ({i} of {conns} open)"
            )));
        }
        let (s, leftover, _) = connect(addr, false)
            .map_err(|e| io::Error::new(e.kind(), format!("connection {i}: {e}")))?;
        let mut r = FrameReader::new(s, leftover);
        // Check one echo on every connection before timing anything.
        r.s.write_all(&frame)?;
        let mut got = Vec::with_capacity(size);
        let n = r.message(Some(&mut got))?;
        if n as usize != size || got != data {
            return Err(bad(&format!(
                "connection {i}: echo mismatch ({n} bytes back)"
            )));
        }
        streams.push(r);
    }

    let shared = Arc::new(Shared {
        measuring: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        latencies: Mutex::new(Vec::new()),
        errors: AtomicU64::new(0),
    });
    let counters: Vec<Arc<AtomicU64>> = (0..conns).map(|_| Arc::new(AtomicU64::new(0))).collect();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let mut threads_expected = 0;

    for (reader, count) in streams.into_iter().zip(&counters) {
        let count = count.clone();
        let shared = shared.clone();
        if inflight == 1 {
            threads_expected += 1;
            let frame = frame.clone();
            let done = done_tx.clone();
            thread::spawn(move || {
                let r = ping_pong(reader, &frame, size, &count, &shared);
                if let Err(e) = r {
                    if !shared.stop.load(Ordering::Relaxed) {
                        eprintln!("loadgen: connection error: {e}");
                        shared.errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                let _ = done.send(());
            });
        } else {
            threads_expected += 2;
            let mut ws = reader.s.try_clone()?;
            let sent_shared = shared.clone();
            let received = count.clone();
            let batch = batch.clone();
            let fl = frame.len();
            let done_w = done_tx.clone();
            let writer = thread::spawn(move || {
                let mut sent: u64 = 0;
                while !sent_shared.stop.load(Ordering::Relaxed) {
                    let outstanding = sent - received.load(Ordering::Acquire);
                    let allowed = inflight - outstanding as usize;
                    if allowed == 0 {
                        thread::park_timeout(Duration::from_millis(100));
                        continue;
                    }
                    if let Err(e) = ws.write_all(&batch[..allowed * fl]) {
                        if !sent_shared.stop.load(Ordering::Relaxed) {
                            eprintln!("loadgen: write error: {e}");
                            sent_shared.errors.fetch_add(1, Ordering::Relaxed);
                        }
                        break;
                    }
                    sent += allowed as u64;
                }
                let _ = done_w.send(());
            });
            let writer_thread = writer.thread().clone();
            let done_r = done_tx.clone();
            thread::spawn(move || {
                let mut reader = reader;
                let r = (|| -> io::Result<()> {
                    while !shared.stop.load(Ordering::Relaxed) {
                        let n = reader.message(None)?;
                        if n as usize != size {
                            return Err(bad(&format!("echo of {n} bytes, expected {size}")));
                        }
                        count.fetch_add(1, Ordering::Release);
                        writer_thread.unpark();
                    }
                    Ok(())
                })();
                if let Err(e) = r {
                    if !shared.stop.load(Ordering::Relaxed) {
                        eprintln!("loadgen: read error: {e}");
                        shared.errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                writer_thread.unpark();
                let _ = done_r.send(());
            });
        }
    }
    drop(done_tx);

    let total = || {
        counters
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum::<u64>()
    };
    thread::sleep(Duration::from_secs_f64(warmup));
    shared.measuring.store(true, Ordering::Relaxed);
    let (c0, t0) = (total(), Instant::now());
    thread::sleep(Duration::from_secs_f64(duration));
    let (c1, t1) = (total(), Instant::now());
    shared.measuring.store(false, Ordering::Relaxed);
    shared.stop.store(true, Ordering::Relaxed);

    // Wait (bounded) for the threads to hand over their latency samples.
    let wait_until = Instant::now() + IO_TIMEOUT + Duration::from_secs(2);
    let mut finished = 0;
    while finished < threads_expected {
        let left = wait_until.saturating_duration_since(Instant::now());
        match done_rx.recv_timeout(left) {
            Ok(()) => finished += 1,
            Err(_) => break,
        }
    }
    if finished < threads_expected {
        eprintln!(
            "loadgen: {} threads still blocked at exit",
            threads_expected - finished
        );
    }

    let secs = (t1 - t0).as_secs_f64();
    let msgs = c1 - c0;
    let msg_per_s = msgs as f64 / secs;
    let mb_per_s = msgs as f64 * size as f64 / secs / 1e6;
    let mut lat = std::mem::take(&mut *shared.latencies.lock().unwrap());
    lat.sort_unstable();
    let pct = |p: f64| -> f64 {
        if lat.is_empty() {
            return f64::NAN;
        }
        let i = ((lat.len() as f64 * p).ceil() as usize).clamp(1, lat.len()) - 1;
        lat[i] as f64 / 1000.0
    };
    println!(
        "RESULT mode=echo conns={conns} size={size} inflight={inflight} secs={secs:.3} msgs={msgs} \
         msg_per_s={msg_per_s:.0} mb_per_s={mb_per_s:.1} p50_us={:.1} p99_us={:.1} samples={} errors={}",
        pct(0.50),
        pct(0.99),
        lat.len(),
        shared.errors.load(Ordering::Relaxed)
    );
    Ok(())
}

/// One message in flight: write, read the echo, time it.
fn ping_pong(
    mut r: FrameReader,
    frame: &[u8],
    size: usize,
    count: &AtomicU64,
    shared: &Shared,
) -> io::Result<()> {
    let mut lat = Vec::with_capacity(1 << 16);
    let result = (|| -> io::Result<()> {
        while !shared.stop.load(Ordering::Relaxed) {
            let start = Instant::now();
            r.s.write_all(frame)?;
            let n = r.message(None)?;
            let rtt = start.elapsed();
            if n as usize != size {
                return Err(bad(&format!("echo of {n} bytes, expected {size}")));
            }
            count.fetch_add(1, Ordering::Relaxed);
            if shared.measuring.load(Ordering::Relaxed) {
                lat.push(rtt.as_nanos().min(u32::MAX as u128) as u32);
            }
        }
        Ok(())
    })();
    shared.latencies.lock().unwrap().extend_from_slice(&lat);
    result
}

// ---------------------------------------------------------------------------------------
// idle

fn vm_rss_kb(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| bad("no VmRSS in /proc/PID/status"))
}

fn run_idle(o: &Opts) -> io::Result<()> {
    let addr = o.addr()?;
    let conns: usize = o.num("conns", 10_000);
    let settle: f64 = o.num("settle", 2.0);
    let deflate = o.str("deflate").is_some();
    let Some(pid) = o.str("server-pid").and_then(|p| p.parse::<u32>().ok()) else {
        return Err(bad("--server-pid is required"));
    };

    let before = vm_rss_kb(pid)?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut open = Vec::with_capacity(conns);
    let mut agreed = 0usize;
    let mut failure = None;
    for i in 0..conns {
        if Instant::now() > deadline {
            failure = Some(format!("connect phase took over 120 s ({i} open)"));
            break;
        }
        match connect(addr, deflate) {
            Ok((s, _, ext)) => {
                agreed += ext as usize;
                open.push(s);
            }
            Err(e) => {
                failure = Some(format!("connection {i}: {e}"));
                break;
            }
        }
    }
    if let Some(f) = &failure {
        eprintln!("loadgen: {f}");
    }
    if open.is_empty() {
        return Err(bad("no connection opened"));
    }
    thread::sleep(Duration::from_secs_f64(settle));
    let after = vm_rss_kb(pid)?;
    let n = open.len();
    let kb_per_conn = (after as f64 - before as f64) / n as f64;
    println!(
        "RESULT mode=idle conns={n} requested={conns} deflate_offered={deflate} deflate_agreed={agreed} \
         rss_before_kb={before} rss_after_kb={after} kb_per_conn={kb_per_conn:.2} complete={}",
        failure.is_none()
    );
    drop(open);
    Ok(())
}

// ---------------------------------------------------------------------------------------
// broadcast

fn run_broadcast(o: &Opts) -> io::Result<()> {
    let addr = o.addr()?;
    let n: usize = o.num("receivers", 1000).max(1);
    let size: usize = o.num("size", 16);
    let lag: u64 = o.num("lag", 16u64).max(1);
    let duration: f64 = o.num("duration", 5.0);
    let warmup: f64 = o.num("warmup", 0.5);
    let frame = client_frame(&payload(size));

    // Receivers first: connected (handshake only) before anything is sent.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut readers = Vec::with_capacity(n);
    for i in 0..n {
        if Instant::now() > deadline {
            return Err(bad(&format!(
                "connect phase took over 60 s ({i} of {n} open)"
            )));
        }
        let (s, leftover, _) = connect(addr, false)
            .map_err(|e| io::Error::new(e.kind(), format!("receiver {i}: {e}")))?;
        // A receiver waits for the server as long as the sender may be throttled.
        s.set_read_timeout(Some(RECEIVER_TIMEOUT))?;
        readers.push(FrameReader::with_capacity(s, leftover, 16 * 1024));
    }
    let (mut tx, _, _) = connect(addr, false)?;

    let delivered = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let sender_thread = thread::current();
    for (i, mut r) in readers.into_iter().enumerate() {
        let (delivered, stop, errors) = (delivered.clone(), stop.clone(), errors.clone());
        let sender_thread = sender_thread.clone();
        thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let res = (|| -> io::Result<()> {
                    loop {
                        let len = r.message(None)?;
                        if len as usize != size {
                            return Err(bad(&format!("message of {len} bytes, expected {size}")));
                        }
                        // The sender waits for whole rounds: wake it once per round.
                        if (delivered.fetch_add(1, Ordering::Release) + 1) % n as u64 == 0 {
                            sender_thread.unpark();
                        }
                    }
                })();
                if let Err(e) = res {
                    if !stop.load(Ordering::Relaxed) {
                        eprintln!("loadgen: receiver {i}: {e}");
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })?;
    }

    // The probe: every receiver must be registered and reached before timing anything.
    tx.write_all(&frame)?;
    let probe_deadline = Instant::now() + Duration::from_secs(10);
    while delivered.load(Ordering::Acquire) < n as u64 {
        if Instant::now() > probe_deadline || errors.load(Ordering::Relaxed) > 0 {
            return Err(bad(&format!(
                "probe message reached {} of {n} receivers",
                delivered.load(Ordering::Acquire)
            )));
        }
        thread::park_timeout(Duration::from_millis(1));
    }

    // The sender runs on this thread; the clock is read between its writes.
    let batch = frame.repeat(lag as usize);
    let fl = frame.len();
    let mut sent: u64 = 1;
    let mut max_lag: u64 = 0;
    let start = Instant::now();
    let warm = Duration::from_secs_f64(warmup);
    let end = warm + Duration::from_secs_f64(duration);
    let mut window: Option<(u64, u64, Instant)> = None; // (delivered, sent, time) at start
    let (d1, s1, t1) = loop {
        let now = Instant::now();
        let since = now - start;
        if window.is_none() && since >= warm {
            window = Some((delivered.load(Ordering::Acquire), sent, now));
        }
        if since >= end {
            break (delivered.load(Ordering::Acquire), sent, now);
        }
        if errors.load(Ordering::Relaxed) > 0 {
            stop.store(true, Ordering::Relaxed);
            return Err(bad("a receiver failed (see above)"));
        }
        let d = delivered.load(Ordering::Acquire);
        let behind = (sent * n as u64).saturating_sub(d);
        max_lag = max_lag.max(behind);
        // Messages not yet delivered to every receiver, rounded up.
        let outstanding = behind.div_ceil(n as u64);
        let allowed = lag.saturating_sub(outstanding) as usize;
        if allowed == 0 {
            thread::park_timeout(Duration::from_millis(1));
            continue;
        }
        tx.write_all(&batch[..allowed * fl])?;
        sent += allowed as u64;
    };
    stop.store(true, Ordering::Relaxed);
    let (d0, s0, t0) = window.unwrap_or((0, 1, start));
    let secs = (t1 - t0).as_secs_f64();
    let deliveries = d1 - d0;
    let per_s = deliveries as f64 / secs;
    println!(
        "RESULT mode=broadcast receivers={n} size={size} lag={lag} secs={secs:.3} deliveries={deliveries} \
         deliveries_per_s={per_s:.0} sent={} sent_per_s={:.0} mb_per_s={:.1} max_lag={max_lag} lag_at_end={} errors={}",
        s1 - s0,
        (s1 - s0) as f64 / secs,
        per_s * size as f64 / 1e6,
        (s1 * n as u64).saturating_sub(d1),
        errors.load(Ordering::Relaxed)
    );
    drop(tx);
    Ok(())
}
