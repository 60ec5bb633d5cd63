//! Redis pub/sub adapter on fred.
//!
//! Publishing goes through an ordinary client. Receiving goes through one
//! dedicated subscriber connection per adapter, which fred resubscribes after
//! every reconnect. Each Redis channel is subscribed once however many local
//! streams follow it: one task reads the connection's messages and offers each
//! to the queue of every local stream of that channel, and the last stream of
//! a channel to be dropped unsubscribes it.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use async_trait::async_trait;
use bytes::Bytes;
use fred::clients::SubscriberClient;
use fred::prelude::*;
use fred::types::Message;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::PubSub;
use super::fanout::{Fanout, Subscription};
use crate::cache::redis::{builder, init};

/// Messages fred buffers between the subscriber connection and our dispatcher
/// task; if the dispatcher falls further behind, messages are lost for every
/// local stream. The dispatcher never waits on a stream, but it can be kept
/// off the CPU for a while (by fred's own reader tasks decoding a burst), so
/// this must hold a whole burst: 16,384 covers a batch of 10,000 (a committed
/// batch of pushes is ~1,000) even if the dispatcher does not run meanwhile.
///
/// Not larger, because it costs memory up front: fred (10.1) gives each client
/// eight tokio broadcast channels of this capacity (messages, errors,
/// reconnections, ...), and a tokio broadcast channel allocates all its slots
/// when created: 608 bytes per unit of capacity in all (measured), so about
/// 9.5 MiB for the one subscriber connection of an adapter (65,536 would be
/// 38 MiB). The publisher keeps fred's default (32).
const CONNECTION_CAPACITY: usize = 16_384;

pub struct RedisPubSub {
    namespace: String,
    publisher: Client,
    shared: Arc<Shared>,
    /// Fans messages out to local streams.
    dispatcher: JoinHandle<()>,
    /// Resubscribes every tracked channel after a reconnect.
    resubscriber: JoinHandle<()>,
}

/// What the streams share with the adapter.
struct Shared {
    subscriber: SubscriberClient,
    /// The local streams of each (namespaced) channel.
    locals: Fanout,
    /// Channels subscribed on Redis. Its lock orders SUBSCRIBE and UNSUBSCRIBE,
    /// so a stream being dropped cannot unsubscribe a channel that a new stream
    /// has just joined.
    remote: tokio::sync::Mutex<HashSet<String>>,
    /// Where a dropped stream spawns its unsubscribe (drop cannot await).
    runtime: tokio::runtime::Handle,
    /// Set when the adapter is dropped: its connections are closing, and
    /// streams dropped afterwards have nothing to unsubscribe.
    closed: AtomicBool,
}

impl RedisPubSub {
    /// Connects a publisher and a subscriber to the Redis at `url`. Fails if
    /// either cannot connect now; afterwards both reconnect by themselves.
    pub async fn connect(url: &str, namespace: &str) -> anyhow::Result<Self> {
        let mut builder = builder(url)?;
        let publisher = builder.build().context("configuring the Redis publisher")?;
        builder.with_performance_config(|p| p.broadcast_channel_capacity = CONNECTION_CAPACITY);
        let subscriber = builder
            .build_subscriber_client()
            .context("configuring the Redis subscriber")?;
        init(&publisher, url).await?;
        if let Err(error) = init(&subscriber, url).await {
            let _ = publisher.quit().await;
            return Err(error);
        }

        // Taken before any SUBSCRIBE so that no message can arrive unseen.
        let messages = subscriber.message_rx();
        let shared = Arc::new(Shared {
            subscriber: subscriber.clone(),
            locals: Fanout::default(),
            remote: tokio::sync::Mutex::new(HashSet::new()),
            runtime: tokio::runtime::Handle::current(),
            closed: AtomicBool::new(false),
        });
        let dispatcher = tokio::spawn(dispatch(messages, shared.clone()));
        let resubscriber = subscriber.manage_subscriptions();
        Ok(Self {
            namespace: namespace.to_string(),
            publisher,
            shared,
            dispatcher,
            resubscriber,
        })
    }

    fn channel(&self, channel: &str) -> String {
        format!("{}:{channel}", self.namespace)
    }
}

/// Hands each message from Redis to the local streams of its channel.
async fn dispatch(mut messages: broadcast::Receiver<Message>, shared: Arc<Shared>) {
    loop {
        match messages.recv().await {
            Ok(message) => {
                match message.value.convert::<Bytes>() {
                    // No local stream left is fine: its unsubscribe is on the way.
                    Ok(payload) => shared.locals.send(&message.channel, [payload]),
                    Err(error) => {
                        tracing::warn!(channel = %message.channel, %error, "unreadable pub/sub message");
                    }
                }
            }
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "Redis pub/sub fan-out fell behind; messages lost");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

impl Shared {
    /// Unsubscribes `channel` on Redis if its last local stream has gone.
    async fn release(&self, channel: String) {
        let mut remote = self.remote.lock().await;
        // Checked again under the lock: a stream may have joined meanwhile.
        if !self.closed.load(Ordering::Acquire)
            && self.locals.forget_if_unused(&channel)
            && remote.remove(&channel)
            && let Err(error) = self.subscriber.unsubscribe(channel.clone()).await
        {
            // Harmless: the dispatcher drops messages of channels nobody follows.
            tracing::warn!(channel, %error, "could not unsubscribe a Redis channel");
        }
    }
}

/// Takes a stream out of its channel when it is dropped, and releases the
/// channel on Redis if that was its last local stream.
struct Unsubscribe {
    shared: Arc<Shared>,
    channel: String,
    id: u64,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        if !self.shared.locals.leave(&self.channel, self.id) {
            return;
        }
        let shared = self.shared.clone();
        let channel = std::mem::take(&mut self.channel);
        self.shared
            .runtime
            .spawn(async move { shared.release(channel).await });
    }
}

#[async_trait]
impl PubSub for RedisPubSub {
    async fn publish(&self, channel: &str, message: Bytes) -> anyhow::Result<()> {
        let _receivers: i64 = self
            .publisher
            .publish(self.channel(channel), message)
            .await
            .context("publishing on Redis")?;
        Ok(())
    }

    async fn publish_all(&self, channel: &str, messages: Vec<Bytes>) -> anyhow::Result<()> {
        if messages.is_empty() {
            return Ok(());
        }
        // One pipeline: one round trip for the batch, in order.
        let channel = self.channel(channel);
        let pipeline = self.publisher.pipeline();
        for message in messages {
            let () = pipeline
                .publish(channel.clone(), message)
                .await
                .context("queueing a Redis publish")?;
        }
        let _receivers: Vec<i64> = pipeline.all().await.context("publishing on Redis")?;
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> anyhow::Result<BoxStream<'static, Bytes>> {
        let channel = self.channel(channel);
        let mut remote = self.shared.remote.lock().await;
        // Listen locally before subscribing, so nothing published after
        // `subscribe` returns can be missed.
        let (id, queue) = self.shared.locals.join(&channel);
        // Made now so that the stream leaves its channel even if this future
        // is dropped before it returns.
        let unsubscribe = Unsubscribe {
            shared: self.shared.clone(),
            channel: channel.clone(),
            id,
        };
        if !remote.contains(&channel) {
            let subscriber = &self.shared.subscriber;
            let subscribed = async {
                subscriber.subscribe(channel.clone()).await?;
                // fred's SUBSCRIBE returns once written, before Redis has
                // applied it. Redis answers one connection in order, so the
                // PING's answer means the subscription is live.
                subscriber.ping::<Value>(None).await
            };
            if let Err(error) = subscribed.await {
                // Its release finds the channel not subscribed on Redis; so
                // unsubscribe here, in case the SUBSCRIBE went out.
                drop(unsubscribe);
                if self.shared.locals.forget_if_unused(&channel) {
                    // Else fred would resubscribe it after the next reconnect.
                    let _ = subscriber.unsubscribe(channel.clone()).await;
                }
                return Err(error).context("subscribing on Redis");
            }
            remote.insert(channel.clone());
        }
        drop(remote);
        Ok(Subscription::new(queue, unsubscribe).boxed())
    }

    async fn ping(&self) -> anyhow::Result<()> {
        let _pong: String = self.publisher.ping(None).await.context("pinging Redis")?;
        anyhow::ensure!(
            self.shared.subscriber.is_connected(),
            "the Redis subscriber connection is down"
        );
        Ok(())
    }
}

impl Drop for RedisPubSub {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::Release);
        self.dispatcher.abort();
        self.resubscriber.abort();
        // Ends every open stream, instead of leaving them waiting forever.
        self.shared.locals.clear();
        let publisher = self.publisher.clone();
        let subscriber = self.shared.subscriber.clone();
        self.shared.runtime.spawn(async move {
            let _ = publisher.quit().await;
            let _ = subscriber.quit().await;
        });
    }
}
