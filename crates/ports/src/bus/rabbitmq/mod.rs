//! The RabbitMQ event bus of `chorus serve` (lapin).
//!
//! # Topology
//!
//! Every name starts with the namespace `{ns}` (`infra.namespace`), so that
//! deployments and test runs can share a broker. Everything is durable.
//!
//! | name | kind | role |
//! |---|---|---|
//! | `{ns}.events` | topic exchange | every event, routing key = its `type` |
//! | `{ns}.{consumer}` | queue | one per consuming service, bound with each of its topic patterns; its instances compete on it |
//! | `{ns}.{consumer}.retry` | queue | failed events wait out their backoff here (per-message `expiration`); it dead-letters them, through the default exchange, back to `{ns}.{consumer}` |
//! | `{ns}.{consumer}.dlq` | queue | events the consumer gave up on, for inspection and replay; header `x-chorus-error` says why |
//!
//! # Messages
//!
//! Persistent, `content_type` `application/json`, `message_id` = the event id,
//! `type` = the event type, the body the [`Envelope`] as JSON, and the header
//! `x-chorus-attempt` (1 for the first delivery).
//!
//! # Delivery
//!
//! [`publish`](EventBus::publish) waits for the broker's publisher confirm and
//! fails at once while the broker is unreachable: the outbox relay retries.
//! Consumers use manual acks and a prefetch of 32 (or the subscription's
//! `batch` if larger); a batch of deliveries is acked at once (`multiple`)
//! after `handle_batch` succeeds. When a handler fails, a
//! copy with the attempt counted up goes to the retry queue with an
//! `expiration` of [`RetryPolicy::backoff`](crate::RetryPolicy::backoff); after
//! `max_attempts` failures (or if the body is not an envelope) it goes to the
//! dead-letter queue. The copy is confirmed before the original is acked, so a
//! crash in between duplicates the event rather than losing it.
//!
//! One connection per bus. A supervisor task reconnects with backoff (at most
//! 3 s apart), declares the topology of every declared consumer again, and
//! the consumers restart on the new connection.
//!
//! Caveats: RabbitMQ expires messages only at the head of a queue, so a retry
//! may wait behind a longer one (never beyond `max_backoff` more); a handler
//! that crashes the whole process is redelivered with the same attempt count.

mod consumer;
mod link;
mod topology;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use chorus_core::Envelope;
use lapin::options::{BasicGetOptions, BasicPublishOptions, QueueDeclareOptions};
use lapin::protocol::AMQPErrorKind;
use lapin::protocol::AMQPSoftError;
use lapin::types::FieldTable;
use lapin::{Error as AmqpError, ErrorKind as AmqpErrorKind};
use tokio::task::JoinHandle;

use self::link::{REPLY_SUCCESS, Shared};
use self::topology::QueueNames;
use super::{EventBus, EventHandler, Subscription};

/// How long `declare` and `subscribe` wait for a connection being restored.
const DECLARE_WAIT: Duration = Duration::from_secs(10);
/// Bounds each wait on the broker, so a stalled one cannot wedge the outbox relay.
const BROKER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `close` waits for in-flight handlers.
const CLOSE_WAIT: Duration = Duration::from_secs(30);
/// `dead_letters` reads at most this many: it holds them all in memory.
const MAX_DEAD_LETTERS: u32 = 10_000;

pub struct RabbitBus {
    shared: Arc<Shared>,
    supervisor: Mutex<Option<JoinHandle<()>>>,
}

impl RabbitBus {
    /// Connects to `url` (`amqp://user:password@host:port/vhost`) and declares
    /// the `{namespace}.events` exchange; fails if the broker is unreachable.
    pub async fn connect(url: &str, namespace: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(!namespace.is_empty(), "the event bus needs a namespace");
        let shared = Arc::new(Shared::new(url, namespace)?);
        let live = shared.establish().await?;
        shared.live.send_replace(Some(live));
        let supervisor = tokio::spawn(link::supervise(shared.clone()));
        Ok(Self {
            shared,
            supervisor: Mutex::new(Some(supervisor)),
        })
    }

    /// The queues of `consumer` in this namespace: main, retry, dead-letter.
    pub fn queue_names(&self, consumer: &str) -> [String; 3] {
        let names = QueueNames::new(&self.shared.namespace, consumer);
        [names.main, names.retry, names.dead]
    }

    /// The exchange every event goes to.
    pub fn exchange_name(&self) -> String {
        topology::exchange(&self.shared.namespace)
    }
}

#[async_trait]
impl EventBus for RabbitBus {
    async fn publish(&self, event: &Envelope) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.shared.closed.is_cancelled(),
            "the event bus is closed"
        );
        let live = self
            .shared
            .current()
            .with_context(|| format!("not connected to RabbitMQ at {}", self.shared.url))?;
        let exchange = topology::short(&topology::exchange(&self.shared.namespace))?;
        let routing_key = topology::short(&event.kind)?;
        let properties = topology::event_properties(event)?;
        let published = async {
            let channel = live.publisher(&self.shared.namespace).await?;
            let confirm = channel
                .basic_publish(
                    exchange,
                    routing_key,
                    BasicPublishOptions::default(),
                    &event.to_bytes(),
                    properties,
                )
                .await?
                .await?;
            anyhow::ensure!(confirm.is_ack(), "RabbitMQ refused (nacked) the event");
            Ok(())
        };
        tokio::time::timeout(BROKER_TIMEOUT, published)
            .await
            .context("RabbitMQ did not confirm in time")?
            .with_context(|| format!("publishing {} {}", event.kind, event.id))
    }

    async fn declare(&self, subscription: &Subscription) -> anyhow::Result<()> {
        anyhow::ensure!(
            !subscription.consumer.is_empty(),
            "a subscription needs a consumer name"
        );
        // Remembered first: if the connection drops now, the reconnect declares it.
        self.shared.remember(subscription);
        let live = self.shared.wait_live(DECLARE_WAIT).await?;
        let channel = live.conn.create_channel().await?;
        let declared =
            topology::declare_consumer(&channel, &self.shared.namespace, subscription).await;
        let _ = channel.close(REPLY_SUCCESS, "declared".into()).await;
        declared
    }

    async fn subscribe(
        &self,
        subscription: Subscription,
        handler: Arc<dyn EventHandler>,
    ) -> anyhow::Result<()> {
        self.declare(&subscription).await?;
        anyhow::ensure!(
            !self.shared.closed.is_cancelled(),
            "the event bus is closed"
        );
        let handler = super::traced::traced(&subscription.consumer, handler);
        self.shared
            .consumers
            .spawn(consumer::run(self.shared.clone(), subscription, handler));
        Ok(())
    }

    async fn dead_letters(&self, consumer: &str) -> anyhow::Result<Vec<Envelope>> {
        let live = self.shared.wait_live(DECLARE_WAIT).await?;
        let queue = topology::short(&QueueNames::new(&self.shared.namespace, consumer).dead)?;
        // A fresh channel whose unacked gets all go back, in order, when it closes.
        let channel = live.conn.create_channel().await?;
        let read = async {
            let passive = QueueDeclareOptions {
                passive: true,
                ..Default::default()
            };
            let waiting = match channel
                .queue_declare(queue.clone(), passive, FieldTable::default())
                .await
            {
                Ok(declared) => declared.message_count(),
                Err(error) if is_not_found(&error) => return Ok(Vec::new()),
                Err(error) => return Err(error.into()),
            };
            if waiting > MAX_DEAD_LETTERS {
                tracing::warn!(%queue, waiting, "dead-letter queue too long; reading only the oldest {MAX_DEAD_LETTERS}");
            }
            let mut events = Vec::new();
            for _ in 0..waiting.min(MAX_DEAD_LETTERS) {
                let Some(message) = channel
                    .basic_get(queue.clone(), BasicGetOptions { no_ack: false })
                    .await?
                else {
                    break;
                };
                match Envelope::from_bytes(&message.delivery.data) {
                    Ok(event) => events.push(event),
                    Err(error) => {
                        tracing::warn!(%queue, %error, "skipping a dead letter that is not an event")
                    }
                }
            }
            anyhow::Ok(events)
        };
        let read = tokio::time::timeout(BROKER_TIMEOUT, read).await;
        let _ = channel
            .close(REPLY_SUCCESS, "read dead letters".into())
            .await;
        read.context("RabbitMQ did not answer in time")?
            .with_context(|| format!("reading {queue}"))
    }

    async fn ping(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            !self.shared.closed.is_cancelled(),
            "the event bus is closed"
        );
        self.shared
            .current()
            .map(|_| ())
            .with_context(|| format!("not connected to RabbitMQ at {}", self.shared.url))
    }

    async fn close(&self) {
        self.shared.closed.cancel();
        self.shared.consumers.close();
        if tokio::time::timeout(CLOSE_WAIT, self.shared.consumers.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                "event handlers still running at close; their events will be redelivered"
            );
        }
        let supervisor = self
            .supervisor
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(supervisor) = supervisor {
            let _ = supervisor.await;
        }
        if let Some(live) = self.shared.live.send_replace(None) {
            let _ = live.conn.close(REPLY_SUCCESS, "closing".into()).await;
        }
    }
}

impl Drop for RabbitBus {
    /// Stops the supervisor and consumers, which would otherwise outlive the bus.
    fn drop(&mut self) {
        self.shared.closed.cancel();
    }
}

fn is_not_found(error: &AmqpError) -> bool {
    matches!(error.kind(), AmqpErrorKind::ProtocolError(e) if *e.kind() == AMQPErrorKind::Soft(AMQPSoftError::NOTFOUND))
}
