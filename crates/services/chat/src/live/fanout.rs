//! Room emits through pub/sub: every instance subscribes to [`CHANNEL`] and
//! emits each message to its own sockets in the named rooms, so members
//! connected to different instances see each other (in one process the
//! in-memory pub/sub loops the message back the same way).

use std::sync::Arc;

use bytes::Bytes;
use chorus_ports::PubSub;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The pub/sub channel of chat room emits.
pub const CHANNEL: &str = "chat.rooms";

/// One event for every socket in any of `rooms` of `namespace`, except the
/// socket `except` (the sender, for `user_typing` and call relays).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomEmit {
    pub namespace: String,
    pub rooms: Vec<String>,
    pub event: String,
    pub data: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub except: Option<String>,
}

impl RoomEmit {
    pub fn new(
        namespace: &str,
        rooms: Vec<String>,
        event: &str,
        data: Value,
        except: Option<&str>,
    ) -> Self {
        Self {
            namespace: namespace.to_string(),
            rooms,
            event: event.to_string(),
            data,
            except: except.map(str::to_string),
        }
    }

    pub fn to_bytes(&self) -> Bytes {
        // Plain data: serialization cannot fail.
        Bytes::from(serde_json::to_vec(self).unwrap_or_default())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}

/// Publishes room emits; cheap to clone.
#[derive(Clone)]
pub struct Fanout {
    pubsub: Arc<dyn PubSub>,
}

impl Fanout {
    pub fn new(pubsub: Arc<dyn PubSub>) -> Self {
        Self { pubsub }
    }

    /// Fire and forget: a live event that cannot be published is logged,
    /// never failed back to a client whose change is already committed
    /// (it reads the change over REST).
    pub async fn publish(&self, emit: RoomEmit) {
        if emit.rooms.is_empty() {
            return;
        }
        if let Err(error) = self.pubsub.publish(CHANNEL, emit.to_bytes()).await {
            tracing::warn!(error = %format!("{error:#}"), event = %emit.event, "cannot publish a room emit");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_emit_round_trips() {
        let emit = RoomEmit::new(
            "/chat",
            vec!["conversation:1".into()],
            "user_typing",
            serde_json::json!({"roomId": "1"}),
            Some("sid"),
        );
        assert_eq!(
            RoomEmit::from_bytes(&emit.to_bytes()).expect("parses"),
            emit
        );
    }
}
