//! Pins the async driver's readiness wait after a small read (`core/src/handle/driver.rs`):
//!
//! * a read that returned less than it asked for, and less than 16 KiB, probably drained
//!   the socket, so the driver's next read is preceded by [`Transport::poll_read_ready`];
//! * while that says `Pending`, no read is attempted at all; once the waker it was given
//!   is woken and it says `Ready`, the driver reads and the message reaches the
//!   application;
//! * a read that filled what it asked for, or brought 16 KiB or more, is followed by
//!   another read straight away (no readiness call);
//! * a transport that keeps the default `poll_read_ready` (always `Ready`) still gets
//!   every message through.
//!
//! The connection is a server opened with `from_upgraded` (no HTTP handshake) over a
//! scripted [`Transport`] that logs every call in order, on a minimal [`Runtime`] made of
//! std threads. The application's side is driven by a small `block_on` with a bound on
//! every wait, so a broken driver fails a test instead of hanging it.

use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

use websock_core::dom::WsUrl;
use websock_core::frame::{FrameHeader, OpCode, MAX_HEADER_LEN};
use websock_core::handle::{from_upgraded, Runtime, Timer, Transport, WebSocketStream};
use websock_core::mask::apply_mask;
use websock_core::{BytesMut, Config, Message, Role};

/// The driver's threshold for a "small" read (`SMALL_READ` in driver.rs).
const SMALL_READ: usize = 16 << 10;
/// The bound on every wait for the application's side.
const TIMEOUT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------
// A tiny executor: polls on the current thread, parks between wake-ups.
// ---------------------------------------------------------------------------------------

/// Wakes a parked thread, counting the wake-ups.
struct ThreadWaker {
    thread: Thread,
    wakes: AtomicUsize,
}

impl ThreadWaker {
    fn current() -> Arc<Self> {
        Arc::new(ThreadWaker {
            thread: thread::current(),
            wakes: AtomicUsize::new(0),
        })
    }

    fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        self.thread.unpark();
    }
}

/// Runs `future` on this thread for at most `limit`: `None` if it did not finish.
fn block_on_for<F: Future>(future: F, limit: Duration) -> Option<F::Output> {
    let mut future = pin!(future);
    let waker = Waker::from(ThreadWaker::current());
    let mut cx = Context::from_waker(&waker);
    let deadline = Instant::now() + limit;
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return Some(out);
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        // A wake-up before the park leaves the token: the park returns at once.
        thread::park_timeout(deadline - now);
    }
}

// ---------------------------------------------------------------------------------------
// The mock runtime: tasks on threads, a real-clock timer, no networking.
// ---------------------------------------------------------------------------------------

struct MockRuntime;

impl MockRuntime {
    /// A background task (the driver, once the stream is dropped): a thread of its own,
    /// bounded like everything else here.
    fn run_detached<F: Future<Output = ()> + Send + 'static>(future: F) {
        // Must not panic (`spawn_with` is called from `Drop`): a failed spawn drops it.
        let _ = thread::Builder::new().spawn(move || block_on_for(future, TIMEOUT));
    }
}

impl Runtime for MockRuntime {
    type Timer = MockTimer;
    type Tls = ();
    type Stream = ();
    type Transport = Mock;
    type Tcp = Mock;
    type Spawner = ();

    fn spawn<F: Future<Output = ()> + Send + 'static>(future: F) {
        Self::run_detached(future);
    }

    fn spawner() {}

    fn spawn_with<F: Future<Output = ()> + Send + 'static>(_: &(), future: F) {
        Self::run_detached(future);
    }

    fn now() -> Instant {
        Instant::now()
    }

    fn timer() -> MockTimer {
        MockTimer { armed: None }
    }

    async fn connect_tcp(_host: &str, _port: u16) -> io::Result<Mock> {
        Err(io::ErrorKind::Unsupported.into())
    }

    async fn secure(_tcp: Mock, _url: &WsUrl, _tls: ()) -> io::Result<Mock> {
        Err(io::ErrorKind::Unsupported.into())
    }

    fn supports_tls() -> bool {
        false
    }
}

/// A real-clock timer: each new deadline gets a thread that sleeps until it and then
/// wakes whoever polled last.
struct MockTimer {
    armed: Option<(Instant, Arc<Mutex<Option<Waker>>>)>,
}

impl Timer for MockTimer {
    fn poll_until(&mut self, cx: &mut Context<'_>, at: Instant) -> Poll<()> {
        if Instant::now() >= at {
            self.disarm();
            return Poll::Ready(());
        }
        match &self.armed {
            Some((armed_at, slot)) if *armed_at == at => {
                *slot.lock().expect("timer slot") = Some(cx.waker().clone());
            }
            _ => {
                self.disarm();
                let slot = Arc::new(Mutex::new(Some(cx.waker().clone())));
                let fire = Arc::clone(&slot);
                thread::spawn(move || {
                    thread::sleep(at.saturating_duration_since(Instant::now()));
                    if let Some(waker) = fire.lock().expect("timer slot").take() {
                        waker.wake();
                    }
                });
                self.armed = Some((at, slot));
            }
        }
        Poll::Pending
    }
}

impl MockTimer {
    /// Forgets the armed deadline: its thread wakes nobody.
    fn disarm(&mut self) {
        if let Some((_, slot)) = self.armed.take() {
            slot.lock().expect("timer slot").take();
        }
    }
}

impl Drop for MockTimer {
    fn drop(&mut self) {
        self.disarm();
    }
}

// ---------------------------------------------------------------------------------------
// The scripted transport.
// ---------------------------------------------------------------------------------------

/// One call the driver made on the transport, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    /// `poll_read_ready`, and whether it answered `Ready`.
    ReadReady {
        ready: bool,
    },
    /// `poll_read_buf`: the spare capacity it offered, and the bytes it got (`None`:
    /// `Pending`).
    Read {
        asked: usize,
        got: Option<usize>,
    },
    /// `poll_write_vectored`, and the bytes taken.
    Write(usize),
    Flush,
    Shutdown,
}

impl Call {
    /// Whether this is on the read side (a read or a readiness call).
    fn is_read_side(&self) -> bool {
        matches!(self, Call::ReadReady { .. } | Call::Read { .. })
    }
}

/// What the test controls and sees: the input, the readiness answer, the call log.
struct Script {
    /// Input segments, each handed out by one read (split if the read asks for less).
    input: VecDeque<Vec<u8>>,
    /// What `poll_read_ready` answers.
    ready: bool,
    log: Vec<Call>,
    /// Registered by a read that returned `Pending`; woken when input is fed.
    read_waker: Option<Waker>,
    /// Registered by a `poll_read_ready` that returned `Pending`; woken by `set_ready`.
    ready_waker: Option<Waker>,
}

/// The test's handle on a [`Mock`]'s script.
#[derive(Clone)]
struct Control(Arc<Mutex<Script>>);

impl Control {
    fn new() -> Self {
        Control(Arc::new(Mutex::new(Script {
            input: VecDeque::new(),
            ready: true,
            log: Vec::new(),
            read_waker: None,
            ready_waker: None,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Script> {
        self.0.lock().expect("script lock")
    }

    /// Input arrives as `segments` (one read each, at most), waking a waiting read.
    fn feed<I: IntoIterator<Item = Vec<u8>>>(&self, segments: I) {
        let mut script = self.lock();
        script.input.extend(segments);
        if let Some(waker) = script.read_waker.take() {
            waker.wake();
        }
    }

    /// Sets what `poll_read_ready` answers; `true` wakes the waker it registered.
    fn set_ready(&self, ready: bool) {
        let mut script = self.lock();
        script.ready = ready;
        if ready {
            if let Some(waker) = script.ready_waker.take() {
                waker.wake();
            }
        }
    }

    fn log(&self) -> Vec<Call> {
        self.lock().log.clone()
    }

    /// The read-side calls (reads and readiness calls), in order.
    fn read_side(&self) -> Vec<Call> {
        self.log().into_iter().filter(Call::is_read_side).collect()
    }
}

/// A transport that plays its [`Script`] and logs every call.
struct Mock(Control);

impl Transport for Mock {
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        let mut script = self.0.lock();
        let asked = buf.capacity() - buf.len();
        let Some(segment) = script.input.front_mut() else {
            script.read_waker = Some(cx.waker().clone());
            script.log.push(Call::Read { asked, got: None });
            return Poll::Pending;
        };
        let n = segment.len().min(asked);
        buf.extend_from_slice(&segment[..n]);
        segment.drain(..n);
        if segment.is_empty() {
            script.input.pop_front();
        }
        script.log.push(Call::Read {
            asked,
            got: Some(n),
        });
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        &mut self,
        _cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let n = bufs.iter().map(|b| b.len()).sum();
        self.0.lock().log.push(Call::Write(n));
        Poll::Ready(Ok(n))
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.lock().log.push(Call::Flush);
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.lock().log.push(Call::Shutdown);
        Poll::Ready(Ok(()))
    }

    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut script = self.0.lock();
        let ready = script.ready;
        script.log.push(Call::ReadReady { ready });
        if ready {
            Poll::Ready(Ok(()))
        } else {
            script.ready_waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// The same script, but keeping the trait's default `poll_read_ready` (always `Ready`).
struct DefaultReadiness(Mock);

impl Transport for DefaultReadiness {
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut BytesMut,
    ) -> Poll<io::Result<usize>> {
        self.0.poll_read_buf(cx, buf)
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.0.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_flush(cx)
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_shutdown(cx)
    }
}

// ---------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------

/// An open server connection over `transport` (the upgrade done elsewhere).
fn server<T: Transport>(transport: T) -> WebSocketStream<()> {
    from_upgraded::<MockRuntime, (), T>(transport, Role::Server, None, Config::default())
}

/// A scripted server: the stream and the test's control of its transport.
fn scripted_server() -> (WebSocketStream<()>, Control) {
    let control = Control::new();
    (server(Mock(control.clone())), control)
}

/// A client's (masked) binary frame carrying `payload`.
fn client_frame(payload: &[u8]) -> Vec<u8> {
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let header = FrameHeader {
        fin: true,
        rsv: 0,
        opcode: OpCode::Binary,
        mask: Some(key),
        payload_len: payload.len() as u64,
    };
    let mut head = [0u8; MAX_HEADER_LEN];
    let len = header.encode(&mut head);
    let mut frame = head[..len].to_vec();
    let start = frame.len();
    frame.extend_from_slice(payload);
    apply_mask(&mut frame[start..], key, 0);
    frame
}

/// `len` bytes of a recognisable pattern.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// The next message, within [`TIMEOUT`].
fn recv(stream: &mut WebSocketStream<()>) -> Message {
    block_on_for(stream.recv(), TIMEOUT)
        .expect("recv did not finish in time")
        .expect("the stream ended")
        .expect("recv failed")
}

/// The read-side call after `log[i]`, if any.
fn next_read_side(log: &[Call], i: usize) -> Option<Call> {
    log[i + 1..].iter().copied().find(Call::is_read_side)
}

/// The indexes of the reads that got bytes and match `pred(asked, got)`.
fn reads_where(log: &[Call], pred: impl Fn(usize, usize) -> bool) -> Vec<usize> {
    log.iter()
        .enumerate()
        .filter_map(|(i, call)| match *call {
            Call::Read {
                asked,
                got: Some(n),
            } if n > 0 && pred(asked, n) => Some(i),
            _ => None,
        })
        .collect()
}

/// The read-side calls right after each of the reads at `reads` (those a later
/// read-side call follows), with the read; fails if there is none (a vacuous check).
fn followers(log: &[Call], reads: &[usize], what: &str) -> Vec<(Call, Call)> {
    let pairs: Vec<(Call, Call)> = reads
        .iter()
        .filter_map(|&i| Some((log[i], next_read_side(log, i)?)))
        .collect();
    assert!(
        !pairs.is_empty(),
        "expected {what} followed by another read-side call: {log:?}"
    );
    pairs
}

// ---------------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------------

/// After a read that returned fewer bytes than asked (and under 16 KiB), the driver's
/// next read comes after a `poll_read_ready` call.
#[test]
fn small_read_is_followed_by_readiness_check() {
    let (mut stream, control) = scripted_server();

    control.feed([client_frame(b"first")]);
    assert_eq!(recv(&mut stream), Message::binary(&b"first"[..]));
    control.feed([client_frame(b"second")]);
    assert_eq!(recv(&mut stream), Message::binary(&b"second"[..]));

    let log = control.read_side();
    let small = reads_where(&log, |asked, n| n < asked && n < SMALL_READ);
    for (read, next) in followers(&log, &small, "a small read") {
        assert_eq!(
            next,
            Call::ReadReady { ready: true },
            "the read after the small read {read:?} was not preceded by poll_read_ready: \
             {log:?}"
        );
    }
}

/// While `poll_read_ready` is `Pending`, nothing is read (even with input waiting and
/// the application polling again); once its waker is woken and it is `Ready`, the read
/// happens and the message reaches `recv`.
#[test]
fn pending_readiness_holds_the_read_until_woken() {
    let (mut stream, control) = scripted_server();

    // A small read: the socket is presumed drained.
    control.feed([client_frame(b"first")]);
    assert_eq!(recv(&mut stream), Message::binary(&b"first"[..]));

    control.set_ready(false);
    let mark = control.log().len();
    let app = ThreadWaker::current();
    let waker = Waker::from(Arc::clone(&app));
    let mut cx = Context::from_waker(&waker);
    let mut next = pin!(stream.recv());
    assert!(
        next.as_mut().poll(&mut cx).is_pending(),
        "recv finished with no input"
    );
    assert_eq!(
        control.log()[mark..]
            .iter()
            .copied()
            .find(Call::is_read_side),
        Some(Call::ReadReady { ready: false }),
        "the driver did not ask for readiness first"
    );

    // Input arrives, but the transport still says "not ready": no read, however long
    // we wait and however often the application polls.
    control.feed([client_frame(b"second")]);
    thread::sleep(Duration::from_millis(200));
    assert!(
        next.as_mut().poll(&mut cx).is_pending(),
        "recv got a message while poll_read_ready was Pending: {:?}",
        control.log()
    );
    thread::sleep(Duration::from_millis(50));
    let held = control.log()[mark..].to_vec();
    assert!(
        !held.iter().any(|c| matches!(c, Call::Read { .. })),
        "a read was attempted while poll_read_ready was Pending: {held:?}"
    );

    // Readiness: the waker the driver registered is woken, and the read goes through.
    let woken = app.wakes();
    control.set_ready(true);
    assert!(
        app.wakes() > woken,
        "the driver did not register the application's waker with poll_read_ready"
    );
    let message = block_on_for(next, TIMEOUT)
        .expect("recv did not finish in time after readiness")
        .expect("the stream ended")
        .expect("recv failed");
    assert_eq!(message, Message::binary(&b"second"[..]));

    let after = control.log()[mark..].to_vec();
    let ready_at = after
        .iter()
        .position(|c| *c == Call::ReadReady { ready: true })
        .expect("no Ready answer logged");
    let read = after[ready_at + 1..]
        .iter()
        .copied()
        .find(Call::is_read_side);
    assert!(
        matches!(read, Some(Call::Read { got: Some(n), .. }) if n > 0),
        "no read with data right after readiness: {after:?}"
    );
}

/// A read that filled all it asked for is followed by another read at once, without a
/// `poll_read_ready` call.
#[test]
fn full_read_is_not_followed_by_readiness_check() {
    let (mut stream, control) = scripted_server();
    // One segment larger than the first read's window.
    let payload = pattern(40 << 10);
    control.feed([client_frame(&payload)]);
    assert_eq!(recv(&mut stream), Message::binary(payload));

    let log = control.read_side();
    let full = reads_where(&log, |asked, n| n == asked);
    for (read, next) in followers(&log, &full, "a read that filled its window") {
        assert!(
            matches!(next, Call::Read { .. }),
            "the full read {read:?} was followed by {next:?}: {log:?}"
        );
    }
}

/// A read that brought 16 KiB or more, though less than it asked for, is followed by
/// another read at once, without a `poll_read_ready` call.
#[test]
fn large_read_is_not_followed_by_readiness_check() {
    let (mut stream, control) = scripted_server();
    // A 200 KiB message arriving in 20 KiB segments: once the header is parsed the
    // driver asks for the whole rest, and each read brings one segment.
    let payload = pattern(200 << 10);
    let frame = client_frame(&payload);
    control.feed(frame.chunks(20 << 10).map(<[u8]>::to_vec));
    assert_eq!(recv(&mut stream), Message::binary(payload));

    let log = control.read_side();
    let large = reads_where(&log, |asked, n| n < asked && n >= SMALL_READ);
    for (read, next) in followers(
        &log,
        &large,
        "a read of 16 KiB or more, short of its window",
    ) {
        assert!(
            matches!(next, Call::Read { .. }),
            "the large read {read:?} was followed by {next:?}: {log:?}"
        );
    }
}

/// A transport with the default `poll_read_ready` (always `Ready`) gets every message
/// through: several messages in one go, one split across reads, and one that arrives
/// while the driver waits on a `Pending` read.
#[test]
fn default_readiness_delivers_every_message() {
    let control = Control::new();
    let mut stream = server(DefaultReadiness(Mock(control.clone())));

    // Three messages, one segment each, queued together.
    control.feed((1..=3).map(|i| client_frame(format!("batch {i}").as_bytes())));
    for i in 1..=3 {
        assert_eq!(recv(&mut stream), Message::binary(format!("batch {i}")));
    }

    // One message split over three reads.
    let frame = client_frame(b"split across reads");
    control.feed([
        frame[..1].to_vec(),
        frame[1..6].to_vec(),
        frame[6..].to_vec(),
    ]);
    assert_eq!(
        recv(&mut stream),
        Message::binary(&b"split across reads"[..])
    );

    // Messages that arrive while the driver waits: the read's waker brings them in.
    for i in 1..=3 {
        let feeder = control.clone();
        let late = thread::spawn(move || {
            thread::sleep(Duration::from_millis(30));
            feeder.feed([client_frame(format!("late {i}").as_bytes())]);
        });
        assert_eq!(recv(&mut stream), Message::binary(format!("late {i}")));
        late.join().expect("feeder thread");
    }

    let log = control.log();
    let reads = log
        .iter()
        .filter(|c| matches!(c, Call::Read { got: Some(_), .. }))
        .count();
    // 3 + 3 + 3 segments, at least one read each.
    assert!(reads >= 9, "expected a read per segment: {log:?}");
}
