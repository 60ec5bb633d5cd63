//! When a failed attempt may go to another instance, and how many may.
//!
//! A refused connection never delivered the request, so any request may go
//! again, its body too if it was never read ([`Reclaimable`]). A broken
//! connection or a timeout may have delivered it: only an idempotent,
//! body-less request goes again (bodies stream and are not kept).
//!
//! Each upstream has a [`RetryBudget`] so that a failing cluster is not
//! flooded: retries may be at most a share of the requests of the last
//! [`WINDOW_SECS`] seconds, though a few a second are always allowed.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes, HttpBody};
use http::Method;
use hyper::body::{Frame, SizeHint};

/// The span of the budget's sliding window, in one-second buckets.
pub(crate) const WINDOW_SECS: u64 = 10;

/// May a request go to another instance after this attempt?
pub(crate) fn may_retry(method: &Method, bodiless: bool, delivered_maybe: bool) -> bool {
    let idempotent = matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE
    );
    !delivered_maybe || (idempotent && bodiless)
}

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    /// Seconds since the budget's start.
    second: u64,
    requests: u64,
    retries: u64,
}

/// Retries allowed per upstream: a pure counter, time passed in.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    percent: u64,
    min_per_sec: u64,
    start: Instant,
    buckets: [Bucket; WINDOW_SECS as usize],
}

impl RetryBudget {
    pub(crate) fn new(percent: u32, min_per_sec: u32, start: Instant) -> Self {
        Self {
            percent: percent.into(),
            min_per_sec: min_per_sec.into(),
            start,
            buckets: [Bucket::default(); WINDOW_SECS as usize],
        }
    }

    /// The bucket of `now`, emptied if it last counted an older second.
    fn bucket(&mut self, now: Instant) -> &mut Bucket {
        let second = now.saturating_duration_since(self.start).as_secs();
        let bucket = &mut self.buckets[(second % WINDOW_SECS) as usize];
        if bucket.second != second {
            *bucket = Bucket {
                second,
                ..Bucket::default()
            };
        }
        bucket
    }

    /// Counts a request from a client.
    pub(crate) fn request(&mut self, now: Instant) {
        self.bucket(now).requests += 1;
    }

    /// Takes a retry from the budget, if there is one left.
    pub(crate) fn try_retry(&mut self, now: Instant) -> bool {
        let Bucket {
            second: current,
            retries: this_second,
            ..
        } = *self.bucket(now);
        let (requests, retries) = self
            .buckets
            .iter()
            .filter(|bucket| bucket.second + WINDOW_SECS > current)
            .fold((0, 0), |(requests, retries), bucket| {
                (requests + bucket.requests, retries + bucket.retries)
            });
        let allowed =
            this_second < self.min_per_sec || (retries + 1) * 100 <= requests * self.percent;
        if allowed {
            self.bucket(now).retries += 1;
        }
        allowed
    }
}

/// A budget shared by the requests of one upstream.
#[derive(Clone)]
pub(crate) struct SharedBudget(Arc<Mutex<RetryBudget>>);

impl SharedBudget {
    pub(crate) fn new(percent: u32, min_per_sec: u32) -> Self {
        Self(Arc::new(Mutex::new(RetryBudget::new(
            percent,
            min_per_sec,
            Instant::now(),
        ))))
    }

    fn with<T>(&self, use_it: impl FnOnce(&mut RetryBudget) -> T) -> T {
        use_it(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn request(&self) {
        self.with(|budget| budget.request(Instant::now()));
    }

    pub(crate) fn try_retry(&self) -> bool {
        self.with(|budget| budget.try_retry(Instant::now()))
    }
}

/// A request body that can be taken back until the client first reads it,
/// which is what lets a request whose connection was refused go elsewhere.
pub(crate) struct Reclaimable {
    slot: Arc<Mutex<Option<Body>>>,
    taken: Option<Body>,
    /// The body's, so the client frames the request as it would have.
    hint: SizeHint,
}

/// Where a [`Reclaimable`] body waits until it is first read.
pub(crate) struct Reclaim(Arc<Mutex<Option<Body>>>);

impl Reclaimable {
    pub(crate) fn new(body: Body) -> (Self, Reclaim) {
        let hint = body.size_hint();
        let slot = Arc::new(Mutex::new(Some(body)));
        let reclaim = Reclaim(Arc::clone(&slot));
        (
            Self {
                slot,
                taken: None,
                hint,
            },
            reclaim,
        )
    }
}

impl Reclaim {
    /// The body, if it was never read.
    pub(crate) fn take(self) -> Option<Body> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

impl HttpBody for Reclaimable {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if self.taken.is_none() {
            let body = self
                .slot
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            self.taken = body;
        }
        match self.taken.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.taken {
            Some(body) => body.is_end_stream(),
            None => self.hint.exact() == Some(0),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.taken {
            Some(body) => body.size_hint(),
            None => self.hint,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http_body_util::BodyExt;

    use super::*;

    #[test]
    fn only_undelivered_or_idempotent_body_less_requests_go_again() {
        assert!(
            may_retry(&Method::POST, false, false),
            "refused: never sent"
        );
        assert!(may_retry(&Method::GET, true, true));
        assert!(may_retry(&Method::DELETE, true, true));
        assert!(!may_retry(&Method::POST, true, true));
        assert!(!may_retry(&Method::PATCH, true, true));
        assert!(!may_retry(&Method::PUT, false, true), "its body is gone");
    }

    #[test]
    fn the_budget_allows_the_minimum_each_second_then_a_share_of_requests() {
        let start = Instant::now();
        let mut budget = RetryBudget::new(20, 2, start);
        for _ in 0..10 {
            budget.request(start);
        }
        // Two from the minimum, then 20 % of 10 requests (2, counted with them).
        let allowed = (0..10).filter(|_| budget.try_retry(start)).count();
        assert_eq!(allowed, 2);
        for _ in 0..40 {
            budget.request(start);
        }
        let allowed = (0..20).filter(|_| budget.try_retry(start)).count();
        assert_eq!(allowed, 8, "20 % of 50 requests is 10 retries in all");
        // The next second brings its minimum back.
        let later = start + Duration::from_secs(1);
        assert_eq!((0..5).filter(|_| budget.try_retry(later)).count(), 2);
    }

    #[test]
    fn the_window_forgets_old_seconds() {
        let start = Instant::now();
        let mut budget = RetryBudget::new(50, 0, start);
        for _ in 0..10 {
            budget.request(start);
        }
        assert_eq!((0..10).filter(|_| budget.try_retry(start)).count(), 5);
        let nine = start + Duration::from_secs(9);
        assert!(!budget.try_retry(nine), "still in the window");
        let ten = start + Duration::from_secs(10);
        assert!(!budget.try_retry(ten), "requests left the window too");
        for _ in 0..2 {
            budget.request(ten);
        }
        assert!(budget.try_retry(ten));
        assert!(!budget.try_retry(ten));
    }

    #[tokio::test]
    async fn a_body_never_read_can_be_taken_back() {
        let (body, reclaim) = Reclaimable::new(Body::from("payload"));
        assert_eq!(body.size_hint().exact(), Some(7));
        drop(body);
        let back = reclaim.take().expect("never read");
        let bytes = back.collect().await.expect("body").to_bytes();
        assert_eq!(bytes, "payload");

        let (body, reclaim) = Reclaimable::new(Body::from("payload"));
        let bytes = body.collect().await.expect("body").to_bytes();
        assert_eq!(bytes, "payload");
        assert!(reclaim.take().is_none(), "read once, gone");
    }
}
