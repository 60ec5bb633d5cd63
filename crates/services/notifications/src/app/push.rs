//! Realtime: each stored (or regrouped) notification goes out on the
//! pub/sub channel the chat instances relay to the recipient's sockets.
//! Best effort: it is committed already, and the REST list has it.
//!
//! One task sends the pushes of committed batches, in commit order, so a
//! batch's handler returns at its commit and the next batch is applied
//! while this one's actors' cards are fetched and its pushes published.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use chorus_core::Id;
use chorus_ports::PubSub;
use chorus_rpc::UsersApi;
use chorus_rpc::push::{NOTIFICATIONS_CHANNEL, NotificationPush};
use tokio::sync::mpsc;

use super::hydrate::hydrate;
use crate::store::notifications::NotificationRow;

/// Committed batches waiting for their pushes: past that, a handler waits,
/// so pushes never fall further behind.
const QUEUED_BATCHES: usize = 16;

/// The sending end of the push task; the task ends when it is dropped.
pub(super) struct Pusher {
    queue: mpsc::Sender<Vec<NotificationRow>>,
}

impl Pusher {
    /// Starts the push task (on the current Tokio runtime).
    pub(super) fn start(users: Arc<dyn UsersApi>, pubsub: Arc<dyn PubSub>) -> Self {
        let (queue, mut committed) = mpsc::channel::<Vec<NotificationRow>>(QUEUED_BATCHES);
        tokio::spawn(async move {
            while let Some(rows) = committed.recv().await {
                push(users.as_ref(), pubsub.as_ref(), rows).await;
            }
        });
        Self { queue }
    }

    /// Queues the pushes of a committed batch, in order.
    pub(super) async fn send(&self, rows: Vec<NotificationRow>) {
        if rows.is_empty() {
            return;
        }
        if self.queue.send(rows).await.is_err() {
            tracing::warn!("not pushing notifications: the push task has stopped");
        }
    }
}

async fn push(users: &dyn UsersApi, pubsub: &dyn PubSub, rows: Vec<NotificationRow>) {
    let recipients: HashMap<Id, Id> = rows.iter().map(|row| (row.id, row.recipient_id)).collect();
    let views = match hydrate(users, rows).await {
        Ok(views) => views,
        Err(error) => {
            tracing::warn!(%error, "not pushing notifications: their actors' cards are unavailable");
            return;
        }
    };
    let mut messages = Vec::with_capacity(views.len());
    for view in &views {
        let Some(&recipient) = recipients.get(&view.id) else {
            continue;
        };
        let notification = match serde_json::to_value(view) {
            Ok(json) => json,
            Err(error) => {
                tracing::warn!(%error, "a notification did not serialize");
                continue;
            }
        };
        let push = NotificationPush {
            recipient,
            notification,
        };
        messages.push(Bytes::from(push.to_bytes()));
    }
    // One batch, in order: a group's pushes arrive as it grew.
    if let Err(error) = pubsub.publish_all(NOTIFICATIONS_CHANNEL, messages).await {
        tracing::warn!(error = %format!("{error:#}"), "notification pushes failed");
    }
}
