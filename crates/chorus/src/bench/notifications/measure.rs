//! One run. Publishers put the stream on the bus, at most `in_flight` events
//! published but not yet applied (and at a fixed rate, if asked); the
//! instrumented consumers stamp each event when the service has applied it;
//! a subscriber to the push channel stamps each push as it arrives. Pushes
//! are paired with the events that caused them after the run, off the
//! measured path.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chorus_core::{Envelope, Id};
use chorus_ports::EventBus;
use chorus_rpc::push::NotificationPush;
use futures::StreamExt;
use futures::stream::BoxStream;
use hdrhistogram::Histogram;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::workload::{Action, Effect};
use crate::bench::Measured;

/// How long the run waits for any progress before it gives up.
const STALL: Duration = Duration::from_secs(60);
/// How long, once every event is applied, it waits for pushes still missing.
const PUSH_GRACE: Duration = Duration::from_secs(5);

/// When each event was published and applied, shared with the consumers.
pub struct Clock {
    start: Instant,
    index: HashMap<Id, usize>,
    /// Nanoseconds since `start`, plus one (0: not yet).
    published: Vec<AtomicU64>,
    applied: Vec<AtomicU64>,
    applied_count: AtomicUsize,
    handler_failures: AtomicU64,
    publish_errors: AtomicUsize,
    /// Free slots for events published but not yet applied.
    in_flight: Semaphore,
}

impl Clock {
    pub fn new(events: &[Envelope], in_flight: usize) -> Self {
        let stamps = || (0..events.len()).map(|_| AtomicU64::new(0)).collect();
        Self {
            start: Instant::now(),
            index: events.iter().enumerate().map(|(i, e)| (e.id, i)).collect(),
            published: stamps(),
            applied: stamps(),
            applied_count: AtomicUsize::new(0),
            handler_failures: AtomicU64::new(0),
            publish_errors: AtomicUsize::new(0),
            in_flight: Semaphore::new(in_flight),
        }
    }

    fn at(&self, instant: Instant) -> u64 {
        instant.saturating_duration_since(self.start).as_nanos() as u64 + 1
    }

    fn now(&self) -> u64 {
        self.at(Instant::now())
    }

    /// The service applied `event` (the first time only: a redelivery is not new work).
    pub fn applied(&self, event: Id) {
        let Some(&i) = self.index.get(&event) else {
            return;
        };
        let first = self.applied[i]
            .compare_exchange(0, self.now(), Ordering::Relaxed, Ordering::Relaxed)
            .is_ok();
        if first {
            self.applied_count.fetch_add(1, Ordering::Relaxed);
            self.in_flight.add_permits(1);
        }
    }

    /// The service failed an attempt (the bus retries it).
    pub fn failed(&self) {
        self.handler_failures.fetch_add(1, Ordering::Relaxed);
    }
}

pub struct Settings {
    pub in_flight: usize,
    /// Events per second, or `None` for as fast as the in-flight bound lets.
    pub rate: Option<f64>,
}

/// What one run measured.
pub struct Measurements {
    /// `publish` calls: how long each took, from the first publish to the last return.
    pub publish: Measured,
    /// Events applied by the service, publish to applied.
    pub applied: Measured,
    /// Pushes paired with their event, publish to received.
    pub pushes: Measured,
    /// Per action: events, expected pushes, events expected to notify
    /// nobody, and publish-to-push latency.
    pub per_action: Vec<ActionStats>,
    pub expected_pushes: u64,
    pub pushes_received: u64,
    pub missing_pushes: u64,
    /// Received but expected by no event (or unreadable).
    pub unexpected_pushes: u64,
    pub handler_failures: u64,
    /// The run gave up waiting (no progress for a minute).
    pub stalled: bool,
}

pub struct ActionStats {
    pub action: Action,
    pub events: u64,
    pub expected_pushes: u64,
    pub silent_events: u64,
    pub push_latency: Histogram<u64>,
}

/// Publishes `events` and waits until each is applied and each expected
/// push has arrived (or nothing moves for a while).
pub async fn run(
    bus: Arc<dyn EventBus>,
    mut pushes: BoxStream<'static, Bytes>,
    events: Arc<Vec<Envelope>>,
    expectations: &[(Action, Vec<Effect>)],
    clock: Arc<Clock>,
    settings: &Settings,
) -> Measurements {
    let total = events.len();
    let expected_pushes: usize = expectations.iter().map(|(_, e)| e.len()).sum();
    let stop = CancellationToken::new();

    let received = Arc::new(AtomicUsize::new(0));
    let collector = {
        let (stop, clock, received) = (stop.clone(), clock.clone(), received.clone());
        tokio::spawn(async move {
            let mut got: Vec<(u64, Bytes)> = Vec::with_capacity(expected_pushes);
            loop {
                let next = tokio::select! {
                    biased;
                    next = pushes.next() => next,
                    _ = stop.cancelled() => None,
                };
                let Some(bytes) = next else { break };
                got.push((clock.now(), bytes));
                received.fetch_add(1, Ordering::Relaxed);
            }
            got
        })
    };

    let began = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let publishers: Vec<_> = (0..settings.in_flight)
        .map(|_| {
            let publisher = Publisher {
                bus: bus.clone(),
                events: events.clone(),
                clock: clock.clone(),
                next: next.clone(),
                rate: settings.rate,
                began,
                stop: stop.clone(),
            };
            tokio::spawn(publisher.run())
        })
        .collect();

    let stalled = wait_for_completion(&clock, &received, total, expected_pushes).await;
    stop.cancel();

    let mut publish = Measured::empty();
    let mut last_return = 0;
    for publisher in publishers {
        if let Ok(done) = publisher.await {
            publish.requests += done.calls.len();
            publish.errors += done.errors;
            let _ = publish.latency.add(&done.calls);
            last_return = last_return.max(done.last_return);
        }
    }
    let got = collector.await.unwrap_or_default();

    let published: Vec<u64> = load(&clock.published);
    let applied_at: Vec<u64> = load(&clock.applied);
    let first_publish = published
        .iter()
        .copied()
        .filter(|&t| t > 0)
        .min()
        .unwrap_or(0);
    let since_first = |t: u64| Duration::from_nanos(t.saturating_sub(first_publish));
    publish.elapsed = since_first(last_return);

    let mut applied = Measured::empty();
    let mut last_applied = 0;
    for (&sent, &done) in published.iter().zip(&applied_at) {
        if sent > 0 && done > 0 {
            applied.requests += 1;
            applied
                .latency
                .saturating_record(micros(done.saturating_sub(sent)));
            last_applied = last_applied.max(done);
        }
    }
    applied.errors = clock.handler_failures.load(Ordering::Relaxed);
    applied.elapsed = since_first(last_applied);

    let mut per_action: Vec<ActionStats> = Action::ALL
        .iter()
        .map(|&action| ActionStats {
            action,
            events: 0,
            expected_pushes: 0,
            silent_events: 0,
            push_latency: histogram(),
        })
        .collect();
    for (action, effects) in expectations {
        let stats = &mut per_action[action.index()];
        stats.events += 1;
        stats.expected_pushes += effects.len() as u64;
        stats.silent_events += u64::from(effects.is_empty());
    }

    let paired = pair(&got, expectations, &published);
    let mut pushes = Measured::empty();
    let mut last_push = 0;
    for &(event, received_at) in &paired.matched {
        let latency = micros(received_at.saturating_sub(published[event]));
        pushes.requests += 1;
        pushes.latency.saturating_record(latency);
        per_action[expectations[event].0.index()]
            .push_latency
            .saturating_record(latency);
        last_push = last_push.max(received_at);
    }
    pushes.elapsed = since_first(last_push);

    Measurements {
        publish,
        applied,
        pushes,
        per_action,
        expected_pushes: expected_pushes as u64,
        pushes_received: got.len() as u64,
        missing_pushes: paired.missing,
        unexpected_pushes: paired.unexpected,
        handler_failures: clock.handler_failures.load(Ordering::Relaxed),
        stalled,
    }
}

/// Waits until every event is applied and every expected push arrived;
/// `true` if it gave up instead. Shows the progress meanwhile.
async fn wait_for_completion(
    clock: &Clock,
    received: &AtomicUsize,
    total: usize,
    expected_pushes: usize,
) -> bool {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{msg:28} [{bar:30}] {pos}/{len} events applied")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut seen = (0, 0);
    let mut moved = Instant::now();
    let stalled = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let applied = clock.applied_count.load(Ordering::Relaxed);
        let pushes = received.load(Ordering::Relaxed);
        bar.set_position(applied as u64);
        bar.set_message(format!("notifications: {pushes} pushes"));
        let all_applied = applied + clock.publish_errors.load(Ordering::Relaxed) >= total;
        if all_applied && pushes >= expected_pushes {
            break false;
        }
        if (applied, pushes) != seen {
            seen = (applied, pushes);
            moved = Instant::now();
        } else if moved.elapsed() > if all_applied { PUSH_GRACE } else { STALL } {
            break !all_applied;
        }
    };
    bar.finish_with_message(format!(
        "notifications: {} pushes",
        received.load(Ordering::Relaxed)
    ));
    stalled
}

struct Publisher {
    bus: Arc<dyn EventBus>,
    events: Arc<Vec<Envelope>>,
    clock: Arc<Clock>,
    next: Arc<AtomicUsize>,
    rate: Option<f64>,
    began: Instant,
    stop: CancellationToken,
}

struct Published {
    /// Durations of the `publish` calls that succeeded, in µs.
    calls: Histogram<u64>,
    errors: u64,
    last_return: u64,
}

impl Publisher {
    async fn run(self) -> Published {
        let mut done = Published {
            calls: histogram(),
            errors: 0,
            last_return: 0,
        };
        loop {
            let i = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(event) = self.events.get(i) else {
                break;
            };
            let due = self
                .rate
                .map(|rate| self.began + Duration::from_secs_f64(i as f64 / rate));
            if let Some(due) = due {
                tokio::select! {
                    _ = self.stop.cancelled() => break,
                    _ = tokio::time::sleep_until(due.into()) => {}
                }
            }
            let slot = tokio::select! {
                _ = self.stop.cancelled() => break,
                slot = self.clock.in_flight.acquire() => slot,
            };
            let Ok(slot) = slot else { break };
            // Given back by the consumer once the event is applied.
            slot.forget();
            // Paced, latency counts from when the event was due, not from
            // when a free slot let it go: a backlog shows, not hides.
            let sent = due.unwrap_or_else(Instant::now);
            self.clock.published[i].store(self.clock.at(sent), Ordering::Relaxed);
            let call = Instant::now();
            match self.bus.publish(event).await {
                Ok(()) => {
                    done.calls
                        .saturating_record(call.elapsed().as_micros() as u64);
                    done.last_return = done.last_return.max(self.clock.now());
                }
                Err(error) => {
                    done.errors += 1;
                    self.clock.publish_errors.fetch_add(1, Ordering::Relaxed);
                    self.clock.in_flight.add_permits(1);
                    if done.errors == 1 {
                        tracing::warn!(error = %format!("{error:#}"), "publishing an event failed");
                    }
                }
            }
        }
        done
    }
}

struct Paired {
    /// (event index, push received at).
    matched: Vec<(usize, u64)>,
    missing: u64,
    unexpected: u64,
}

/// Pairs pushes with the events that asked for them: per effect, the pushes
/// in the order they arrived with its events in the order they were
/// published (an effect repeats when someone reacts twice to one post).
fn pair(got: &[(u64, Bytes)], expectations: &[(Action, Vec<Effect>)], published: &[u64]) -> Paired {
    let mut waiting: HashMap<Effect, VecDeque<usize>> = HashMap::new();
    for (event, (_, effects)) in expectations.iter().enumerate() {
        for effect in effects {
            waiting.entry(*effect).or_default().push_back(event);
        }
    }
    for events in waiting.values_mut() {
        events
            .make_contiguous()
            .sort_by_key(|&event| published[event]);
    }
    let mut matched = Vec::with_capacity(got.len());
    let mut unexpected = 0;
    for (received_at, bytes) in got {
        let effect = NotificationPush::from_bytes(bytes)
            .ok()
            .as_ref()
            .and_then(Effect::of_push);
        let event = effect
            .and_then(|effect| waiting.get_mut(&effect))
            .and_then(VecDeque::pop_front);
        match event {
            Some(event) => matched.push((event, *received_at)),
            None => unexpected += 1,
        }
    }
    let missing = waiting.values().map(|events| events.len() as u64).sum();
    Paired {
        matched,
        missing,
        unexpected,
    }
}

fn load(stamps: &[AtomicU64]) -> Vec<u64> {
    stamps.iter().map(|s| s.load(Ordering::Relaxed)).collect()
}

fn micros(nanos: u64) -> u64 {
    nanos / 1_000
}

/// 1 µs to 10 minutes at 3 significant digits.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 600_000_000, 3)
        .unwrap_or_else(|e| unreachable!("valid histogram bounds: {e}"))
}

#[cfg(test)]
mod tests {
    use chorus_notifications::domain::Kind;
    use serde_json::json;

    use super::*;

    fn push(recipient: i64, actor: i64, post: i64) -> Bytes {
        let push = NotificationPush {
            recipient: Id(recipient),
            notification: json!({
                "type": "reaction", "actor": {"id": actor.to_string()},
                "subject": {"type": "post", "id": post.to_string()},
            }),
        };
        Bytes::from(push.to_bytes())
    }

    fn reaction(recipient: i64, actor: i64, post: i64) -> Effect {
        Effect {
            recipient: Id(recipient),
            kind: Kind::Reaction,
            actor: Id(actor),
            subject: Id(post),
            detail: None,
        }
    }

    #[test]
    fn pushes_pair_with_events_in_publish_order_and_the_rest_is_counted() {
        let expectations = vec![
            (Action::Reaction, vec![reaction(1, 2, 9)]),
            (Action::Reaction, vec![]),
            (Action::Reaction, vec![reaction(1, 2, 9)]),
            (Action::Reaction, vec![reaction(1, 3, 9)]),
        ];
        // Event 2 went out before event 0: the first push of the repeated
        // effect is its.
        let published = [50, 10, 20, 30];
        let got = vec![
            (100, push(1, 2, 9)),
            (110, push(1, 2, 9)),
            (120, push(1, 2, 9)),
            (130, Bytes::from_static(b"not a push")),
        ];
        let paired = pair(&got, &expectations, &published);
        assert_eq!(paired.matched, [(2, 100), (0, 110)]);
        assert_eq!(paired.unexpected, 2, "a third repeat, and garbage");
        assert_eq!(paired.missing, 1, "nothing came for event 3");
    }
}
