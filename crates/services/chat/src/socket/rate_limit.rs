//! A token bucket: `per_sec` events a second sustained, `burst` at once.

use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(per_sec: u32, burst: u32, now: Instant) -> Self {
        let capacity = f64::from(burst.max(1));
        Self {
            capacity,
            per_sec: f64::from(per_sec.max(1)),
            tokens: capacity,
            last: now,
        }
    }

    /// Takes one token, or tells how long until one is back.
    pub fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        Err(Duration::from_secs_f64((1.0 - self.tokens) / self.per_sec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_applies() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, 20, start);
        for _ in 0..20 {
            assert!(bucket.try_take(start).is_ok());
        }
        let wait = bucket.try_take(start).expect_err("empty");
        assert!(wait <= Duration::from_millis(100), "{wait:?}");
        // A tenth of a second later, one more.
        let later = start + Duration::from_millis(100);
        assert!(bucket.try_take(later).is_ok());
        assert!(bucket.try_take(later).is_err());
    }

    #[test]
    fn a_long_pause_refills_only_up_to_the_burst() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(10, 3, start);
        let much_later = start + Duration::from_secs(3_600);
        for _ in 0..3 {
            assert!(bucket.try_take(much_later).is_ok());
        }
        assert!(bucket.try_take(much_later).is_err());
    }
}
