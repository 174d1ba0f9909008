//! The connection's deadlines, as data. Time is a `Duration` since an epoch the driver
//! chooses (for example the `Instant` at which it created the connection).

use core::time::Duration;

use crate::config::Timeouts;

/// Which timer a deadline belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The opening handshake must finish.
    Handshake,
    /// Our Close frame is out; the peer's must arrive.
    Close,
    /// Nothing received for the keepalive interval: send a ping.
    KeepalivePing,
    /// A keepalive ping is out; something must arrive.
    KeepaliveTimeout,
    /// Closed and shut down; the peer's end of stream must arrive.
    Drain,
    /// Bytes wait to be written: the peer must take some in time.
    WriteStall,
}

const ALL: [Timer; 6] = [
    Timer::Handshake,
    Timer::Close,
    Timer::KeepalivePing,
    Timer::KeepaliveTimeout,
    Timer::Drain,
    Timer::WriteStall,
];

/// A deadline's nanoseconds since the epoch, [`NONE`] when not set (8 bytes where an
/// `Option<Duration>` takes 16: six timers in every connection). A deadline past
/// `u64::MAX - 1` ns (about 584 years) is kept as that.
type Nanos = u64;

/// The value of a timer that is not set.
const NONE: Nanos = Nanos::MAX;

/// `d` as a [`Nanos`] deadline or span (saturating below [`NONE`]).
fn nanos(d: Duration) -> Nanos {
    Nanos::try_from(d.as_nanos()).unwrap_or(NONE).min(NONE - 1)
}

/// `n` as a duration, `None` for [`NONE`].
fn duration(n: Nanos) -> Option<Duration> {
    (n != NONE).then(|| Duration::from_nanos(n))
}

/// The configured [`Timeouts`], as [`Nanos`] (40 bytes in every connection, not 80).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CompactTimeouts {
    handshake: Nanos,
    close: Nanos,
    keepalive_interval: Nanos,
    keepalive_timeout: Nanos,
    write_stall: Nanos,
}

impl From<Timeouts> for CompactTimeouts {
    fn from(t: Timeouts) -> Self {
        let optional = |d: Option<Duration>| d.map_or(NONE, nanos);
        CompactTimeouts {
            handshake: optional(t.handshake),
            close: optional(t.close),
            keepalive_interval: optional(t.keepalive_interval),
            keepalive_timeout: nanos(t.keepalive_timeout),
            write_stall: optional(t.write_stall),
        }
    }
}

impl CompactTimeouts {
    /// [`Timeouts::handshake`].
    pub(crate) fn handshake(&self) -> Option<Duration> {
        duration(self.handshake)
    }

    /// [`Timeouts::close`].
    pub(crate) fn close(&self) -> Option<Duration> {
        duration(self.close)
    }

    /// [`Timeouts::keepalive_interval`].
    pub(crate) fn keepalive_interval(&self) -> Option<Duration> {
        duration(self.keepalive_interval)
    }

    /// [`Timeouts::keepalive_timeout`].
    pub(crate) fn keepalive_timeout(&self) -> Duration {
        Duration::from_nanos(self.keepalive_timeout)
    }

    /// [`Timeouts::write_stall`].
    pub(crate) fn write_stall(&self) -> Option<Duration> {
        duration(self.write_stall)
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Timers {
    deadlines: [Nanos; ALL.len()],
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            deadlines: [NONE; ALL.len()],
        }
    }
}

impl Timers {
    pub(crate) fn set(&mut self, timer: Timer, at: Duration) {
        self.deadlines[timer as usize] = nanos(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer as usize] = NONE;
    }

    pub(crate) fn stop_all(&mut self) {
        self.deadlines = [NONE; ALL.len()];
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Duration> {
        duration(self.deadlines[timer as usize])
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Duration> {
        self.deadlines.iter().min().copied().and_then(duration)
    }

    /// Take every timer whose deadline is at or before `now`, earliest first.
    pub(crate) fn expired(&mut self, now: Duration) -> Option<Timer> {
        let timer = ALL
            .iter()
            .copied()
            .filter(|t| self.get(*t).is_some_and(|d| d <= now))
            .min_by_key(|t| self.get(*t))?;
        self.stop(timer);
        Some(timer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_expires_first() {
        let mut t = Timers::default();
        t.set(Timer::Close, Duration::from_secs(5));
        t.set(Timer::Handshake, Duration::from_secs(3));
        assert_eq!(t.next(), Some(Duration::from_secs(3)));
        assert_eq!(t.expired(Duration::from_secs(2)), None);
        assert_eq!(t.expired(Duration::from_secs(9)), Some(Timer::Handshake));
        assert_eq!(t.expired(Duration::from_secs(9)), Some(Timer::Close));
        assert_eq!(t.expired(Duration::from_secs(9)), None);
        assert_eq!(t.next(), None);
    }
}
