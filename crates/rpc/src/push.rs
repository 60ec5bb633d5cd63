//! Realtime pushes between services, over the pub/sub port.
//!
//! Socket.IO connections are held by the chat service's instances (both
//! namespaces, `/chat` and `/notifications`, share one engine at
//! `/socket.io`, since a client may multiplex them on one connection). The
//! notifications service publishes each new or regrouped notification on
//! [`NOTIFICATIONS_CHANNEL`]; every chat instance listens and emits it to the
//! recipient's sockets on the `/notifications` namespace. Pub/sub keeps
//! nothing: a recipient with no socket open reads it later over REST.

use chorus_core::Id;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The pub/sub channel of notification pushes.
pub const NOTIFICATIONS_CHANNEL: &str = "push.notifications";

/// The Socket.IO namespace notifications are emitted on.
pub const NOTIFICATIONS_NAMESPACE: &str = "/notifications";

/// The Socket.IO event name of a pushed notification.
pub const NOTIFICATION_EVENT: &str = "notification";

/// One notification for one recipient, as `GET /api/v1/notifications` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationPush {
    pub recipient: Id,
    /// The notification object (`{id, type, actor, subject, created_at, read_at, …}`).
    pub notification: Value,
}

impl NotificationPush {
    pub fn to_bytes(&self) -> Vec<u8> {
        // Plain data: serialization cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_round_trips_with_the_recipient_as_a_string() {
        let push = NotificationPush {
            recipient: Id(7),
            notification: serde_json::json!({"id": "1", "type": "follow"}),
        };
        let json: Value = serde_json::from_slice(&push.to_bytes()).expect("json");
        assert_eq!(json["recipient"], "7");
        assert_eq!(
            NotificationPush::from_bytes(&push.to_bytes()).expect("parses"),
            push
        );
    }
}
