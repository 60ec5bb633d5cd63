//! The event bus port: durable, at-least-once delivery of [`Envelope`]s from
//! the services that emit them (through their outbox) to every consuming
//! service, by topic.
//!
//! Semantics both adapters keep (and `tests/bus.rs` checks):
//! - `publish` returns only once the bus has taken responsibility for the
//!   event (a broker confirm; in process, every consumer done with it), so the
//!   outbox relay may then forget it.
//! - Each consuming service has one queue (one consumer group) however many
//!   instances it runs: each event reaches one instance of each service.
//! - A handler that fails is retried with exponential backoff; after
//!   `max_attempts` failures the event goes to that consumer's dead-letter queue.
//! - Batches: a subscription whose `batch` is above 1 has the events already
//!   waiting for it (never waiting for more to come: latency does not grow
//!   under light load), up to `batch`, handed to
//!   [`EventHandler::handle_batch`] at once (a lone one goes to `handle`),
//!   and each acked when it succeeds.
//!   When it fails (or panics), that batch's events are handled one by one
//!   with [`EventHandler::handle`], each with its own retries and dead-letter,
//!   so retry and dead-letter semantics stay per event; the failed batch does
//!   not count as an attempt.
//!
//! Adapters: [`memory::MemoryBus`] and [`rabbitmq::RabbitBus`] (one topic
//! exchange, a durable queue per consumer, manual acks, a retry queue with
//! per-message TTL, a dead-letter queue; it reconnects by itself).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chorus_core::Envelope;

pub mod memory;
pub mod rabbitmq;
mod traced;

pub use memory::MemoryBus;
pub use rabbitmq::RabbitBus;

/// Applies one event. Return an error to have it retried.
#[async_trait]
pub trait EventHandler: Send + Sync + 'static {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()>;

    /// Applies several events, in order, at once (say, in one transaction);
    /// called only for subscriptions whose `batch` is above 1. On an error
    /// the bus hands each event of the batch to [`handle`](Self::handle)
    /// alone, so a batch that failed halfway must leave what it applied
    /// harmless to apply again (all or nothing, or an inbox). The default
    /// applies them one by one with `handle`.
    async fn handle_batch(&self, events: &[Envelope]) -> anyhow::Result<()> {
        for event in events {
            self.handle(event).await?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included, before the event is dead-lettered.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1`, after `attempt` failures (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// What a consuming service listens to.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The consuming service's name: one queue per name.
    pub consumer: String,
    /// AMQP topic patterns: `user.*`, `post.#`, `user.registered`.
    pub topics: Vec<String>,
    pub retry: RetryPolicy,
    /// The most events handed to [`EventHandler::handle_batch`] at once; 1
    /// (or 0) delivers each event alone to [`EventHandler::handle`].
    pub batch: usize,
    /// For a queue of one instance rather than of a service (a search
    /// instance's own index): unused for this long (no consumer attached),
    /// the broker deletes it with what it holds, so instances that never
    /// come back leave nothing growing. `None`: kept forever. The in-process
    /// bus's queues live only as long as the process anyway.
    pub expires_after: Option<Duration>,
}

#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Hands the event to the bus; returns once the bus is responsible for it.
    async fn publish(&self, event: &Envelope) -> anyhow::Result<()>;

    /// Creates the consumer's queue and bindings if missing, so that events
    /// published before its first handler attaches wait for it instead of
    /// being dropped. Every process declares every known subscription at start.
    async fn declare(&self, subscription: &Subscription) -> anyhow::Result<()>;

    /// Declares, then starts delivering matching events to `handler` in the background, and
    /// keeps doing so across broker restarts until the bus is closed.
    async fn subscribe(
        &self,
        subscription: Subscription,
        handler: Arc<dyn EventHandler>,
    ) -> anyhow::Result<()>;

    /// The events `consumer` gave up on, oldest first (for inspection and replay).
    async fn dead_letters(&self, consumer: &str) -> anyhow::Result<Vec<Envelope>>;

    async fn ping(&self) -> anyhow::Result<()>;

    /// Stops consuming and closes connections; in-flight handlers finish first.
    async fn close(&self);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
        };
        assert_eq!(policy.backoff(1), Duration::from_millis(100));
        assert_eq!(policy.backoff(2), Duration::from_millis(200));
        assert_eq!(policy.backoff(3), Duration::from_millis(400));
        assert_eq!(policy.backoff(4), Duration::from_millis(500));
        assert_eq!(policy.backoff(40), Duration::from_millis(500));
    }
}
