//! The connection state machine: one WebSocket connection, client or server, with no I/O.
//!
//! See [`Connection`] for the driver loop.

mod commands;
mod compression;
mod decision;
mod driving;
#[cfg(feature = "std")]
mod io;
mod receive;
mod report;
mod send_queue;
mod stream;
mod timers;

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use bytes::{Bytes, BytesMut};
use core::time::Duration;

use crate::config::{Config, Limits};
use crate::dom::ReadyState;
use crate::error::Error;
use crate::event::{CloseEvent, Event, Open, StreamEvent};
use crate::frame::OpCode;
use crate::handshake::{Agreement, ClientRequest, HeadReader, Request};
use crate::message::{MessageKind, Reassembly};
use crate::rng::BoxRng;
use crate::trace::{trace_event, Initiator};

pub use commands::SendError;
pub use decision::Decision;
pub use driving::TrySendError;
use receive::InFrame;
use send_queue::SendQueue;
use stream::StreamState;
use timers::{CompactTimeouts, Timer, Timers};

pub use crate::role::Role;

/// Where the connection is in its life.
#[derive(Debug)]
enum Phase {
    /// Client: the request is queued; reading the response (boxed whole: the phase is
    /// two words in every connection's state).
    ClientHandshake(Box<ClientHandshake>),
    /// Server: reading the request.
    ServerHandshake { head: Box<HeadReader> },
    /// Server: the request was reported; waiting for `accept` or `reject`.
    ServerDecision { request: Box<Request> },
    /// Exchanging frames (OPEN or CLOSING).
    Frames,
    /// Closed; input is read and discarded until the peer's end of stream.
    Draining,
}

/// A client's handshake in progress: what validating the server's response needs.
#[derive(Debug)]
struct ClientHandshake {
    /// The request sent (its offers check the response).
    request: ClientRequest,
    /// The `Sec-WebSocket-Key` sent.
    key: String,
    /// Reads the response's head.
    head: HeadReader,
}

/// What a connection reports by name (boxed in [`Connection`]: a server connection
/// without a subprotocol or extensions, the common case, carries one word for them).
#[derive(Debug, Default)]
struct Names {
    /// The subprotocol the server selected.
    protocol: Option<String>,
    /// The negotiated extensions, as header text.
    extensions: String,
    /// The URL given with [`Connection::with_url`].
    url: String,
}

/// Bytes kept in an idle receive buffer; a larger one is released when it empties.
const RECV_IDLE_KEEP: usize = 64 << 10;
/// How much spare room [`Connection::receive_buffer`] guarantees.
const RECV_CHUNK: usize = 8 << 10;
/// The most [`Connection::receive_buffer`] reserves ahead for the rest of a frame whose
/// length is known: what a peer that announces a large frame and sends nothing can make
/// a connection reserve beyond the bytes it sent (capacity not yet written, which the
/// kernel backs only as it is filled).
const RECV_AHEAD_MAX: usize = 1 << 20;
/// The receive buffer grows (by [`RECV_CHUNK`]) only when less than this is left: reads
/// fill one block before the next is allocated, so small messages that the application
/// keeps share their blocks instead of pinning one each.
const RECV_MIN_SPARE: usize = 2 << 10;
/// Most bytes read and discarded after the connection closed, once our last bytes are
/// written (enough for the peer to see our answer before we hang up, not a way for it
/// to keep us reading).
const MAX_DRAIN: usize = 64 << 10;

/// One WebSocket connection (RFC 6455), client or server, as a pure state machine.
///
/// The connection never performs I/O and never reads a clock. A driver feeds it bytes
/// and time, and carries out what it asks for. Time is a [`Duration`] since any epoch
/// the driver picks (for example the `Instant` at which it created the connection);
/// it must not go backwards.
///
/// Its methods come in four groups:
///
/// * **inputs**: [`handle_input`](Self::handle_input) (or
///   [`receive_buffer`](Self::receive_buffer) + [`handle_received`](Self::handle_received)
///   to read straight into the engine's buffer; [`read_from`](Self::read_from) for a
///   `std::io::Read`; [`take_receive_buffer`](Self::take_receive_buffer) +
///   [`handle_received_owned`](Self::handle_received_owned) for completion-based I/O),
///   [`handle_eof`](Self::handle_eof), [`handle_transport_error`](Self::handle_transport_error),
///   [`handle_timeout`](Self::handle_timeout),
///   [`release_idle_memory`](Self::release_idle_memory) (a read waits: free the empty
///   buffers, so an idle connection holds under 1 KiB);
/// * **commands**: [`send`](Self::send), [`send_with`](Self::send_with),
///   [`try_send`](Self::try_send) (hands a refused message back),
///   [`send_fragment`](Self::send_fragment), [`ping`](Self::ping), [`pong`](Self::pong),
///   [`close`](Self::close), [`decide`](Self::decide) ([`accept`](Self::accept) /
///   [`reject`](Self::reject)), [`abort`](Self::abort),
///   [`set_stream_messages`](Self::set_stream_messages) (stream the next messages or
///   take them whole);
/// * **outputs**: [`poll_event`](Self::poll_event) (or
///   [`poll_stream_event`](Self::poll_stream_event) with streaming receive: messages as
///   start, chunks and end), [`wants_read`](Self::wants_read),
///   [`wants_write`](Self::wants_write), [`poll_transmit`](Self::poll_transmit) with
///   [`advance_transmit`](Self::advance_transmit) (or [`with_transmit`](Self::with_transmit)
///   for one vectored write, [`write_to`](Self::write_to), or
///   [`poll_transmit_owned`](Self::poll_transmit_owned)), [`transmit_len`](Self::transmit_len),
///   [`poll_timeout`](Self::poll_timeout), [`should_shutdown`](Self::should_shutdown),
///   [`is_finished`](Self::is_finished);
/// * **getters**: [`ready_state`](Self::ready_state),
///   [`buffered_amount`](Self::buffered_amount), [`protocol`](Self::protocol),
///   [`extensions`](Self::extensions), [`url`](Self::url),
///   [`send_queue_len`](Self::send_queue_len), [`receive_buffered`](Self::receive_buffered),
///   [`stream_messages`](Self::stream_messages),
///   [`is_streaming_message`](Self::is_streaming_message).
///
/// With the `tracing` feature the connection emits its own events under a `websocket`
/// span (see the [crate documentation](crate#features)); a driver adds what only it
/// knows with [`set_peer_addr`](Self::set_peer_addr) and
/// [`trace_transport_error`](Self::trace_transport_error) (both always available, no-ops
/// without the feature).
///
/// The driver loop, its rules for non-blocking I/O and a complete driver over mio are
/// in the [crate documentation](crate#the-driver-loop).
pub struct Connection {
    role: Role,
    phase: Phase,
    state: ReadyState,
    limits: Limits,
    timeouts: CompactTimeouts,
    auto_pong: bool,
    receive_after_close: bool,
    /// The random source for mask and handshake keys; drawn lazily (a server never
    /// masks, so it never needs one).
    /// (Boxed twice: a word in every connection's state, and a server never has one.)
    rng: Option<Box<BoxRng>>,
    now: Duration,
    timers: Timers,
    /// Events and pieces of streamed messages, in order.
    events: VecDeque<StreamEvent>,

    recv: BytesMut,
    frame: Option<InFrame>,
    message: Option<Reassembly>,
    /// The message in `message` is streamed: its delivery state.
    streamed: Option<StreamState>,
    /// Whether the next data message is streamed (see [`Connection::set_stream_messages`]).
    stream_messages: bool,
    /// [`crate::Streaming::max_streamed_message_size`].
    /// (`usize::MAX` for none: no message is larger).
    max_streamed_message_size: usize,

    send: SendQueue,
    pending_pong: Option<Bytes>,
    sending_fragmented: Option<MessageKind>,
    discarded_after_close: usize,
    /// Bytes read and discarded since the connection closed (saturating: only compared
    /// with [`MAX_DRAIN`]).
    drained: u32,
    /// The last keepalive ping's number (sent as 8 bytes, big-endian; wraps).
    keepalive_seq: u32,
    /// Processing stopped after a message with complete input left behind; it resumes
    /// when the events are taken.
    input_held: bool,
    /// The write-stall timer runs from a time the driver gave (see
    /// [`Connection::watch_write_stall`]); until then it is a probe due at once.
    write_stall_timed: bool,
    /// The transport holds bytes it took but has not written (see
    /// [`Connection::set_transport_backlog`]).
    transport_backlog: bool,

    close_sent: bool,
    shutdown_requested: bool,
    eof: bool,
    finished: bool,

    /// The URL, subprotocol and extensions, once any is set.
    names: Option<Box<Names>>,

    /// Whether the message being sent in fragments goes compressed.
    sending_compressed: bool,
    #[cfg(feature = "deflate")]
    deflate_config: crate::deflate::DeflateConfig,
    /// permessage-deflate state, once agreed (boxed: a connection without it, or not
    /// yet open, does not carry its size).
    #[cfg(feature = "deflate")]
    deflate: Option<Box<crate::deflate::PerMessageDeflate>>,

    /// The connection's `websocket` span: the explicit parent of every event it emits.
    #[cfg(feature = "tracing")]
    span: tracing::Span,
    /// Who started the end of the connection, once known (for the close event).
    #[cfg(feature = "tracing")]
    initiator: Option<Initiator>,
}

impl core::fmt::Debug for Connection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("phase", &self.phase)
            .field("buffered_amount", &self.buffered_amount())
            .field("transmit_len", &self.send.len())
            .finish_non_exhaustive()
    }
}

// Construction.
impl Connection {
    fn new(role: Role, phase: Phase, state: ReadyState, mut config: Config, now: Duration) -> Self {
        let rng = config.rng.take().map(Box::new);
        let mut conn = Connection {
            role,
            phase,
            state,
            limits: config.limits,
            timeouts: config.timeouts.into(),
            auto_pong: config.auto_pong,
            receive_after_close: config.receive_after_close,
            rng,
            now,
            timers: Timers::default(),
            events: VecDeque::new(),
            recv: BytesMut::new(),
            frame: None,
            message: None,
            streamed: None,
            stream_messages: config.streaming.enabled,
            max_streamed_message_size: config
                .streaming
                .max_streamed_message_size
                .unwrap_or(usize::MAX),
            send: SendQueue::default(),
            pending_pong: None,
            sending_fragmented: None,
            discarded_after_close: 0,
            drained: 0,
            keepalive_seq: 0,
            input_held: false,
            write_stall_timed: false,
            transport_backlog: false,
            close_sent: false,
            shutdown_requested: false,
            eof: false,
            finished: false,
            names: None,
            sending_compressed: false,
            #[cfg(feature = "deflate")]
            deflate_config: config.deflate,
            #[cfg(feature = "deflate")]
            deflate: None,
            #[cfg(feature = "tracing")]
            span: crate::trace::connection_span(role),
            #[cfg(feature = "tracing")]
            initiator: None,
        };
        if state == ReadyState::Connecting {
            if let Some(d) = conn.timeouts.handshake() {
                conn.timers.set(Timer::Handshake, now.saturating_add(d));
            }
        }
        conn
    }

    /// A client connection: queues the opening request (with a fresh random
    /// `Sec-WebSocket-Key`) and waits for the response. readyState is CONNECTING.
    ///
    /// Fails with [`crate::ApiError::Syntax`] if an extra header would corrupt the request.
    pub fn client(
        mut request: ClientRequest,
        config: Config,
        now: Duration,
    ) -> Result<Connection, crate::ApiError> {
        let head = HeadReader::new(config.limits.max_handshake_size, config.limits.max_headers);
        let mut conn = Self::new(
            Role::Client,
            Phase::Frames,
            ReadyState::Connecting,
            config,
            now,
        );
        conn.offer_deflate(&mut request);
        let key = crate::handshake::generate_key(conn.rng());
        let mut out = alloc::vec::Vec::new();
        request.encode(&key, &mut out)?;
        conn.send.push_raw(Bytes::from(out));
        conn.phase = Phase::ClientHandshake(Box::new(ClientHandshake { request, key, head }));
        Ok(conn)
    }

    /// A server connection waiting for the opening request. readyState is CONNECTING.
    /// A valid request is reported as [`Event::Request`]; an invalid one is answered
    /// with the right HTTP error status and the connection fails.
    ///
    /// Bytes the client sends while the application decides are kept for after
    /// [`accept`](Self::accept), up to one frame's worth (`max_frame_size` + 14); more
    /// fails the handshake with [`crate::HandshakeError::TooLarge`] (answered 431).
    pub fn server(config: Config, now: Duration) -> Connection {
        let head = HeadReader::new(config.limits.max_handshake_size, config.limits.max_headers);
        Self::new(
            Role::Server,
            Phase::ServerHandshake {
                head: Box::new(head),
            },
            ReadyState::Connecting,
            config,
            now,
        )
    }

    /// A connection whose HTTP upgrade was done elsewhere (for example by hyper):
    /// it starts OPEN, with `protocol` as the agreed subprotocol and no extension. An
    /// [`Event::Open`] is reported first. See [`upgraded_with`](Self::upgraded_with) to
    /// start with permessage-deflate.
    pub fn upgraded(
        role: Role,
        protocol: Option<String>,
        config: Config,
        now: Duration,
    ) -> Connection {
        Self::upgraded_with(role, Agreement::new(protocol), config, now)
    }

    /// A connection whose HTTP upgrade was done elsewhere, started with exactly what
    /// that handshake agreed: the subprotocol, and permessage-deflate with the agreed
    /// parameters (whatever `config.deflate` says about negotiating; its level and
    /// minimum message size apply). [`extensions`](Self::extensions) reports the
    /// agreement's text. It starts OPEN; an [`Event::Open`] is reported first.
    pub fn upgraded_with(
        role: Role,
        mut agreement: Agreement,
        config: Config,
        now: Duration,
    ) -> Connection {
        let mut conn = Self::new(role, Phase::Frames, ReadyState::Connecting, config, now);
        let protocol = agreement.take_protocol();
        conn.start_agreed(agreement);
        conn.open(protocol, None);
        conn
    }

    /// Set the URL reported by [`url`](Self::url) (the browser's `url` attribute).
    /// With the `tracing` feature it is also recorded as the connection span's `url`.
    pub fn with_url(mut self, url: impl Into<String>) -> Self {
        self.set_name(url.into(), |n| &mut n.url);
        #[cfg(feature = "tracing")]
        self.span.record("url", self.url());
        self
    }

    /// Records the peer's socket address on the connection's `websocket` span (its
    /// `peer` field), for the `tracing` feature's events. Drivers call it once the
    /// transport is up (the runtime crates' drivers do); calling it again overwrites it.
    ///
    /// Always available; without the `tracing` feature it does nothing (the engine
    /// keeps no address: ask the transport for it).
    #[inline]
    pub fn set_peer_addr(&mut self, addr: core::net::SocketAddr) {
        #[cfg(feature = "tracing")]
        self.span.record("peer", tracing::field::display(addr));
        #[cfg(not(feature = "tracing"))]
        let _ = addr;
    }
}

// Outputs.
impl Connection {
    /// The next event for the application, if any. Processes input held back after a
    /// message (see [`handle_input`](Self::handle_input)) once the queue is empty.
    ///
    /// With streaming receive ([`crate::Streaming`],
    /// [`set_stream_messages`](Self::set_stream_messages)) use
    /// [`poll_stream_event`](Self::poll_stream_event) instead: while the next output is
    /// a piece of a streamed message, this returns `None` and leaves it queued.
    pub fn poll_event(&mut self) -> Option<Event> {
        if self.events.is_empty() && self.has_unprocessed_input() {
            self.process();
        }
        match self.events.front() {
            Some(StreamEvent::Event(_)) => match self.events.pop_front() {
                Some(StreamEvent::Event(e)) => Some(e),
                _ => None,
            },
            _ => None,
        }
    }

    /// The next output for an application that streams messages: an
    /// [`Event`](StreamEvent::Event) (whole messages included), or the start, a chunk
    /// or the end of a streamed message, in the order of the wire. Processes held-back
    /// input once the queue is empty, as [`poll_event`](Self::poll_event) does.
    ///
    /// Backpressure: while outputs wait, [`wants_read`](Self::wants_read) is false,
    /// and the engine processes input only as they are taken: at most one read's worth
    /// of a streamed message (or one inflate step, at most 32 KiB) waits at a time, so
    /// memory follows the receive buffer, never the message.
    pub fn poll_stream_event(&mut self) -> Option<StreamEvent> {
        if self.events.is_empty() && self.has_unprocessed_input() {
            self.process();
        }
        self.events.pop_front()
    }

    /// Fill `out` with the byte slices to write next, in order, and return how many
    /// were filled. Write them with one vectored write, then report the number of bytes
    /// written with [`advance_transmit`](Self::advance_transmit).
    pub fn poll_transmit<'a>(&'a mut self, out: &mut [&'a [u8]]) -> usize {
        self.prepare_transmit();
        self.send.slices(out)
    }

    /// Bytes waiting to be written.
    pub fn transmit_len(&self) -> usize {
        self.send.len() + self.pending_pong.as_ref().map_or(0, |p| p.len() + 14)
    }

    /// The transport accepted `n` bytes from the front of what
    /// [`poll_transmit`](Self::poll_transmit) offered.
    pub fn advance_transmit(&mut self, n: usize) {
        self.send.advance(n);
        if n > 0 {
            // Progress: the stall timer starts over (from the next time the driver
            // gives), or stops when nothing is left.
            self.timers.stop(Timer::WriteStall);
            self.watch_write_stall();
        }
        self.update_shutdown();
    }

    /// Tells the engine whether the transport still holds bytes it took from
    /// [`poll_transmit`](Self::poll_transmit) but has not written yet (a TLS layer's
    /// records, a flush that did not complete). While it does, the write-stall timer
    /// runs as if those bytes were still queued here, so a peer that stops reading is
    /// cut off at [`Timeouts::write_stall`](crate::Timeouts::write_stall) even once this
    /// engine's own queue is empty. Going back to `false` (the flush completed) counts
    /// as write progress. Drivers whose transport writes straight to the socket never
    /// need it.
    pub fn set_transport_backlog(&mut self, held: bool) {
        if held == self.transport_backlog {
            return;
        }
        self.transport_backlog = held;
        if !held {
            self.timers.stop(Timer::WriteStall);
        }
        self.watch_write_stall();
    }

    /// Whether bytes wait to be written, here or in the transport.
    fn has_unwritten(&self) -> bool {
        self.transmit_len() > 0 || self.transport_backlog
    }

    /// The next deadline; call [`handle_timeout`](Self::handle_timeout) when it passes.
    pub fn poll_timeout(&self) -> Option<Duration> {
        if self.finished {
            None
        } else {
            self.timers.next()
        }
    }

    /// The connection is closed and everything has been written: shut the transport's
    /// write side down (TCP FIN, TLS close_notify), keep reading until end of stream.
    pub fn should_shutdown(&self) -> bool {
        self.shutdown_requested
    }

    /// The connection is over: drop the transport and stop driving.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

// Getters.
impl Connection {
    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The browser's `readyState`.
    pub fn ready_state(&self) -> ReadyState {
        self.state
    }

    /// The browser's `bufferedAmount`: payload bytes accepted by `send` and not yet
    /// handed to the transport, plus every byte sent after the connection started closing
    /// (it does not reset once the connection closes). Framing is not counted.
    pub fn buffered_amount(&self) -> usize {
        self.send.pending_payload() + self.discarded_after_close
    }

    /// The subprotocol the server selected (`None` before open or when none).
    pub fn protocol(&self) -> Option<&str> {
        self.names.as_ref().and_then(|n| n.protocol.as_deref())
    }

    /// The negotiated extensions, as header text (empty when none).
    pub fn extensions(&self) -> &str {
        self.names.as_ref().map_or("", |n| &n.extensions)
    }

    /// The URL given with [`with_url`](Self::with_url) (empty if none).
    pub fn url(&self) -> &str {
        self.names.as_ref().map_or("", |n| &n.url)
    }

    /// Wire bytes queued for sending (the backpressure measure; compare with
    /// [`Limits::max_send_queue`]).
    pub fn send_queue_len(&self) -> usize {
        self.send.len()
    }

    /// Received bytes the engine holds: the unprocessed part of the receive buffer plus
    /// the fragments of an unfinished message (for memory checks and metrics; compare
    /// with [`Limits::max_frame_size`] and [`Limits::max_message_size`]). For a streamed
    /// message, only what is not yet delivered: a partial frame header or the part of a
    /// read not yet taken, an unfinished code point, a compressed frame's input not yet
    /// inflated and an inflate step's output (chunks handed out are not counted).
    pub fn receive_buffered(&self) -> usize {
        self.recv.len()
            + self.message.as_ref().map_or(0, |m| m.data.len())
            + self.streamed.as_ref().map_or(0, StreamState::held)
    }

    /// Whether the send queue is under [`Limits::max_send_queue`]: while it is not, the
    /// peer is not taking what we send, so sends are refused (`SendError::Full`) and no
    /// more pongs (but the latest) or keepalive pings are queued. Reading goes on (see
    /// [`wants_read`](Self::wants_read)).
    pub fn has_send_room(&self) -> bool {
        self.send.cost() < self.limits.max_send_queue
    }

    /// Whether `len` more bytes fit the send queue (an empty queue takes anything: one
    /// message may go past the limit).
    fn fits_send_queue(&self, len: usize) -> bool {
        let queued = self.send.cost();
        queued == 0 || queued.saturating_add(len) <= self.limits.max_send_queue
    }

    /// The configured limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

// Transitions shared by the receive path, the commands and the timers.
impl Connection {
    /// Sets one of the [`Names`] (`field` picks it); nothing is allocated to record
    /// an empty one while none is set.
    fn set_name(&mut self, value: String, field: fn(&mut Names) -> &mut String) {
        if !value.is_empty() || self.names.is_some() {
            *field(self.names.get_or_insert_with(Box::default)) = value;
        }
    }

    /// Records the agreed extensions' text.
    fn set_extensions(&mut self, extensions: String) {
        self.set_name(extensions, |n| &mut n.extensions);
    }

    /// Queue an event for the application.
    fn push_event(&mut self, event: Event) {
        self.events.push_back(StreamEvent::Event(event));
    }

    fn open(&mut self, protocol: Option<String>, response: Option<crate::handshake::Response>) {
        self.phase = Phase::Frames;
        self.state = ReadyState::Open;
        self.timers.stop(Timer::Handshake);
        trace_event!(
            self,
            DEBUG,
            protocol = protocol.as_deref(),
            extensions = self.extensions(),
            "handshake succeeded"
        );
        if protocol.is_some() {
            self.names.get_or_insert_with(Box::default).protocol = protocol.clone();
        }
        self.push_event(Event::Open(Open {
            protocol,
            extensions: String::from(self.extensions()),
            response,
        }));
        self.arm_keepalive();
    }

    /// Before offering bytes to write: queue the pending pong, and start watching for
    /// a stalled peer.
    fn prepare_transmit(&mut self) {
        self.flush_pong();
        self.watch_write_stall();
    }

    /// While bytes wait to be written, the write-stall timer runs. Commands and writes
    /// carry no time, so it is first set as a probe due at once (at the last time the
    /// driver gave); the driver's [`handle_timeout`](Self::handle_timeout) then sets
    /// the real deadline from its fresh `now` (see [`Connection::write_stalled`]).
    fn watch_write_stall(&mut self) {
        if self.timeouts.write_stall().is_none()
            || self.finished
            || self.timers.get(Timer::WriteStall).is_some()
            || !self.has_unwritten()
        {
            return;
        }
        self.write_stall_timed = false;
        self.timers.set(Timer::WriteStall, self.now);
    }

    /// The write-stall timer expired: with nothing left to write it stops; a probe
    /// becomes the real deadline; a real deadline with bytes still waiting (no write
    /// progress since, or [`advance_transmit`](Self::advance_transmit) would have
    /// restarted it) fails the connection.
    fn write_stalled(&mut self) {
        let Some(stall) = self.timeouts.write_stall() else {
            return;
        };
        if !self.has_unwritten() {
            return;
        }
        if !self.write_stall_timed {
            self.write_stall_timed = true;
            self.timers
                .set(Timer::WriteStall, self.now.saturating_add(stall));
            return;
        }
        self.fail(Error::WriteStalled, None);
        self.abandon();
    }

    /// Make room for the next read (see [`RECV_MIN_SPARE`]); for a frame whose length is
    /// known (and that is held whole, not streamed), room for the rest of it, up to
    /// [`RECV_AHEAD_MAX`], so its payload is read into one block instead of a block grown
    /// (and copied) a chunk at a time.
    fn reserve_receive(&mut self) {
        let spare = self.recv.capacity() - self.recv.len();
        let ahead = match &self.frame {
            Some(frame) if !frame.streamed => frame
                .len
                .saturating_sub(self.recv.len())
                .min(RECV_AHEAD_MAX),
            _ => 0,
        };
        if spare < RECV_MIN_SPARE || spare < ahead {
            self.recv.reserve(ahead.max(RECV_CHUNK));
        }
    }

    fn arm_keepalive(&mut self) {
        if let Some(interval) = self.timeouts.keepalive_interval() {
            if self.state == ReadyState::Open {
                self.timers
                    .set(Timer::KeepalivePing, self.now.saturating_add(interval));
            }
        }
    }

    fn mask_key(&mut self) -> Option<[u8; 4]> {
        match self.role {
            Role::Client => {
                let mut key = [0u8; 4];
                self.rng().fill_bytes(&mut key);
                Some(key)
            }
            Role::Server => None,
        }
    }

    /// The random source, created on first use (client role only).
    fn rng(&mut self) -> &mut dyn crate::rng::Rng {
        &mut ***self.rng.get_or_insert_with(|| Box::new(default_rng()))
    }

    /// Counts `n` more bytes read and discarded toward the drain budget.
    fn add_drained(&mut self, n: usize) {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        self.drained = self.drained.saturating_add(n);
    }

    /// Queue our Close frame (once).
    fn queue_close(&mut self, code: Option<u16>, reason: &str) {
        if self.close_sent {
            return;
        }
        self.close_sent = true;
        self.pending_pong = None;
        let mut body = alloc::vec::Vec::with_capacity(2 + reason.len());
        crate::close::encode_close_body(code, reason, &mut body);
        let mask = self.mask_key();
        self.send
            .push_frame(OpCode::Close, true, mask, Bytes::from(body), false);
    }

    /// The connection is CLOSED: report it, stop the timers, and start draining.
    fn closed(&mut self, code: u16, reason: String, was_clean: bool) {
        if self.state == ReadyState::Closed {
            return;
        }
        self.state = ReadyState::Closed;
        self.phase = Phase::Draining;
        self.frame = None;
        self.message = None;
        self.streamed = None;
        self.pending_pong = None;
        // What is left unread counts toward the drain budget, as it would had it arrived
        // a moment later (the budget must not depend on how the input was split).
        self.add_drained(self.recv.len());
        self.recv = BytesMut::new();
        self.timers.stop_all();
        self.trace_closed(code, &reason, was_clean);
        self.push_event(Event::Close(CloseEvent {
            code,
            reason,
            was_clean,
        }));
        if self.eof {
            self.send.clear();
            self.finished = true;
        } else if let Some(d) = self.timeouts.close() {
            self.timers.set(Timer::Drain, self.now.saturating_add(d));
        }
        self.update_shutdown();
    }

    /// Fail the connection: report `error`, send a Close frame with `close` if one is
    /// given and none was sent, and close (1006, not clean).
    fn fail(&mut self, error: Error, close: Option<(u16, &str)>) {
        if self.state == ReadyState::Closed {
            return;
        }
        self.note_initiator(match error {
            Error::ConnectionLost | Error::TransportFailed => Initiator::Transport,
            Error::Handshake(crate::HandshakeError::UnexpectedEof) => Initiator::Transport,
            _ => Initiator::Local,
        });
        self.trace_failure(&error);
        if let Some((code, reason)) = close {
            if self.state != ReadyState::Connecting {
                self.queue_close(Some(code), reason);
            }
        }
        self.push_event(Event::Error(error));
        self.closed(crate::close::ABNORMAL, String::new(), false);
    }

    /// The browser face's send buffer is full: fail the connection without a closing
    /// handshake.
    pub(crate) fn overflow(&mut self) {
        self.fail(Error::SendQueueFull, None);
        self.abandon();
    }

    /// Drop the transport at once: nothing more will be written.
    fn abandon(&mut self) {
        self.send.clear();
        self.pending_pong = None;
        self.finished = true;
        self.timers.stop_all();
    }

    fn update_shutdown(&mut self) {
        if self.state == ReadyState::Closed && !self.finished && self.send.is_empty() {
            self.shutdown_requested = true;
            // End of stream, or a peer that goes on sending into a closed connection
            // (after a rejected handshake, say): once what we owed it is written,
            // draining stops after MAX_DRAIN bytes rather than at the close timeout.
            if self.eof || self.drained as usize > MAX_DRAIN {
                self.finished = true;
                self.timers.stop_all();
            }
        }
    }

    pub(super) fn flush_pong(&mut self) {
        if self.pending_pong.is_none() || !self.has_send_room() {
            return;
        }
        if let Some(payload) = self.pending_pong.take() {
            let mask = self.mask_key();
            self.send
                .push_frame(OpCode::Pong, true, mask, payload, false);
        }
    }
}

#[cfg(feature = "std")]
fn default_rng() -> BoxRng {
    crate::rng::default_rng()
}

#[cfg(not(feature = "std"))]
fn default_rng() -> BoxRng {
    panic!("websock-core without `std` has no default random source: set Config::rng")
}
