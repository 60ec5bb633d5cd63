//! One instance's circuit breaker, a pure state machine (time is passed in).
//!
//! Closed: traffic flows; `failures` consecutive failures open it. Open: no
//! traffic until the cool-down ends. Then one probe, a request or a health
//! check, is let through (half-open): success closes the breaker, failure
//! opens it again for twice as long, up to [`MAX_COOLDOWN`].

use std::time::{Duration, Instant};

/// The longest an instance waits for its next probe.
pub(crate) const MAX_COOLDOWN: Duration = Duration::from_secs(30);

/// How one attempt on an instance went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success,
    /// Broken connection, timeout, or a 502/503/504 from the instance.
    Failure,
    /// Nothing listens there (or a health check failed): no need to count.
    Down,
}

/// A change worth a log line and a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// Was closed, now open: the instance is ejected.
    Opened,
    /// A probe failed: open again for this long.
    Reopened(Duration),
    /// A probe passed: the instance is back.
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// The one probe is out.
    HalfOpen,
}

#[derive(Debug)]
pub(crate) struct Breaker {
    threshold: u32,
    base_cooldown: Duration,
    /// The current cool-down: doubles while probes fail.
    cooldown: Duration,
    state: State,
}

impl Breaker {
    pub(crate) fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            base_cooldown: cooldown,
            cooldown,
            state: State::Closed { failures: 0 },
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed { .. })
    }

    /// Takes the probe if the cool-down is over and nobody holds it.
    pub(crate) fn try_probe(&mut self, now: Instant) -> bool {
        match self.state {
            State::Open { until } if now >= until => {
                self.state = State::HalfOpen;
                true
            }
            _ => false,
        }
    }

    /// The probe ended without a verdict (e.g. the client went away): the
    /// next request or check may probe at once.
    pub(crate) fn abandon(&mut self, now: Instant) {
        if self.state == State::HalfOpen {
            self.state = State::Open { until: now };
        }
    }

    /// Records an attempt's outcome. An answer arriving while open comes
    /// from before the ejection and proves nothing either way.
    pub(crate) fn record(&mut self, outcome: Outcome, now: Instant) -> Option<Change> {
        match (self.state, outcome) {
            (State::Closed { .. }, Outcome::Success) => {
                self.state = State::Closed { failures: 0 };
                None
            }
            (State::Closed { failures }, Outcome::Failure) if failures + 1 < self.threshold => {
                self.state = State::Closed {
                    failures: failures + 1,
                };
                None
            }
            (State::Closed { .. }, _) => {
                self.state = State::Open {
                    until: now + self.cooldown,
                };
                Some(Change::Opened)
            }
            (State::HalfOpen, Outcome::Success) => {
                self.cooldown = self.base_cooldown;
                self.state = State::Closed { failures: 0 };
                Some(Change::Closed)
            }
            (State::HalfOpen, _) => {
                self.cooldown = (self.cooldown * 2).min(MAX_COOLDOWN.max(self.base_cooldown));
                self.state = State::Open {
                    until: now + self.cooldown,
                };
                Some(Change::Reopened(self.cooldown))
            }
            (State::Open { .. }, _) => None,
        }
    }

    /// Records a health check: a failing one ejects at once; a passing one
    /// closes the breaker only as its probe (while closed, `/health` may
    /// pass while real requests fail, so it does not reset the count).
    pub(crate) fn checked(&mut self, healthy: bool, now: Instant) -> Option<Change> {
        match (healthy, self.state) {
            (false, _) => self.record(Outcome::Down, now),
            (true, State::HalfOpen) => self.record(Outcome::Success, now),
            (true, _) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COOLDOWN: Duration = Duration::from_secs(1);

    fn seconds(start: Instant, secs: u64) -> Instant {
        start + Duration::from_secs(secs)
    }

    #[test]
    fn consecutive_failures_open_it_and_a_success_resets_the_count() {
        let now = Instant::now();
        let mut breaker = Breaker::new(3, COOLDOWN);
        assert_eq!(breaker.record(Outcome::Failure, now), None);
        assert_eq!(breaker.record(Outcome::Failure, now), None);
        assert_eq!(breaker.record(Outcome::Success, now), None);
        assert_eq!(breaker.record(Outcome::Failure, now), None);
        assert_eq!(breaker.record(Outcome::Failure, now), None);
        assert!(breaker.is_closed());
        assert_eq!(breaker.record(Outcome::Failure, now), Some(Change::Opened));
        assert!(!breaker.is_closed());
        assert_eq!(breaker.record(Outcome::Failure, now), None, "already open");
    }

    #[test]
    fn a_refused_connection_opens_it_at_once() {
        let now = Instant::now();
        let mut breaker = Breaker::new(5, COOLDOWN);
        assert_eq!(breaker.record(Outcome::Down, now), Some(Change::Opened));
    }

    #[test]
    fn one_probe_after_the_cool_down_and_its_success_closes_it() {
        let start = Instant::now();
        let mut breaker = Breaker::new(1, COOLDOWN);
        breaker.record(Outcome::Failure, start);
        assert!(!breaker.try_probe(start + Duration::from_millis(999)));
        assert!(breaker.try_probe(seconds(start, 1)));
        assert!(!breaker.try_probe(seconds(start, 1)), "one probe at a time");
        assert!(!breaker.is_closed());
        assert_eq!(
            breaker.record(Outcome::Success, seconds(start, 1)),
            Some(Change::Closed)
        );
        assert!(breaker.is_closed());
    }

    #[test]
    fn failed_probes_double_the_cool_down_up_to_the_most() {
        let start = Instant::now();
        let mut breaker = Breaker::new(1, COOLDOWN);
        breaker.record(Outcome::Failure, start);
        let mut now = seconds(start, 1);
        let mut waits = Vec::new();
        for _ in 0..7 {
            assert!(breaker.try_probe(now));
            let Some(Change::Reopened(wait)) = breaker.record(Outcome::Failure, now) else {
                panic!("a failed probe reopens");
            };
            assert!(!breaker.try_probe(now + wait - Duration::from_millis(1)));
            waits.push(wait.as_secs());
            now += wait;
        }
        assert_eq!(waits, [2, 4, 8, 16, 30, 30, 30]);
        assert!(breaker.try_probe(now));
        assert_eq!(breaker.record(Outcome::Success, now), Some(Change::Closed));
        // Closed again, the next ejection starts over from the base cool-down.
        breaker.record(Outcome::Failure, now);
        assert!(breaker.try_probe(now + COOLDOWN));
    }

    #[test]
    fn an_abandoned_probe_lets_the_next_one_through() {
        let start = Instant::now();
        let mut breaker = Breaker::new(1, COOLDOWN);
        breaker.record(Outcome::Failure, start);
        assert!(breaker.try_probe(seconds(start, 1)));
        breaker.abandon(seconds(start, 2));
        assert!(breaker.try_probe(seconds(start, 2)));
    }

    #[test]
    fn health_checks_eject_at_once_and_close_only_as_the_probe() {
        let start = Instant::now();
        let mut breaker = Breaker::new(5, COOLDOWN);
        breaker.record(Outcome::Failure, start);
        assert_eq!(breaker.checked(true, start), None);
        assert_eq!(breaker.checked(false, start), Some(Change::Opened));
        assert_eq!(
            breaker.checked(true, start),
            None,
            "not before the cool-down"
        );
        assert!(!breaker.is_closed());
        assert!(breaker.try_probe(seconds(start, 1)));
        assert_eq!(
            breaker.checked(true, seconds(start, 1)),
            Some(Change::Closed)
        );
        // The count of failures starts over.
        for _ in 0..4 {
            assert_eq!(breaker.record(Outcome::Failure, start), None);
        }
    }
}
