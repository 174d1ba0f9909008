//! Memory accounting (issue 10): a counting global allocator around one engine
//! connection, driven as a correct driver drives it, under hostile peers and slow
//! applications. Each scenario asserts a bound on the peak heap growth over the
//! baseline taken once the connection is set up, and prints what it measured
//! (`cargo test -p websock-core --test memory -- --nocapture`).
//!
//! The tests take turns ([`serial`]): the allocator counts every thread, so only one
//! measures at a time. A `realloc` counts as its old and new blocks together until it
//! returns (a moving realloc holds both), so the peaks are upper bounds.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use common::{client_frame, config, frame};
use websock_core::browser::{BrowserSocket, EventQueue};
use websock_core::dom::{BrowserEvent, Compat};
use websock_core::handshake::accept_key;
use websock_core::{
    Bytes, ClientSettings, Config, Connection, Error, Event, Message, Role, SendError,
};

// ---------------------------------------------------------------------------------------
// The counting allocator.

/// Bytes allocated now, and the most allocated at once since the last [`Meter::start`].
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

struct Counting;

fn grow(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::SeqCst) + n;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

fn shrink(n: usize) {
    CURRENT.fetch_sub(n, Ordering::SeqCst);
}

// SAFETY: every call is forwarded to `System` with the caller's arguments unchanged; the
// wrapper only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` (through this wrapper) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Count the new block before the old one goes: a moving realloc holds both.
        grow(new_size);
        // SAFETY: as for `dealloc`, with the caller's `new_size`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            shrink(new_size);
        } else {
            shrink(layout.size());
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Held by each test for its whole run, so that no other test allocates meanwhile.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Heap growth since a baseline.
struct Meter {
    base: usize,
}

impl Meter {
    /// Take the baseline (the heap now) and restart the peak from it.
    fn start() -> Meter {
        let base = CURRENT.load(Ordering::SeqCst);
        PEAK.store(base, Ordering::SeqCst);
        Meter { base }
    }

    /// The most the heap grew over the baseline.
    fn peak(&self) -> usize {
        PEAK.load(Ordering::SeqCst).saturating_sub(self.base)
    }

    /// How much more the heap holds now than at the baseline.
    fn now(&self) -> usize {
        CURRENT.load(Ordering::SeqCst).saturating_sub(self.base)
    }
}

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

fn mib(n: usize) -> String {
    format!("{:.3} MiB", n as f64 / MIB as f64)
}

// ---------------------------------------------------------------------------------------
// The peer's bytes and a driver.

/// The size of one transport read.
const READ: usize = 64 * KIB;
/// Simulated time per read.
const TICK: Duration = Duration::from_millis(1);

/// What a peer sends: `head`, then `unit` repeated up to `total` bytes in all. Built
/// before the baseline; reads are slices of it (no allocation while measuring).
struct Feed {
    head: Vec<u8>,
    /// `unit` repeated enough times to slice any read of up to [`READ`] bytes from any
    /// offset within one unit.
    period: Vec<u8>,
    unit: usize,
    pos: usize,
    total: usize,
}

impl Feed {
    fn repeating(head: &[u8], unit: &[u8], total: usize) -> Feed {
        let copies = READ / unit.len() + 2;
        Feed {
            head: head.to_vec(),
            period: unit.repeat(copies),
            unit: unit.len(),
            pos: 0,
            total,
        }
    }

    /// Exactly `wire`, once.
    #[cfg(feature = "deflate")]
    fn once(wire: Vec<u8>) -> Feed {
        let total = wire.len();
        Feed {
            head: wire,
            period: Vec::new(),
            unit: 1,
            pos: 0,
            total,
        }
    }

    /// The next read, of at most `max` bytes; `None` once everything was read.
    fn next(&mut self, max: usize) -> Option<&[u8]> {
        if self.pos >= self.total {
            return None;
        }
        let head = self.head.len();
        if self.pos < head {
            let n = max.min(head - self.pos);
            let start = self.pos;
            self.pos += n;
            return Some(&self.head[start..start + n]);
        }
        let n = max.min(self.total - self.pos).min(READ);
        let off = (self.pos - head) % self.unit;
        self.pos += n;
        Some(&self.period[off..off + n])
    }

    /// Bytes read so far.
    fn read(&self) -> usize {
        self.pos
    }
}

/// Where the peer's reading side stands, and what it kept of our bytes.
struct Peer {
    /// Whether the peer reads what we write (otherwise every write would block).
    reads: bool,
    /// The first bytes it read (allocated before the baseline).
    kept: Vec<u8>,
    /// Bytes it read in all.
    received: usize,
}

impl Peer {
    fn reading() -> Peer {
        Peer {
            reads: true,
            kept: Vec::with_capacity(4 * KIB),
            received: 0,
        }
    }

    fn silent() -> Peer {
        Peer {
            reads: false,
            kept: Vec::new(),
            received: 0,
        }
    }
}

/// Write what the connection offers, as far as the peer takes it. A silent peer takes
/// nothing: the write would block, so `advance_transmit` is not called.
fn write(conn: &mut Connection, peer: &mut Peer) {
    while conn.wants_write() {
        let mut slices: [&[u8]; 16] = [&[]; 16];
        let n = conn.poll_transmit(&mut slices);
        if !peer.reads {
            return;
        }
        let mut taken = 0;
        for s in &slices[..n] {
            let room = peer.kept.capacity() - peer.kept.len();
            peer.kept.extend_from_slice(&s[..s.len().min(room)]);
            taken += s.len();
        }
        if taken == 0 {
            return;
        }
        peer.received += taken;
        conn.advance_transmit(taken);
    }
}

/// Why [`drive`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// `wants_read()` went false with everything polled and written as far as the peer
    /// takes it: the driver stopped reading.
    Backpressure,
    /// The peer sent everything it had.
    FeedEnded,
    /// The connection is finished.
    Finished,
}

/// Drive `conn` the way a correct driver does: hand every event to `on_event`, write as
/// far as the peer reads, fire due timers, and read (one [`READ`]-sized read at a time,
/// [`TICK`] apart) only while `wants_read()`.
fn drive(
    conn: &mut Connection,
    now: &mut Duration,
    feed: &mut Feed,
    peer: &mut Peer,
    mut on_event: impl FnMut(Event),
) -> Stop {
    loop {
        while let Some(event) = conn.poll_event() {
            on_event(event);
        }
        write(conn, peer);
        if conn.poll_timeout().is_some_and(|t| t <= *now) {
            conn.handle_timeout(*now);
            continue;
        }
        if conn.is_finished() {
            return Stop::Finished;
        }
        if !conn.wants_read() {
            return Stop::Backpressure;
        }
        *now += TICK;
        match feed.next(READ) {
            Some(bytes) => conn.handle_input(*now, bytes),
            None => return Stop::FeedEnded,
        }
    }
}

/// Let time pass, firing each deadline as it comes, until the connection is finished
/// (at most 16 deadlines); hands every event to `on_event`.
fn run_timers(
    conn: &mut Connection,
    now: &mut Duration,
    peer: &mut Peer,
    mut on_event: impl FnMut(Event),
) {
    for _ in 0..16 {
        while let Some(event) = conn.poll_event() {
            on_event(event);
        }
        write(conn, peer);
        if conn.is_finished() {
            return;
        }
        let Some(t) = conn.poll_timeout() else {
            return;
        };
        *now = (*now).max(t);
        conn.handle_timeout(*now);
    }
}

/// A server connection whose HTTP upgrade was done elsewhere, its Open event consumed.
fn open_server(cfg: Config) -> Connection {
    let mut s = Connection::upgraded(Role::Server, None, cfg, Duration::ZERO);
    assert!(matches!(s.poll_event(), Some(Event::Open(_))));
    s
}

fn with_send_queue(max_send_queue: usize) -> Config {
    let mut cfg = config(7);
    cfg.limits.max_send_queue = max_send_queue;
    cfg
}

/// A `101` answering the request `conn` queued, with `extra` header lines.
fn switching_protocols(conn: &mut Connection, extra: &str) -> Vec<u8> {
    let mut peer = Peer::reading();
    write(conn, &mut peer);
    let request = String::from_utf8_lossy(&peer.kept).into_owned();
    let key = request
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .expect("a key")
        .trim()
        .to_owned();
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
        accept_key(key.as_bytes())
    )
    .into_bytes()
}

fn report(scenario: &str, peak: usize, bound: usize, detail: &str) {
    eprintln!(
        "memory: {scenario}: peak growth {} ({peak} B), bound {}; {detail}",
        mib(peak),
        mib(bound)
    );
}

// ---------------------------------------------------------------------------------------
// The scenarios.

const SEND_QUEUE: usize = MIB;
/// Masked 125-byte pings offered by the flooding peer.
const PING_FLOOD: usize = 50_000_000;

fn ping_125() -> Vec<u8> {
    client_frame(0x9, true, &[0x5A; 125])
}

/// 1. A ping flood while OPEN, from a peer that reads nothing: the pongs fill the send
///    queue up to `max_send_queue`, then only the latest ping is answered (the reading
///    goes on: a full send queue never stops it, see `Connection::wants_read`). Memory
///    stays under `max_send_queue` + 1 MiB; the write-stall timeout ends the connection.
#[test]
fn ping_flood_in_open_is_bounded_by_the_send_queue() {
    let _serial = serial();
    ping_flood_in_open(&ping_125(), "125-byte pings");
}

/// 1b. The same with empty pings: each is answered by a 2-byte pong, so the send queue
///     holds 524,288 pongs before it reaches `max_send_queue`, and what the queue keeps
///     per frame besides its wire bytes is not counted against the limit.
#[test]
fn empty_ping_flood_in_open_is_bounded_by_the_send_queue() {
    let _serial = serial();
    ping_flood_in_open(&client_frame(0x9, true, b""), "empty pings");
}

fn ping_flood_in_open(ping: &[u8], what: &str) {
    let mut s = open_server(with_send_queue(SEND_QUEUE));
    let mut feed = Feed::repeating(&[], ping, PING_FLOOD);
    let mut peer = Peer::silent();
    let mut now = Duration::ZERO;
    let mut pings = 0usize;

    let m = Meter::start();
    let stop = drive(&mut s, &mut now, &mut feed, &mut peer, |e| {
        if matches!(e, Event::Ping(_)) {
            pings += 1;
        }
    });
    let held = m.now();
    let queued = s.send_queue_len();
    let mut errors = Vec::new();
    run_timers(&mut s, &mut now, &mut peer, |e| {
        if let Event::Error(e) = e {
            errors.push(e);
        }
    });
    let peak = m.peak();

    let bound = SEND_QUEUE + MIB;
    report(
        &format!("ping flood ({what}), OPEN, peer reads nothing"),
        peak,
        bound,
        &format!(
            "read {} of {PING_FLOOD} offered, {pings} pings; reading stopped ({stop:?}) \
             with {queued} B queued and {} held; ended by {errors:?} at {now:?}",
            feed.read(),
            mib(held)
        ),
    );
    assert_ne!(
        stop,
        Stop::Backpressure,
        "a full send queue does not stop the reading"
    );
    // The limit counts each queued frame's bookkeeping besides its wire bytes.
    assert!(queued > 0 && queued < SEND_QUEUE + 256, "{queued}");
    assert!(peak < bound, "peak growth {peak} B over {bound} B");
    assert!(s.is_finished());
    assert_eq!(errors, [Error::WriteStalled]);
}

/// 2. The same flood after the application called `close()`: CLOSING keeps reading (to
///    see the peer's Close), no pong is sent any more, and the pings are only events,
///    a bounded batch per input. The close timeout ends the connection.
#[test]
fn ping_flood_in_closing_is_bounded_and_ended_by_the_close_timeout() {
    let _serial = serial();
    let mut s = open_server(with_send_queue(SEND_QUEUE));
    let mut feed = Feed::repeating(&[], &ping_125(), PING_FLOOD);
    let mut peer = Peer::silent();
    let mut now = Duration::ZERO;
    let mut pings = 0usize;
    s.close(now, Some(1000), "bye").unwrap();

    let m = Meter::start();
    let stop = drive(&mut s, &mut now, &mut feed, &mut peer, |e| {
        if matches!(e, Event::Ping(_)) {
            pings += 1;
        }
    });
    let flood_peak = m.peak();
    let flood_end = now;
    let mut errors = Vec::new();
    run_timers(&mut s, &mut now, &mut peer, |e| {
        if let Event::Error(e) = e {
            errors.push(e);
        }
    });
    let peak = m.peak();

    let bound = SEND_QUEUE + MIB;
    report(
        "ping flood, CLOSING, peer reads nothing",
        peak,
        bound,
        &format!(
            "read {} B ({stop:?} at {flood_end:?}), {pings} pings, send queue {} B; \
             ended by {errors:?} at {now:?}",
            feed.read(),
            s.send_queue_len()
        ),
    );
    assert_eq!(stop, Stop::FeedEnded, "CLOSING reads on");
    assert_eq!(pings, PING_FLOOD / ping_125().len());
    assert!(
        flood_peak < bound,
        "peak growth {flood_peak} B over {bound} B"
    );
    assert!(peak < bound, "peak growth {peak} B over {bound} B");
    assert!(s.is_finished());
    assert_eq!(errors, [Error::CloseTimeout]);
    assert_eq!(
        now,
        Duration::from_secs(10),
        "the close timeout (10 s) ends it"
    );
}

/// 3. Unsolicited pongs: nothing is queued for sending, so the connection reads on, and
///    the pongs are events, at most `MAX_EVENTS_PER_INPUT` (32) waiting per input.
#[test]
fn pong_flood_is_bounded() {
    const FLOOD: usize = 20_000_000;
    let _serial = serial();
    let mut s = open_server(with_send_queue(SEND_QUEUE));
    let pong = client_frame(0xA, true, &[0x5A; 125]);
    let mut feed = Feed::repeating(&[], &pong, FLOOD);
    let mut peer = Peer::silent();
    let mut now = Duration::ZERO;
    let mut pongs = 0usize;

    let m = Meter::start();
    let stop = drive(&mut s, &mut now, &mut feed, &mut peer, |e| {
        if matches!(e, Event::Pong(_)) {
            pongs += 1;
        }
    });
    let peak = m.peak();

    let bound = MIB;
    report(
        "pong flood",
        peak,
        bound,
        &format!("read {} B, {pongs} pongs ({stop:?})", feed.read()),
    );
    assert_eq!(stop, Stop::FeedEnded);
    assert_eq!(pongs, FLOOD / pong.len());
    assert_eq!(s.send_queue_len(), 0);
    assert!(peak < bound, "peak growth {peak} B over {bound} B");
}

/// 4. Empty messages to a browser face nobody polls: the driver moves events into the
///    `EventQueue` only while it has room, and stops reading otherwise. The queue
///    refuses at its bound (4096 events / 1 MiB counting 64 B per event), and the heap
///    stays under 2 MiB growth however many empty messages the peer has.
#[test]
fn empty_message_flood_to_an_unpolled_browser_face_is_bounded() {
    const FRAMES: usize = 4_000_000;
    let _serial = serial();
    let start = BrowserSocket::start(
        "ws://example.com/",
        &ClientSettings::<()>::new(),
        Compat::Mdn,
    )
    .unwrap();
    let (socket, mut conn) = (start.socket, start.conn);
    let response = switching_protocols(&mut conn, "");
    conn.handle_input(Duration::ZERO, &response);
    // The server's frames are unmasked: an empty text frame is two bytes.
    let mut feed = Feed::repeating(&[], &frame(0x1, true, None, b""), 2 * FRAMES);
    let mut queue = EventQueue::default();
    let mut now = Duration::ZERO;

    let m = Meter::start();
    let stopped_full = loop {
        if !queue.has_room() {
            break true;
        }
        if let Some(event) = socket.next_event(&mut conn) {
            queue.push(event);
            continue;
        }
        if !conn.wants_read() {
            break false;
        }
        now += TICK;
        match feed.next(READ) {
            Some(bytes) => conn.handle_input(now, bytes),
            None => break false,
        }
    };
    let peak = m.peak();

    let messages = queue.len().saturating_sub(1);
    let bound = 2 * MIB;
    report(
        "empty-message flood, unpolled browser face",
        peak,
        bound,
        &format!(
            "read {} of {} offered; queue holds {} events (cost {} B) and refuses more; \
             engine holds {} B",
            feed.read(),
            2 * FRAMES,
            queue.len(),
            queue.cost(),
            conn.receive_buffered()
        ),
    );
    assert!(stopped_full, "the driver stops at the queue's bound");
    assert_eq!(queue.len(), 4096, "the open event, then 4095 messages");
    assert_eq!(messages, 4095);
    assert!(
        feed.read() <= 2 * 4096 + 2 * READ,
        "read {} bytes",
        feed.read()
    );
    assert!(peak < bound, "peak growth {peak} B over {bound} B");
    let first = queue.pop();
    assert_eq!(first, Some(BrowserEvent::Open));
}

/// What a retained message may cost beyond twice its payload: its frame's header and
/// mask key, and the 40-byte shared header `bytes` puts on each receive buffer a message
/// may have to itself (measured: 22 B per 16-byte message read 64 KiB at a time, 62 B
/// when each arrives in its own read).
const RETAINED_SLACK: usize = 48;

/// 5. 100,000 small messages, each kept by the application: what each one retains must
///    be close to its payload, not a share of a large receive buffer.
#[test]
fn retained_small_messages_cost_about_their_payload() {
    const COUNT: usize = 100_000;
    const PAYLOAD: usize = 16;
    let _serial = serial();
    let mut s = open_server(with_send_queue(SEND_QUEUE));
    let one = client_frame(0x2, true, &[0x42; PAYLOAD]);
    let mut feed = Feed::repeating(&[], &one, COUNT * one.len());
    let mut peer = Peer::reading();
    let mut now = Duration::ZERO;
    // The application's own list, allocated up front: only what the messages hold is
    // measured.
    let mut kept: Vec<Message> = Vec::with_capacity(COUNT);

    let m = Meter::start();
    let stop = drive(&mut s, &mut now, &mut feed, &mut peer, |e| {
        if let Event::Message(msg) = e {
            kept.push(msg);
        }
    });
    let peak = m.peak();
    let retained = m.now();

    let per_message = retained as f64 / COUNT as f64;
    let bound = COUNT * (2 * PAYLOAD + RETAINED_SLACK);
    report(
        "100,000 retained 16-byte messages (64 KiB reads)",
        peak,
        bound,
        &format!(
            "retained {} = {per_message:.1} B per message (wire frame {} B); bound \
             {} B per message",
            mib(retained),
            one.len(),
            2 * PAYLOAD + RETAINED_SLACK
        ),
    );
    assert_eq!(stop, Stop::FeedEnded);
    assert_eq!(kept.len(), COUNT);
    assert!(kept.iter().all(|m| m.len() == PAYLOAD));
    assert!(
        retained <= bound,
        "{per_message:.1} B retained per {PAYLOAD}-byte message"
    );
    drop(kept);
}

/// Receive `count` 16-byte messages arriving one per transport read, through
/// `handle_input` (copied in) or, with `engine_buffer`, through the engine's own
/// buffer (`receive_buffer()` + `handle_received()`, as the runtime adapters read), and
/// keep them all. Returns the bytes retained per message.
fn retain_one_per_read(count: usize, engine_buffer: bool) -> f64 {
    const PAYLOAD: usize = 16;
    let mut s = open_server(with_send_queue(SEND_QUEUE));
    let one = client_frame(0x2, true, &[0x42; PAYLOAD]);
    let mut kept: Vec<Message> = Vec::with_capacity(count);
    let mut now = Duration::ZERO;

    let m = Meter::start();
    for _ in 0..count {
        assert!(s.wants_read());
        now += TICK;
        if engine_buffer {
            s.receive_buffer().extend_from_slice(&one);
            s.handle_received(now);
        } else {
            s.handle_input(now, &one);
        }
        while let Some(e) = s.poll_event() {
            if let Event::Message(msg) = e {
                kept.push(msg);
            }
        }
    }
    let peak = m.peak();
    let retained = m.now();
    assert_eq!(kept.len(), count);

    let per_message = retained as f64 / count as f64;
    let path = if engine_buffer {
        "receive_buffer + handle_received"
    } else {
        "handle_input"
    };
    report(
        &format!("{count} retained 16-byte messages, one per read ({path})"),
        peak,
        count * (2 * PAYLOAD + RETAINED_SLACK),
        &format!(
            "retained {} = {per_message:.1} B per message",
            mib(retained)
        ),
    );
    per_message
}

/// 5b. The same messages arriving one per read, copied in with `handle_input`: each
///     still costs about its wire size.
#[test]
fn retained_small_messages_read_one_per_read_cost_about_their_payload() {
    let _serial = serial();
    let per_message = retain_one_per_read(100_000, false);
    assert!(
        per_message <= (2 * 16 + RETAINED_SLACK) as f64,
        "{per_message:.1} B"
    );
}

/// 5c. One message per read through the engine's receive buffer: `receive_buffer()`
///     reserves 8 KiB of spare room for each read, and each message's payload is split
///     off that buffer, so every retained 16-byte message keeps its 8 KiB chunk alive
///     (issue 10, finding 11, still present in core).
#[test]
fn retained_small_messages_read_into_the_receive_buffer_cost_about_their_payload() {
    let _serial = serial();
    let per_message = retain_one_per_read(2_000, true);
    assert!(
        per_message <= (2 * 16 + RETAINED_SLACK) as f64,
        "{per_message:.1} B"
    );
}

/// 6. The application sends to a peer that reads nothing: `send` is refused with
///    `SendError::Full` once the queue reaches `max_send_queue`, and the heap holds that
///    much and little more, for copied (1000 B) and zero-copy (4 KiB and up) messages.
#[test]
fn sending_to_a_peer_that_never_reads_is_bounded_by_the_send_queue() {
    let _serial = serial();
    for size in [1000, 4096, 64 * KIB] {
        sends_are_bounded_by_the_send_queue(size);
    }
}

/// 6b. The same with small messages: each queued frame also costs a 16-byte mark and,
///     when the driver tries to write between sends, a 32-byte segment handle, none of
///     it counted against `max_send_queue` (which counts wire bytes: 2 per empty
///     message), and both kept in `VecDeque`s that grow by doubling.
#[test]
fn sending_small_messages_to_a_peer_that_never_reads_is_bounded_by_the_send_queue() {
    let _serial = serial();
    for size in [0, 1, 16, 100] {
        sends_are_bounded_by_the_send_queue(size);
    }
}

/// Send `size`-byte messages to a peer that reads nothing, trying to write after each
/// (as a driver does), until `send` is refused; assert the refusal and the bound.
fn sends_are_bounded_by_the_send_queue(size: usize) {
    let mut s = open_server(with_send_queue(SEND_QUEUE));
    let mut peer = Peer::silent();
    let payload = vec![0x33; size];
    let mut sent = 0usize;

    let m = Meter::start();
    let refused = loop {
        match s.send(Message::Binary(Bytes::copy_from_slice(&payload))) {
            Ok(()) => sent += 1,
            Err(e) => break e,
        }
        write(&mut s, &mut peer);
        assert!(sent <= SEND_QUEUE, "never refused");
    };
    let peak = m.peak();

    let bound = SEND_QUEUE + 256 * KIB;
    let queued = s.send_queue_len();
    report(
        &format!("sending {size}-byte messages to a peer that never reads"),
        peak,
        bound,
        &format!("{sent} sent, then {refused:?}; send queue {queued} B"),
    );
    assert_eq!(refused, SendError::Full);
    assert!(queued <= SEND_QUEUE);
    // Refused only once the wire bytes plus the queue's bookkeeping (a segment handle
    // or two and a mark, 64 B each, per frame at most) reach the limit.
    assert!(
        queued + sent * 192 + size + 14 > SEND_QUEUE,
        "refused with room: {queued} B for {sent} messages"
    );
    assert!(peak < bound, "peak growth {peak} B over {bound} B");
}

/// 7. A 20 MB header line: refused (431) once the head passes `max_handshake_size`
///    (16 KiB); the rest is read and discarded.
#[test]
fn a_20_mb_header_is_refused_at_the_handshake_limit() {
    const HEADER: usize = 20_000_000;
    let _serial = serial();
    let mut s = Connection::server(config(7), Duration::ZERO);
    let head = b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Big: ";
    let mut feed = Feed::repeating(head, b"a", head.len() + HEADER);
    let mut peer = Peer::reading();
    let mut now = Duration::ZERO;
    let mut errors = Vec::new();

    let m = Meter::start();
    let stop = drive(&mut s, &mut now, &mut feed, &mut peer, |e| {
        if let Event::Error(e) = e {
            errors.push(e);
        }
    });
    let peak = m.peak();

    let status = String::from_utf8_lossy(&peer.kept[..peer.kept.len().min(12)]).into_owned();
    let bound = MIB;
    report(
        "20 MB header",
        peak,
        bound,
        &format!(
            "answered {status:?}, read {} B ({stop:?}), errors {errors:?}",
            feed.read()
        ),
    );
    assert!(
        status == "HTTP/1.1 431" || status == "HTTP/1.1 400",
        "{status:?}"
    );
    assert!(
        matches!(errors.as_slice(), [Error::Handshake(_)]),
        "{errors:?}"
    );
    assert!(peak < bound, "peak growth {peak} B over {bound} B");
}

/// Raw DEFLATE of `data`, ending with a sync flush (so with the tail 00 00 ff ff).
#[cfg(feature = "deflate")]
fn deflate_sync(data: &[u8]) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let mut c = Compress::new(Compression::best(), false);
    let mut out = Vec::with_capacity(data.len() / 512 + 64 * KIB);
    loop {
        let done = c.total_in() as usize;
        c.compress_vec(&data[done..], &mut out, FlushCompress::Sync)
            .unwrap();
        if c.total_in() as usize == data.len() && out.ends_with(&[0, 0, 0xff, 0xff]) {
            return out;
        }
        assert!(out.len() < out.capacity(), "output buffer too small");
    }
}

/// 8. A deflate bomb: a compressed message that would inflate to 1 GiB of zeros, with
///    `max_message_size` 1 MiB. The connection closes with 1009 and never holds more
///    than the limit's worth of output.
#[cfg(feature = "deflate")]
#[test]
fn a_deflate_bomb_closes_1009_with_bounded_memory() {
    use websock_core::deflate::DeflateConfig;
    use websock_core::handshake::ClientRequest;
    use websock_core::ProtocolError;

    const INFLATED: usize = 1 << 30;
    const BLOCK: usize = MIB;
    const FRAGMENT: usize = 64 * KIB;
    let _serial = serial();

    // 1 MiB of zeros, compressed and sync-flushed (byte aligned, not final): a piece
    // that can be repeated, as it refers to nothing before it. 1024 copies inflate to
    // 1 GiB.
    let piece = deflate_sync(&vec![0u8; BLOCK]);
    let mut compressed = piece.repeat(INFLATED / BLOCK);
    // permessage-deflate leaves the final sync flush's tail off (RFC 7692 §7.2.1).
    compressed.truncate(compressed.len() - 4);
    let mut wire = Vec::with_capacity(compressed.len() + 1024);
    let fragments: Vec<&[u8]> = compressed.chunks(FRAGMENT).collect();
    for (i, f) in fragments.iter().enumerate() {
        let opcode = if i == 0 { 0x2 } else { 0x0 };
        let mut fr = frame(opcode, i + 1 == fragments.len(), None, f);
        if i == 0 {
            fr[0] |= 0x40; // RSV1: compressed
        }
        wire.extend_from_slice(&fr);
    }
    let wire_len = wire.len();

    let mut cfg = Config {
        deflate: DeflateConfig::default(),
        ..config(1)
    };
    cfg.limits.max_message_size = MIB;
    let before_connection = CURRENT.load(Ordering::SeqCst);
    let mut c =
        Connection::client(ClientRequest::new("example.com", "/"), cfg, Duration::ZERO).unwrap();
    let response = switching_protocols(&mut c, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
    c.handle_input(Duration::ZERO, &response);
    assert!(matches!(c.poll_event(), Some(Event::Open(_))));
    assert_eq!(c.extensions(), "permessage-deflate");
    let connection_cost = CURRENT.load(Ordering::SeqCst) - before_connection;
    // A first small compressed message creates the inflater's zlib context (kept:
    // context takeover), measured apart from the bomb.
    let mut hello = deflate_sync(b"hello");
    hello.truncate(hello.len() - 4);
    let mut hello = frame(0x1, true, None, &hello);
    hello[0] |= 0x40;
    let zlib = Meter::start();
    c.handle_input(Duration::ZERO, &hello);
    assert!(matches!(c.poll_event(), Some(Event::Message(m)) if m.as_bytes() == b"hello"));
    let zlib_state = zlib.now();
    let zlib_peak = zlib.peak();
    let mut feed = Feed::once(wire);
    let mut peer = Peer::reading();
    let mut now = Duration::ZERO;
    let mut errors = Vec::new();

    let m = Meter::start();
    let stop = drive(&mut c, &mut now, &mut feed, &mut peer, |e| {
        if let Event::Error(e) = e {
            errors.push(e);
        }
    });
    let peak = m.peak();

    let sent = common::decode_frames(&peer.kept);
    let close = common::close_code(&sent);
    let bound = 4 * MIB;
    report(
        "deflate bomb (1 GiB of zeros), max_message_size 1 MiB",
        peak,
        bound,
        &format!(
            "wire {} B in {} fragments, read {} B ({stop:?}), sent close {close:?}; \
             before the baseline, the open connection held {} and its inflater's zlib \
             context {} (peak {} while inflating \"hello\")",
            wire_len,
            fragments.len(),
            feed.read(),
            mib(connection_cost),
            mib(zlib_state),
            mib(zlib_peak)
        ),
    );
    assert_eq!(
        errors,
        [Error::Protocol(ProtocolError::MessageTooLarge)],
        "{errors:?}"
    );
    assert_eq!(close, Some(1009));
    assert!(peak < bound, "peak growth {peak} B over {bound} B");
}

/// 7. A connection that went idle after traffic (small and large messages echoed, read
///    through the engine's own buffer as the runtimes read) holds at most 576 B in all,
///    its state plus what it allocated, once its driver reports that a read would block
///    ([`Connection::release_idle_memory`]): its send queue's buffers are freed with
///    their box, and what only a busy or a client connection needs is boxed. Before that
///    call it still holds its buffers.
#[test]
fn an_idle_connection_holds_at_most_576_bytes() {
    const BOUND: usize = 576;
    let _serial = serial();
    let mut peer = Peer::reading();
    let mut now = Duration::ZERO;
    let frames: Vec<Vec<u8>> = [16, 1000, 100_000]
        .iter()
        .map(|&size| client_frame(0x2, true, &vec![7; size]))
        .collect();

    // Lazily made process-wide state (the `tracing` feature's callsite registry) is
    // not the connection's: a first connection made and dropped outside the meter.
    drop(open_server(config(7)));
    let m = Meter::start();
    let mut s = open_server(config(7));
    for wire in frames.iter().flat_map(|f| std::iter::repeat_n(f, 10)) {
        s.receive_buffer().extend_from_slice(wire);
        now += Duration::from_millis(1);
        s.handle_received(now);
        while let Some(event) = s.poll_event() {
            if let Event::Message(message) = event {
                s.send(message).expect("room to echo");
            }
        }
        write(&mut s, &mut peer);
    }
    let busy = m.now();
    s.release_idle_memory();
    // What the connection holds is what dropping it frees: measured around the drop
    // alone, so that another test's thread starting meanwhile (the harness allocates
    // for it before it waits for `serial`) is not counted.
    let held = CURRENT.load(Ordering::SeqCst);
    drop(s);
    let idle =
        held.saturating_sub(CURRENT.load(Ordering::SeqCst)) + std::mem::size_of::<Connection>();
    eprintln!(
        "memory: idle connection after 30 echoes: {idle} B (state {} B + heap {} B); \
         {} B before release_idle_memory; bound {BOUND} B",
        std::mem::size_of::<Connection>(),
        idle - std::mem::size_of::<Connection>(),
        busy + std::mem::size_of::<Connection>(),
    );
    assert_eq!(
        peer.received,
        frames.iter().map(|f| 10 * (f.len() - 4)).sum::<usize>()
    );
    assert!(
        busy > 4 * KIB,
        "the busy connection held its buffers: {busy} B"
    );
    assert!(
        idle <= BOUND,
        "an idle connection holds {idle} B, over {BOUND} B"
    );
}

/// 8. A peer announces a 16 MiB frame (within the limits) and sends 100 bytes of it:
///    the engine reserves room for the rest of a known frame ahead of its bytes, but at
///    most 1 MiB, so each such connection costs at most that much beyond what it sent.
#[test]
fn an_announced_large_frame_reserves_at_most_one_mib_ahead() {
    const BOUND: usize = MIB + 64 * KIB;
    let _serial = serial();
    let mut cfg = config(7);
    cfg.limits.max_frame_size = 32 * MIB;
    cfg.limits.max_message_size = 32 * MIB;
    let header = {
        // FIN + binary, masked, 64-bit length 16 MiB, mask key.
        let mut h = vec![0x82, 0x80 | 127];
        h.extend_from_slice(&(16u64 << 20).to_be_bytes());
        h.extend_from_slice(&[1, 2, 3, 4]);
        h
    };
    drop(open_server(config(7)));
    let m = Meter::start();
    let mut s = open_server(cfg);
    let mut now = Duration::ZERO;
    s.receive_buffer().extend_from_slice(&header);
    s.receive_buffer().extend_from_slice(&[0u8; 100]);
    now += Duration::from_millis(1);
    s.handle_received(now);
    // The driver asks for room for its next read.
    let room = {
        let buf = s.receive_buffer();
        buf.capacity() - buf.len()
    };
    let held = m.now();
    eprintln!(
        "memory: 16 MiB frame announced, 100 B sent: {held} B held, {room} B of room for \
         the next read; bound {BOUND} B"
    );
    assert!(
        room >= MIB - 100,
        "room for the rest of the frame: {room} B"
    );
    assert!(held <= BOUND, "{held} B held for a frame that sent 100 B");
    assert!(s.poll_event().is_none());
}
