//! One running subscription: consumes its queue on the current connection,
//! applies each event, and on failure sends a copy to the retry queue or, once
//! the attempts are spent, to the dead-letter queue. It survives connection
//! loss by starting over on the next connection.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chorus_core::Envelope;
use futures::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel};

use super::link::{Live, REPLY_SUCCESS, Shared};
use super::topology::{self, QueueNames};
use crate::bus::{EventHandler, Subscription};

/// Unacknowledged deliveries the broker may push ahead of the handler (at
/// least the subscription's batch, so a batch can fill).
const PREFETCH: u16 = 32;
const FIRST_RESTART_WAIT: Duration = Duration::from_millis(200);
const MAX_RESTART_WAIT: Duration = Duration::from_secs(5);
/// After running this long, a failed consumer restarts after the shortest wait again.
const HEALTHY_RUN: Duration = Duration::from_secs(10);
/// Bounds each wait on the broker so a stalled one cannot wedge a consumer.
const BROKER_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs the subscription until the bus closes.
pub(super) async fn run(
    shared: Arc<Shared>,
    subscription: Subscription,
    handler: Arc<dyn EventHandler>,
) {
    let mut live_updates = shared.live.subscribe();
    let mut wait = FIRST_RESTART_WAIT;
    loop {
        let up = tokio::select! {
            _ = shared.closed.cancelled() => return,
            up = live_updates.wait_for(|live| live.as_ref().is_some_and(|l| l.is_connected())) => up,
        };
        let Some(live) = up.ok().and_then(|live| live.clone()) else {
            return;
        };
        let started = Instant::now();
        let outcome = consume(&shared, &live, &subscription, handler.as_ref()).await;
        drop(live);
        if shared.closed.is_cancelled() {
            return;
        }
        if let Err(error) = outcome {
            tracing::warn!(consumer = %subscription.consumer, error = %format!("{error:#}"), "event consumer stopped; restarting");
        }
        if started.elapsed() >= HEALTHY_RUN {
            wait = FIRST_RESTART_WAIT;
        }
        tokio::select! {
            _ = shared.closed.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        wait = (wait * 2).min(MAX_RESTART_WAIT);
    }
}

/// Consumes on `live` until the bus closes (`Ok`) or the channel fails.
async fn consume(
    shared: &Shared,
    live: &Live,
    subscription: &Subscription,
    handler: &dyn EventHandler,
) -> anyhow::Result<()> {
    let channel = live.conn.create_channel().await?;
    let consumed = consume_on(&channel, shared, subscription, handler).await;
    // Closing the channel hands its unacknowledged deliveries back to the queue.
    let _ = tokio::time::timeout(
        BROKER_TIMEOUT,
        channel.close(REPLY_SUCCESS, "consumer stopped".into()),
    )
    .await;
    consumed
}

async fn consume_on(
    channel: &Channel,
    shared: &Shared,
    subscription: &Subscription,
    handler: &dyn EventHandler,
) -> anyhow::Result<()> {
    // Confirms, so that a retry or dead-letter copy is safe before the original is acked.
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    topology::declare_consumer(channel, &shared.namespace, subscription).await?;
    let batch = subscription.batch.max(1);
    let prefetch = u16::try_from(batch).unwrap_or(u16::MAX).max(PREFETCH);
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    let names = QueueNames::new(&shared.namespace, &subscription.consumer);
    let mut deliveries = channel
        .basic_consume(
            topology::short(&names.main)?,
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .with_context(|| format!("consuming {}", names.main))?;
    loop {
        let next = tokio::select! {
            biased;
            _ = shared.closed.cancelled() => return Ok(()),
            next = deliveries.next() => next,
        };
        let first = match next {
            Some(Ok(delivery)) => delivery,
            Some(Err(error)) => return Err(error).context("receiving events"),
            None => anyhow::bail!("the broker cancelled the consumer of {}", names.main),
        };
        // What has already arrived, up to the batch: never waits for more.
        let mut taken = vec![first];
        let mut stopped = None;
        while taken.len() < batch {
            match deliveries.next().now_or_never() {
                Some(Some(Ok(delivery))) => taken.push(delivery),
                Some(Some(Err(error))) => {
                    stopped = Some(anyhow::Error::from(error).context("receiving events"));
                    break;
                }
                Some(None) => {
                    stopped = Some(anyhow::anyhow!(
                        "the broker cancelled the consumer of {}",
                        names.main
                    ));
                    break;
                }
                None => break,
            }
        }
        if taken.len() == 1 {
            for delivery in taken {
                handle(channel, &names, subscription, handler, delivery).await?;
            }
        } else {
            handle_batch(channel, &names, subscription, handler, taken).await?;
        }
        if let Some(error) = stopped {
            return Err(error);
        }
    }
}

/// Applies deliveries at once with [`EventHandler::handle_batch`] and acks
/// them all; if that fails, handles each alone (its retries, its dead letter).
async fn handle_batch(
    channel: &Channel,
    names: &QueueNames,
    subscription: &Subscription,
    handler: &dyn EventHandler,
    taken: Vec<Delivery>,
) -> anyhow::Result<()> {
    let mut batch = Vec::with_capacity(taken.len());
    let mut events = Vec::with_capacity(taken.len());
    for delivery in taken {
        match Envelope::from_bytes(&delivery.data) {
            Ok(event) => {
                events.push(event);
                batch.push(delivery);
            }
            // Not an event: straight to the dead-letter queue, acked alone.
            Err(_) => handle(channel, names, subscription, handler, delivery).await?,
        }
    }
    let Some(last) = batch.last() else {
        return Ok(());
    };
    if batch.len() > 1 {
        match apply_all(handler, &events).await {
            Ok(()) => {
                // Every earlier delivery on this channel is acked already:
                // one multiple ack covers the batch.
                let multiple = BasicAckOptions { multiple: true };
                last.ack(multiple)
                    .await
                    .context("acknowledging a batch of events")?;
                return Ok(());
            }
            Err(error) => {
                let consumer = subscription.consumer.as_str();
                tracing::warn!(consumer, events = events.len(), %error, "a batch of events failed; handling them one by one");
            }
        }
    }
    for delivery in batch {
        handle(channel, names, subscription, handler, delivery).await?;
    }
    Ok(())
}

/// Applies one delivery, then acks it once it is applied or safely copied on.
async fn handle(
    channel: &Channel,
    names: &QueueNames,
    subscription: &Subscription,
    handler: &dyn EventHandler,
    delivery: Delivery,
) -> anyhow::Result<()> {
    let consumer = subscription.consumer.as_str();
    let attempt = topology::attempt(&delivery.properties);
    match Envelope::from_bytes(&delivery.data) {
        Ok(event) => match apply(handler, &event).await {
            Ok(()) => {}
            Err(error) if attempt < subscription.retry.max_attempts => {
                let wait = subscription.retry.backoff(attempt);
                tracing::warn!(consumer, event = %event.kind, id = %event.id, attempt, ?wait, %error, "event handler failed; will retry");
                let copy =
                    topology::copy_properties(&delivery.properties, attempt + 1, Some(wait), None);
                send_copy(channel, &names.retry, &delivery.data, copy).await?;
                metrics::counter!("chorus_events_retried_total", "consumer" => consumer.to_string())
                    .increment(1);
            }
            Err(error) => {
                tracing::error!(consumer, event = %event.kind, id = %event.id, attempt, %error, "event dead-lettered");
                let copy =
                    topology::copy_properties(&delivery.properties, attempt, None, Some(&error));
                send_copy(channel, &names.dead, &delivery.data, copy).await?;
                metrics::counter!("chorus_events_dead_lettered_total", "consumer" => consumer.to_string())
                    .increment(1);
            }
        },
        Err(error) => {
            // Retrying cannot make it readable.
            let error = format!("not an event envelope: {error}");
            tracing::error!(consumer, %error, "message dead-lettered");
            let copy = topology::copy_properties(&delivery.properties, attempt, None, Some(&error));
            send_copy(channel, &names.dead, &delivery.data, copy).await?;
            metrics::counter!("chorus_events_dead_lettered_total", "consumer" => consumer.to_string())
                .increment(1);
        }
    }
    delivery
        .ack(BasicAckOptions::default())
        .await
        .context("acknowledging an event")?;
    Ok(())
}

/// Runs the handler; a panic counts as a failure rather than killing the consumer.
async fn apply(handler: &dyn EventHandler, event: &Envelope) -> Result<(), String> {
    outcome(AssertUnwindSafe(handler.handle(event)).catch_unwind().await)
}

/// Runs the handler on a batch, as [`apply`] does on one event.
async fn apply_all(handler: &dyn EventHandler, events: &[Envelope]) -> Result<(), String> {
    outcome(
        AssertUnwindSafe(handler.handle_batch(events))
            .catch_unwind()
            .await,
    )
}

fn outcome(
    caught: Result<anyhow::Result<()>, Box<dyn std::any::Any + Send>>,
) -> Result<(), String> {
    match caught {
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(format!("{error:#}")),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(format!("the handler panicked: {message}"))
        }
    }
}

/// Publishes to `queue` through the default exchange and waits for the
/// broker's confirm; `mandatory`, so a missing queue is an error, not a loss.
async fn send_copy(
    channel: &Channel,
    queue: &str,
    body: &[u8],
    properties: BasicProperties,
) -> anyhow::Result<()> {
    let options = BasicPublishOptions {
        mandatory: true,
        ..Default::default()
    };
    let sent = async {
        let confirm = channel
            .basic_publish(
                "".into(),
                topology::short(queue)?,
                options,
                body,
                properties,
            )
            .await?
            .await?;
        anyhow::ensure!(confirm.is_ack(), "RabbitMQ refused the copy for {queue}");
        anyhow::ensure!(confirm.take_message().is_none(), "queue {queue} is missing");
        Ok(())
    };
    tokio::time::timeout(BROKER_TIMEOUT, sent)
        .await
        .with_context(|| format!("RabbitMQ did not confirm the copy for {queue}"))?
        .with_context(|| format!("sending a copy to {queue}"))
}
