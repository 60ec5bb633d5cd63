//! Realtime: each stored (or regrouped) notification goes out on the
//! pub/sub channel the chat instances relay to the recipient's sockets.
//! Best effort: it is committed already, and the REST list has it.

use bytes::Bytes;
use chorus_rpc::push::{NOTIFICATIONS_CHANNEL, NotificationPush};

use super::Notifications;
use crate::store::notifications::NotificationRow;

impl Notifications {
    pub(super) async fn push(&self, rows: Vec<NotificationRow>) {
        if rows.is_empty() {
            return;
        }
        let recipients: Vec<_> = rows.iter().map(|row| (row.id, row.recipient_id)).collect();
        let views = match self.hydrate(rows).await {
            Ok(views) => views,
            Err(error) => {
                tracing::warn!(%error, "not pushing notifications: their actors' cards are unavailable");
                return;
            }
        };
        for view in views {
            let Some(&(_, recipient)) = recipients.iter().find(|(id, _)| *id == view.id) else {
                continue;
            };
            let notification = match serde_json::to_value(&view) {
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
            let sent = self
                .pubsub()
                .publish(NOTIFICATIONS_CHANNEL, Bytes::from(push.to_bytes()))
                .await;
            if let Err(error) = sent {
                tracing::warn!(error = %format!("{error:#}"), id = %view.id, "a notification push failed");
            }
        }
    }
}
