//! The events the chat service publishes through its outbox. Ids serialize
//! as strings.

use chorus_core::{Envelope, Id, IdGenerator};
use serde_json::json;

use crate::store::messages::MessageRecord;

pub const MESSAGE_SENT: &str = "message.sent";

/// Characters of a message that `message.sent` carries as its preview.
pub const PREVIEW_CHARS: usize = 100;

/// `message.sent` `{message_id, conversation_id, sender_id, recipient_ids,
/// offline_ids, preview, created_at}`: `recipient_ids` is every member but
/// the sender, `offline_ids` those of them with no chat socket open
/// anywhere when it was sent (whom a notification should reach).
pub fn message_sent(
    ids: &IdGenerator,
    message: &MessageRecord,
    recipients: &[Id],
    offline: &[Id],
) -> Envelope {
    let preview: String = message.content.chars().take(PREVIEW_CHARS).collect();
    let payload = json!({
        "message_id": message.id,
        "conversation_id": message.conversation_id,
        "sender_id": message.sender_id,
        "recipient_ids": recipients,
        "offline_ids": offline,
        "preview": preview,
        "created_at": message.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    });
    Envelope::new(
        ids.next_id(),
        MESSAGE_SENT,
        Some(message.sender_id),
        payload,
    )
}

#[cfg(test)]
mod tests {
    use chorus_core::time::now;

    use super::*;

    #[test]
    fn message_sent_carries_ids_as_strings_and_a_short_preview() {
        let message = MessageRecord {
            id: Id(10),
            conversation_id: Id(20),
            sender_id: Id(1),
            content: "x".repeat(150),
            created_at: now(),
        };
        let event = message_sent(&IdGenerator::new(1), &message, &[Id(2), Id(3)], &[Id(3)]);
        assert_eq!(event.kind, MESSAGE_SENT);
        assert_eq!(event.actor, Some(Id(1)));
        let payload = &event.payload;
        assert_eq!(payload["message_id"], "10");
        assert_eq!(payload["recipient_ids"], json!(["2", "3"]));
        assert_eq!(payload["offline_ids"], json!(["3"]));
        assert_eq!(payload["preview"].as_str().expect("str").len(), 100);
    }
}
