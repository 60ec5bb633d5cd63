//! What the notifications service consumes: the graph, posts, comments,
//! reactions, messages, and the deletions and blocks that take
//! notifications back. Each event is applied once (the inbox), in one
//! transaction with its effect; what is queued comes in batches of up to
//! [`BATCH`], each batch in one transaction.

use async_trait::async_trait;
use chorus_core::Envelope;
use chorus_ports::{EventHandler, RetryPolicy, Subscription};

use crate::NAME;
use crate::app::Notifications;
use crate::events::TOPICS;

/// Events applied in one transaction at most. A batch costs about ten
/// statements and one commit (a sync to disk) whatever its size, so under a
/// backlog bigger batches go faster; the consumer never waits to fill one.
pub const BATCH: usize = 1024;

/// Consumer `notifications`.
pub fn subscriptions() -> Vec<Subscription> {
    vec![Subscription {
        consumer: NAME.to_string(),
        topics: TOPICS.map(String::from).to_vec(),
        retry: RetryPolicy::default(),
        batch: BATCH,
        expires_after: None,
    }]
}

pub struct Consumer {
    notifications: Notifications,
}

impl Consumer {
    pub fn new(notifications: Notifications) -> Self {
        Self { notifications }
    }
}

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.notifications.apply(event).await
    }

    async fn handle_batch(&self, events: &[Envelope]) -> anyhow::Result<()> {
        self.notifications.apply_batch(events).await
    }
}
