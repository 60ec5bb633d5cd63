//! The connection to RabbitMQ and the supervisor that keeps one open.
//!
//! The current connection is published on a `watch` channel: `None` while
//! the broker is unreachable. Publishers and consumers read it; only the
//! supervisor replaces it, after it has declared the topology again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use lapin::options::ConfirmSelectOptions;
use lapin::uri::AMQPUri;
use lapin::{Channel, Connection, ConnectionProperties, Event};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::topology;
use crate::bus::Subscription;

/// How long a connection attempt may take before it counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Heartbeats detect a silent network failure within about twice this.
const HEARTBEAT_SECS: u16 = 10;
const FIRST_RECONNECT_WAIT: Duration = Duration::from_millis(100);
const MAX_RECONNECT_WAIT: Duration = Duration::from_secs(1);
/// How often the supervisor looks at the connection besides its error events.
const WATCH_INTERVAL: Duration = Duration::from_millis(250);
/// AMQP reply code for a normal close.
pub(super) const REPLY_SUCCESS: u16 = 200;

/// One open connection.
pub(super) struct Live {
    pub conn: Connection,
    /// The confirm-mode channel `publish` uses, reopened if the broker closes it.
    publisher: tokio::sync::Mutex<Option<Channel>>,
}

impl Live {
    pub fn is_connected(&self) -> bool {
        self.conn.status().connected()
    }

    pub async fn publisher(&self, namespace: &str) -> anyhow::Result<Channel> {
        let mut publisher = self.publisher.lock().await;
        if let Some(channel) = publisher.as_ref().filter(|c| c.status().connected()) {
            return Ok(channel.clone());
        }
        let channel = self.conn.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        // Declared again so that an exchange deleted by hand heals by itself.
        topology::declare_exchange(&channel, namespace).await?;
        *publisher = Some(channel.clone());
        Ok(channel)
    }
}

/// What the bus, its supervisor and its consumers share.
pub(super) struct Shared {
    uri: AMQPUri,
    /// For messages: the URL without its password.
    pub url: String,
    pub namespace: String,
    pub live: watch::Sender<Option<Arc<Live>>>,
    /// Every declared consumer, topics merged, declared again on each reconnect.
    declared: Mutex<HashMap<String, Subscription>>,
    pub closed: CancellationToken,
    pub consumers: TaskTracker,
    connections: AtomicU64,
}

impl Shared {
    pub fn new(url: &str, namespace: &str) -> anyhow::Result<Self> {
        let mut uri: AMQPUri = url.parse().map_err(|error| {
            anyhow::anyhow!("invalid AMQP URL {}: {error}", crate::store::redact(url))
        })?;
        uri.query.heartbeat.get_or_insert(HEARTBEAT_SECS);
        Ok(Self {
            uri,
            url: crate::store::redact(url),
            namespace: namespace.to_string(),
            live: watch::Sender::new(None),
            declared: Mutex::default(),
            closed: CancellationToken::new(),
            consumers: TaskTracker::new(),
            connections: AtomicU64::new(0),
        })
    }

    /// The connection, if it is up.
    pub fn current(&self) -> Option<Arc<Live>> {
        self.live
            .borrow()
            .as_ref()
            .filter(|live| live.is_connected())
            .cloned()
    }

    /// The connection, waiting up to `wait` for the supervisor to restore it.
    pub async fn wait_live(&self, wait: Duration) -> anyhow::Result<Arc<Live>> {
        anyhow::ensure!(!self.closed.is_cancelled(), "the event bus is closed");
        let mut live = self.live.subscribe();
        let up = live.wait_for(|live| live.as_ref().is_some_and(|l| l.is_connected()));
        let up = tokio::time::timeout(wait, up)
            .await
            .with_context(|| format!("RabbitMQ at {} is unreachable", self.url))?
            .context("the event bus is closed")?;
        up.clone().context("the event bus is closed")
    }

    /// Remembers `subscription` so that every later connection declares it.
    pub fn remember(&self, subscription: &Subscription) {
        let mut declared = self.declared.lock().unwrap_or_else(|e| e.into_inner());
        let known = declared
            .entry(subscription.consumer.clone())
            .or_insert_with(|| Subscription {
                topics: Vec::new(),
                ..subscription.clone()
            });
        for topic in &subscription.topics {
            if !known.topics.contains(topic) {
                known.topics.push(topic.clone());
            }
        }
    }

    /// Connects and declares the exchange and every remembered consumer.
    pub async fn establish(&self) -> anyhow::Result<Arc<Live>> {
        let number = self.connections.fetch_add(1, Ordering::Relaxed) + 1;
        let properties = ConnectionProperties::default()
            .with_connection_name(format!("chorus {} #{number}", self.namespace).into());
        let conn = tokio::time::timeout(
            CONNECT_TIMEOUT,
            Connection::connect_uri(self.uri.clone(), properties),
        )
        .await
        .map_err(|_| anyhow::anyhow!("connecting to RabbitMQ at {} timed out", self.url))?
        .with_context(|| format!("connecting to RabbitMQ at {}", self.url))?;
        let channel = conn.create_channel().await?;
        topology::declare_exchange(&channel, &self.namespace).await?;
        let _ = channel.close(REPLY_SUCCESS, "declared".into()).await;
        let declared: Vec<Subscription> = self
            .declared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        for subscription in declared {
            // One channel each: a refused declaration closes its channel, and
            // one bad consumer must not keep the others (or publishing) down.
            let declared = async {
                let channel = conn.create_channel().await?;
                topology::declare_consumer(&channel, &self.namespace, &subscription).await?;
                let _ = channel.close(REPLY_SUCCESS, "declared".into()).await;
                anyhow::Ok(())
            };
            if let Err(error) = declared.await {
                tracing::error!(consumer = %subscription.consumer, error = %format!("{error:#}"), "could not declare consumer queues");
            }
        }
        Ok(Arc::new(Live {
            conn,
            publisher: tokio::sync::Mutex::new(None),
        }))
    }
}

/// Watches the connection and, when it is lost, reconnects with backoff and
/// declares the topology again; consumers notice and restart by themselves.
pub(super) async fn supervise(shared: Arc<Shared>) {
    loop {
        let Some(live) = shared.live.borrow().clone() else {
            return;
        };
        tokio::select! {
            _ = shared.closed.cancelled() => return,
            _ = lost(&live.conn) => {}
        }
        drop(live);
        shared.live.send_replace(None);
        tracing::warn!(url = %shared.url, "lost the connection to RabbitMQ; reconnecting");
        let mut wait = FIRST_RECONNECT_WAIT;
        let live = loop {
            let attempt = tokio::select! {
                _ = shared.closed.cancelled() => return,
                attempt = shared.establish() => attempt,
            };
            match attempt {
                Ok(live) => break live,
                Err(error) => {
                    tracing::debug!(error = %format!("{error:#}"), ?wait, "RabbitMQ still unreachable");
                    tokio::select! {
                        _ = shared.closed.cancelled() => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                    wait = (wait * 2).min(MAX_RECONNECT_WAIT);
                }
            }
        };
        tracing::info!(url = %shared.url, "reconnected to RabbitMQ");
        shared.live.send_replace(Some(live));
    }
}

/// Resolves once `conn` has failed or closed.
async fn lost(conn: &Connection) {
    let mut events = std::pin::pin!(conn.events_listener());
    let mut tick = tokio::time::interval(WATCH_INTERVAL);
    loop {
        tokio::select! {
            event = events.next() => {
                if matches!(event, None | Some(Event::Error(_))) {
                    return;
                }
            }
            _ = tick.tick() => {
                if !conn.status().connected() {
                    return;
                }
            }
        }
    }
}
