//! The connection's deadlines, as data. Time is a `Duration` since an epoch the driver
//! chooses (for example the `Instant` at which it created the connection).

use core::time::Duration;

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

#[derive(Debug, Default, Clone)]
pub(crate) struct Timers {
    deadlines: [Option<Duration>; ALL.len()],
}

impl Timers {
    pub(crate) fn set(&mut self, timer: Timer, at: Duration) {
        self.deadlines[timer as usize] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer as usize] = None;
    }

    pub(crate) fn stop_all(&mut self) {
        self.deadlines = [None; ALL.len()];
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Duration> {
        self.deadlines[timer as usize]
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Duration> {
        self.deadlines.iter().flatten().min().copied()
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
