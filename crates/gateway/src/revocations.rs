//! What the gateway does when the revocation list (in the cache, Redis in
//! distributed mode) cannot be read.
//!
//! Failing closed at once would turn a cache outage into a full outage of
//! every signed-in request. Failing open forever would let a signed-out
//! token back in. So: for `grace` after the last successful read, a token is
//! let through unless this gateway has itself seen its session revoked;
//! past that, every signed-in request is refused (503) until the cache
//! answers again. The exposure is bounded: a session revoked while the
//! cache is unreachable keeps working for at most `grace` (and, on this
//! gateway, not at all once it had seen the revocation).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chorus_core::Id;

/// Revoked sessions remembered, at most; the oldest go first.
const MOST_REMEMBERED: usize = 10_000;

pub(crate) struct OutageGrace {
    grace: Duration,
    /// Microseconds from `epoch` to the last successful read, plus one (0:
    /// never): an atomic, as every signed-in request writes it.
    last_read: AtomicU64,
    epoch: Instant,
    /// Sessions seen revoked, and when.
    revoked: Mutex<HashMap<Id, Instant>>,
}

/// What to do with a token whose session could not be checked.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Allow,
    Revoked,
    Unavailable,
}

impl OutageGrace {
    pub(crate) fn new(grace: Duration) -> Self {
        Self {
            grace,
            last_read: AtomicU64::new(0),
            epoch: Instant::now(),
            revoked: Mutex::new(HashMap::new()),
        }
    }

    /// The cache answered about `session`.
    pub(crate) fn read(&self, session: Id, revoked: bool, now: Instant) {
        let micros = now.saturating_duration_since(self.epoch).as_micros();
        let stamp = u64::try_from(micros).unwrap_or(u64::MAX - 1) + 1;
        self.last_read.fetch_max(stamp, Ordering::Relaxed);
        if revoked {
            let mut seen = self.revoked.lock().expect("revoked");
            if seen.len() >= MOST_REMEMBERED
                && let Some(oldest) = seen.iter().min_by_key(|(_, at)| **at).map(|(id, _)| *id)
            {
                seen.remove(&oldest);
            }
            seen.insert(session, now);
        }
    }

    /// The cache failed while checking `session`.
    pub(crate) fn unreadable(&self, session: Id, now: Instant) -> Verdict {
        if self.revoked.lock().expect("revoked").contains_key(&session) {
            return Verdict::Revoked;
        }
        match self.last_read.load(Ordering::Relaxed) {
            0 => Verdict::Unavailable,
            stamp => {
                let at = self.epoch + Duration::from_micros(stamp - 1);
                if now.saturating_duration_since(at) < self.grace {
                    Verdict::Allow
                } else {
                    Verdict::Unavailable
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_bridged_only_for_the_grace_and_never_for_a_known_revocation() {
        let grace = OutageGrace::new(Duration::from_secs(60));
        let start = Instant::now();
        assert_eq!(
            grace.unreadable(Id(1), start),
            Verdict::Unavailable,
            "nothing read yet: closed"
        );
        grace.read(Id(1), false, start);
        grace.read(Id(2), true, start);
        let later = start + Duration::from_secs(30);
        assert_eq!(grace.unreadable(Id(1), later), Verdict::Allow);
        assert_eq!(grace.unreadable(Id(3), later), Verdict::Allow);
        assert_eq!(grace.unreadable(Id(2), later), Verdict::Revoked);
        let too_late = start + Duration::from_secs(61);
        assert_eq!(grace.unreadable(Id(1), too_late), Verdict::Unavailable);
        assert_eq!(grace.unreadable(Id(2), too_late), Verdict::Revoked);
    }

    #[test]
    fn a_zero_grace_fails_closed() {
        let grace = OutageGrace::new(Duration::ZERO);
        let now = Instant::now();
        grace.read(Id(1), false, now);
        assert_eq!(grace.unreadable(Id(1), now), Verdict::Unavailable);
    }
}
