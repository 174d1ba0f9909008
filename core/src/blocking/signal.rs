//! [`Signal`]: a condition variable that makes no system call when nobody waits.

use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;
use std::sync::{Condvar, LockResult, MutexGuard, WaitTimeoutResult};

/// A [`Condvar`] that counts its waiters, so that [`notify_all`](Signal::notify_all)
/// with nobody waiting costs one atomic load instead of a `futex` call (std's futex
/// `Condvar` wakes unconditionally: on a connection used from one thread that was
/// a system call per message).
///
/// Contract, as for a `Condvar`: a waiter checks its condition and waits under the
/// same mutex the notifier changes the state under. A waiter is counted before the
/// mutex is released inside `wait`, and the notifier reads the count after taking
/// that mutex to change the state, so a waiter that may miss the change is always
/// seen and woken.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    condvar: Condvar,
    waiters: AtomicUsize,
}

impl Signal {
    /// A signal nobody waits on.
    pub(crate) fn new() -> Self {
        Signal::default()
    }

    /// Wakes every waiter, if there is one.
    pub(crate) fn notify_all(&self) {
        if self.waiters.load(Ordering::SeqCst) > 0 {
            self.condvar.notify_all();
        }
    }

    /// [`Condvar::wait`], counted.
    pub(crate) fn wait<'a, T>(&self, guard: MutexGuard<'a, T>) -> LockResult<MutexGuard<'a, T>> {
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let woken = self.condvar.wait(guard);
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        woken
    }

    /// [`Condvar::wait_timeout`], counted.
    pub(crate) fn wait_timeout<'a, T>(
        &self,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> LockResult<(MutexGuard<'a, T>, WaitTimeoutResult)> {
        self.waiters.fetch_add(1, Ordering::SeqCst);
        let woken = self.condvar.wait_timeout(guard, timeout);
        self.waiters.fetch_sub(1, Ordering::SeqCst);
        woken
    }
}

#[cfg(test)]
mod tests {
    use super::Signal;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// A waiter on another thread is woken by a change made under the mutex, every
    /// time (10,000 rounds of hand-offs: a missed wake-up would hang this test until
    /// the 10 s bound of each wait fails it).
    #[test]
    fn a_waiter_is_never_missed() {
        let shared = Arc::new((Mutex::new(0u32), Signal::new()));
        let other = shared.clone();
        let waiter = std::thread::spawn(move || {
            let (value, signal) = &*other;
            for round in 0..10_000u32 {
                let mut v = value.lock().unwrap();
                while *v != 2 * round + 1 {
                    let (g, timeout) = signal.wait_timeout(v, Duration::from_secs(10)).unwrap();
                    assert!(!timeout.timed_out(), "missed wake-up in round {round}");
                    v = g;
                }
                *v += 1;
                signal.notify_all();
            }
        });
        let (value, signal) = &*shared;
        for round in 0..10_000u32 {
            let mut v = value.lock().unwrap();
            *v += 1;
            signal.notify_all();
            while *v != 2 * round + 2 {
                v = signal.wait(v).unwrap();
            }
        }
        waiter.join().unwrap();
    }

    /// Nobody waits: the count is zero and a notify does nothing.
    #[test]
    fn no_waiter_no_count() {
        let signal = Signal::new();
        signal.notify_all();
        assert_eq!(signal.waiters.load(core::sync::atomic::Ordering::SeqCst), 0);
    }
}
