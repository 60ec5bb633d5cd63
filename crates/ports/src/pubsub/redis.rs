//! Redis pub/sub adapter on fred.
//!
//! Publishing goes through an ordinary client. Receiving goes through one
//! dedicated subscriber connection per adapter, which fred resubscribes after
//! every reconnect. Each Redis channel is subscribed once however many local
//! streams follow it: one task reads the connection's messages and fans each
//! out to that channel's local broadcast, and the last stream of a channel to
//! be dropped unsubscribes it.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

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
use crate::cache::redis::{builder, init};

/// Messages a slow local subscriber may fall behind by before it starts missing some.
const CHANNEL_CAPACITY: usize = 1024;

/// Messages fred buffers between the connection and our fan-out task.
const CONNECTION_CAPACITY: usize = 4096;

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
    /// The local fan-out of each (namespaced) channel.
    locals: Mutex<HashMap<String, broadcast::Sender<Bytes>>>,
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
            locals: Mutex::new(HashMap::new()),
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
                let sender = shared.locals().get(&*message.channel).cloned();
                let Some(sender) = sender else { continue };
                match message.value.convert::<Bytes>() {
                    // No local stream left is fine: its unsubscribe is on the way.
                    Ok(payload) => {
                        let _ = sender.send(payload);
                    }
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
    fn locals(&self) -> std::sync::MutexGuard<'_, HashMap<String, broadcast::Sender<Bytes>>> {
        self.locals.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets `channel` locally if no stream follows it any more; answers
    /// whether it did.
    fn forget_if_unused(&self, channel: &str) -> bool {
        let mut locals = self.locals();
        match locals.get(channel) {
            Some(sender) if sender.receiver_count() > 0 => false,
            _ => {
                locals.remove(channel);
                true
            }
        }
    }

    /// Unsubscribes `channel` on Redis if its last local stream has gone.
    async fn release(&self, channel: String) {
        let mut remote = self.remote.lock().await;
        if !self.closed.load(Ordering::Acquire)
            && self.forget_if_unused(&channel)
            && remote.remove(&channel)
            && let Err(error) = self.subscriber.unsubscribe(channel.clone()).await
        {
            // Harmless: the dispatcher drops messages of channels nobody follows.
            tracing::warn!(channel, %error, "could not unsubscribe a Redis channel");
        }
    }
}

/// Releases the channel when a stream is dropped.
struct Unsubscribe {
    shared: Arc<Shared>,
    channel: String,
}

impl Drop for Unsubscribe {
    fn drop(&mut self) {
        let shared = self.shared.clone();
        let channel = std::mem::take(&mut self.channel);
        self.shared
            .runtime
            .spawn(async move { shared.release(channel).await });
    }
}

/// One local stream's state. Field order matters: the receiver is dropped
/// before the guard runs, so the guard sees this stream gone.
struct Subscription {
    receiver: broadcast::Receiver<Bytes>,
    _unsubscribe: Unsubscribe,
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

    async fn subscribe(&self, channel: &str) -> anyhow::Result<BoxStream<'static, Bytes>> {
        let channel = self.channel(channel);
        let mut remote = self.shared.remote.lock().await;
        // Listen locally before subscribing, so nothing published after
        // `subscribe` returns can be missed.
        let receiver = self
            .shared
            .locals()
            .entry(channel.clone())
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe();
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
                drop(receiver);
                if self.shared.forget_if_unused(&channel) {
                    // Else fred would resubscribe it after the next reconnect.
                    let _ = subscriber.unsubscribe(channel.clone()).await;
                }
                return Err(error).context("subscribing on Redis");
            }
            remote.insert(channel.clone());
        }
        drop(remote);

        let subscription = Subscription {
            receiver,
            _unsubscribe: Unsubscribe {
                shared: self.shared.clone(),
                channel,
            },
        };
        let stream = futures::stream::unfold(subscription, |mut subscription| async move {
            loop {
                match subscription.receiver.recv().await {
                    Ok(message) => return Some((message, subscription)),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "pub/sub subscriber fell behind");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Ok(stream.boxed())
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
        self.shared.locals().clear();
        let publisher = self.publisher.clone();
        let subscriber = self.shared.subscriber.clone();
        self.shared.runtime.spawn(async move {
            let _ = publisher.quit().await;
            let _ = subscriber.quit().await;
        });
    }
}
