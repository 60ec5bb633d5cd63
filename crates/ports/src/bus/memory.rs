//! The in-process event bus of `chorus up`.
//!
//! Each consumer has a queue; `publish` puts the event in every matching queue
//! and waits until each consumer has applied it or dead-lettered it, so the
//! outbox relay deletes an event only once its effects are committed. If the
//! process dies first, the event is still in the outbox and goes out again at
//! restart; the consumers' inboxes make that redelivery harmless.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use chorus_core::Envelope;
use chorus_core::event::topic_matches;
use futures::FutureExt;
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{EventBus, EventHandler, RetryPolicy, Subscription};

type Delivery = (Envelope, oneshot::Sender<()>);

/// How long `close` waits for in-flight handlers.
const CLOSE_WAIT: Duration = Duration::from_secs(30);

struct Queue {
    topics: Vec<String>,
    retry: RetryPolicy,
    sender: mpsc::UnboundedSender<Delivery>,
    /// Shared by the workers of one consumer: each event goes to one of them.
    receiver: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Delivery>>>,
}

#[derive(Default)]
pub struct MemoryBus {
    queues: Mutex<HashMap<String, Queue>>,
    dead_letters: Arc<Mutex<HashMap<String, Vec<Envelope>>>>,
    closed: CancellationToken,
    /// The consumers' workers, so that `close` can wait for in-flight handlers.
    workers: TaskTracker,
}

impl MemoryBus {
    pub fn new() -> Self {
        Self::default()
    }

    fn queues(&self) -> std::sync::MutexGuard<'_, HashMap<String, Queue>> {
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl EventBus for MemoryBus {
    async fn publish(&self, event: &Envelope) -> anyhow::Result<()> {
        anyhow::ensure!(!self.closed.is_cancelled(), "the event bus is closed");
        let acks: Vec<oneshot::Receiver<()>> = self
            .queues()
            .values()
            .filter(|q| q.topics.iter().any(|t| topic_matches(t, &event.kind)))
            .map(|q| {
                let (ack, acked) = oneshot::channel();
                let _ = q.sender.send((event.clone(), ack));
                acked
            })
            .collect();
        for acked in acks {
            // A dropped ack means the bus closed mid-delivery: not delivered.
            acked
                .await
                .context("the event bus closed before the event was applied")?;
        }
        Ok(())
    }

    async fn declare(&self, subscription: &Subscription) -> anyhow::Result<()> {
        let mut queues = self.queues();
        let queue = queues
            .entry(subscription.consumer.clone())
            .or_insert_with(|| {
                let (sender, receiver) = mpsc::unbounded_channel();
                Queue {
                    topics: Vec::new(),
                    retry: subscription.retry.clone(),
                    sender,
                    receiver: Arc::new(tokio::sync::Mutex::new(receiver)),
                }
            });
        for topic in &subscription.topics {
            if !queue.topics.contains(topic) {
                queue.topics.push(topic.clone());
            }
        }
        queue.retry = subscription.retry.clone();
        Ok(())
    }

    async fn subscribe(
        &self,
        subscription: Subscription,
        handler: Arc<dyn EventHandler>,
    ) -> anyhow::Result<()> {
        self.declare(&subscription).await?;
        let handler = super::traced::traced(&subscription.consumer, handler);
        let (receiver, retry) = {
            let queues = self.queues();
            let queue = &queues[&subscription.consumer];
            (queue.receiver.clone(), queue.retry.clone())
        };
        let consumer = subscription.consumer;
        let dead_letters = self.dead_letters.clone();
        let closed = self.closed.clone();
        anyhow::ensure!(!closed.is_cancelled(), "the event bus is closed");
        let batch = subscription.batch.max(1);
        self.workers.spawn(async move {
            let dead_letters = |event: Envelope| {
                dead_letters
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry(consumer.clone())
                    .or_default()
                    .push(event)
            };
            loop {
                // What is waiting, up to `batch`: never waits for more to come.
                let next = tokio::select! {
                    _ = closed.cancelled() => return,
                    next = async {
                        let mut receiver = receiver.lock().await;
                        let first = receiver.recv().await?;
                        let mut taken = vec![first];
                        while taken.len() < batch {
                            match receiver.try_recv() {
                                Ok(delivery) => taken.push(delivery),
                                Err(_) => break,
                            }
                        }
                        Some(taken)
                    } => next,
                };
                let Some(deliveries) = next else { return };
                if deliveries.len() > 1 {
                    let events: Vec<Envelope> =
                        deliveries.iter().map(|(event, _)| event.clone()).collect();
                    if apply_batch(&consumer, &events, handler.as_ref()).await {
                        for (_, ack) in deliveries {
                            let _ = ack.send(());
                        }
                        continue;
                    }
                }
                // Alone, or what a failed batch falls back to: each with its retries.
                for (event, ack) in deliveries {
                    match deliver(&consumer, &event, handler.as_ref(), &retry, &closed).await {
                        Outcome::Applied => {}
                        Outcome::DeadLettered => dead_letters(event),
                        // Not acked: the publisher keeps the event and sends it again after restart.
                        Outcome::Abandoned => return,
                    }
                    let _ = ack.send(());
                }
            }
        });
        Ok(())
    }

    async fn dead_letters(&self, consumer: &str) -> anyhow::Result<Vec<Envelope>> {
        let dead = self.dead_letters.lock().unwrap_or_else(|e| e.into_inner());
        Ok(dead.get(consumer).cloned().unwrap_or_default())
    }

    async fn ping(&self) -> anyhow::Result<()> {
        anyhow::ensure!(!self.closed.is_cancelled(), "the event bus is closed");
        Ok(())
    }

    async fn close(&self) {
        self.closed.cancel();
        self.workers.close();
        if tokio::time::timeout(CLOSE_WAIT, self.workers.wait())
            .await
            .is_err()
        {
            tracing::warn!("event handlers still running at close");
        }
    }
}

enum Outcome {
    Applied,
    DeadLettered,
    /// The bus closed between attempts.
    Abandoned,
}

/// Hands `events` to the handler at once: whether it applied them all (a
/// panic counts as a failure).
async fn apply_batch(consumer: &str, events: &[Envelope], handler: &dyn EventHandler) -> bool {
    let outcome = AssertUnwindSafe(handler.handle_batch(events))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the handler panicked")));
    match outcome {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(consumer, events = events.len(), error = %format!("{error:#}"), "a batch of events failed; handling them one by one");
            false
        }
    }
}

/// Runs the handler until it succeeds or the attempts run out.
async fn deliver(
    consumer: &str,
    event: &Envelope,
    handler: &dyn EventHandler,
    retry: &RetryPolicy,
    closed: &CancellationToken,
) -> Outcome {
    for attempt in 1..=retry.max_attempts.max(1) {
        // A panic counts as a failure: a dead worker would leave publishers waiting forever.
        let outcome = AssertUnwindSafe(handler.handle(event))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the handler panicked")));
        match outcome {
            Ok(()) => return Outcome::Applied,
            Err(error) => {
                tracing::warn!(consumer, event = %event.kind, id = %event.id, attempt, error = %format!("{error:#}"), "event handler failed");
                if attempt < retry.max_attempts {
                    tokio::select! {
                        _ = closed.cancelled() => return Outcome::Abandoned,
                        _ = tokio::time::sleep(retry.backoff(attempt)) => {}
                    }
                }
            }
        }
    }
    tracing::error!(consumer, event = %event.kind, id = %event.id, "event dead-lettered");
    metrics::counter!("chorus_events_dead_lettered_total", "consumer" => consumer.to_string())
        .increment(1);
    Outcome::DeadLettered
}
