//! Connection configuration: limits, timeouts, and the random source.

use core::time::Duration;

use crate::rng::BoxRng;

/// Size limits. Every limit is checked before the bytes it guards are buffered.
///
/// The defaults protect a server: 16 MiB frames, 64 MiB messages, 131 072 fragments per
/// message, a 16 KiB / 64-header opening handshake, and 16 MiB queued for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest payload of one frame, in bytes. Larger frames close with 1009.
    pub max_frame_size: usize,
    /// Largest message (sum of its fragments' payloads), in bytes. Larger close with 1009.
    pub max_message_size: usize,
    /// Most fragments (frames, empty ones included) in one message. More close with 1009.
    pub max_fragments: usize,
    /// Largest HTTP head of the opening handshake, in bytes (request line and headers).
    pub max_handshake_size: usize,
    /// Most header lines in the opening handshake.
    pub max_headers: usize,
    /// Cap on what is queued for sending (frames not yet handed to the transport): their
    /// wire bytes plus 64 bytes of bookkeeping per queued frame or segment, so a flood of
    /// empty frames is bounded like one of large frames. A send that would pass it is
    /// refused with [`crate::SendError::Full`] unless the queue is empty, so one message
    /// of any size can always be sent.
    pub max_send_queue: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
            max_fragments: 131_072,
            max_handshake_size: 16 << 10,
            max_headers: 64,
            max_send_queue: 16 << 20,
        }
    }
}

/// Timers. Time is always passed in by the driver; the engine never reads a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// The opening handshake must complete within this time of the connection's creation.
    pub handshake: Option<Duration>,
    /// After sending a Close frame, how long to wait for the peer's Close.
    pub close: Option<Duration>,
    /// Send a ping after this long without receiving anything.
    pub keepalive_interval: Option<Duration>,
    /// Fail the connection if no pong (or any other frame) arrives this long after a
    /// keepalive ping.
    pub keepalive_timeout: Duration,
    /// Fail the connection ([`crate::Error::WriteStalled`], 1006, the transport is
    /// dropped) when bytes wait to be written and the peer has taken none of them for
    /// this long: a peer that stops reading would otherwise hold its send queue (up to
    /// [`Limits::max_send_queue`]) and every task waiting to send, for as long as it
    /// keeps the TCP connection open. On by default (60 s): a live peer, even a slow
    /// one, takes *some* bytes each minute; one that takes none is gone or hostile.
    /// `None` waits forever.
    pub write_stall: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            handshake: Some(Duration::from_secs(10)),
            close: Some(Duration::from_secs(10)),
            keepalive_interval: None,
            keepalive_timeout: Duration::from_secs(20),
            write_stall: Some(Duration::from_secs(60)),
        }
    }
}

/// Streaming receive: data messages delivered piece by piece as they arrive, instead
/// of whole (see [`crate::Connection::poll_stream_event`]).
///
/// A streamed message is reported as [`crate::StreamEvent::MessageStart`], its payload
/// as [`crate::StreamEvent::MessageChunk`]s (zero-copy slices of the receive buffer
/// where possible; text in whole code points, validated as it arrives), and
/// [`crate::StreamEvent::MessageEnd`]. The engine holds at most what one read (or one
/// inflate step) brings while chunks wait, never the message.
///
/// The default is off: every message is delivered whole, as [`crate::Event::Message`].
/// With streaming on, take outputs with [`crate::Connection::poll_stream_event`]:
/// [`crate::Connection::poll_event`] returns `None` while a piece of a streamed message
/// is next (the idiomatic [`crate::session`] takes both; the browser layer,
/// [`crate::browser`], needs it off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Streaming {
    /// Stream every data message from the start (default false). The application can
    /// switch per message with [`crate::Connection::set_stream_messages`].
    pub enabled: bool,
    /// Largest streamed message (the sum of its fragments' payloads; with
    /// permessage-deflate, its inflated size), in bytes; more closes with 1009. It
    /// replaces [`Limits::max_message_size`] for streamed messages. `None` (the
    /// default) is unlimited: memory stays bounded whatever the message's size, so
    /// only the application knows how much it wants. [`Limits::max_frame_size`] and
    /// [`Limits::max_fragments`] still apply.
    pub max_streamed_message_size: Option<usize>,
}

/// Everything a connection needs besides its role and handshake.
pub struct Config {
    /// Size limits.
    pub limits: Limits,
    /// Timers.
    pub timeouts: Timeouts,
    /// Source of mask keys and handshake keys. `None` uses the OS-seeded CSPRNG
    /// (requires the `std` feature; without it a source must be given, and creating a
    /// connection without one panics: a configuration error, never an input one).
    pub rng: Option<BoxRng>,
    /// Reply to pings automatically (default true). Pings are reported either way.
    pub auto_pong: bool,
    /// Report messages that arrive after we sent Close and before the peer's Close
    /// (default true: RFC 6455 lets the peer finish what it was sending, and the
    /// idiomatic APIs deliver it). The browser face turns it off: a browser drops
    /// messages once its socket is CLOSING.
    pub receive_after_close: bool,
    /// Streaming receive (default off: messages are delivered whole); see [`Streaming`].
    pub streaming: Streaming,
    /// permessage-deflate (RFC 7692): offered by clients and accepted by servers by
    /// default; see [`crate::deflate::DeflateConfig`].
    #[cfg(feature = "deflate")]
    pub deflate: crate::deflate::DeflateConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            rng: None,
            auto_pong: true,
            receive_after_close: true,
            streaming: Streaming::default(),
            #[cfg(feature = "deflate")]
            deflate: crate::deflate::DeflateConfig::default(),
        }
    }
}

impl core::fmt::Debug for Config {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Config")
            .field("limits", &self.limits)
            .field("timeouts", &self.timeouts)
            .field("rng", &self.rng.as_ref().map(|_| "custom"))
            .field("auto_pong", &self.auto_pong)
            .field("receive_after_close", &self.receive_after_close)
            .field("streaming", &self.streaming)
            .finish_non_exhaustive()
    }
}
