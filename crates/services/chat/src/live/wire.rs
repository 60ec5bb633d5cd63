//! The Socket.IO events the server emits, and their payloads: the wire
//! contract clients code against. Ids are strings, times RFC 3339.

use chorus_core::Id;
use chorus_core::time::Timestamp;
use chorus_rpc::users::UserCard;
use serde_json::{Value, json};

use crate::app::views::{MessageView, ReadReceipt, RoomUser};
use crate::domain::CallKind;

pub const MESSAGE_HISTORY: &str = "message_history";
pub const ROOM_USERS: &str = "room_users";
pub const NEW_MESSAGE: &str = "new_message";
pub const USER_TYPING: &str = "user_typing";
pub const PRESENCE: &str = "presence";
pub const MESSAGE_READ: &str = "message_read";
pub const CALL_INVITE: &str = "call_invite";
pub const CALL_ACCEPT: &str = "call_accept";
pub const CALL_REJECT: &str = "call_reject";
pub const CALL_HANGUP: &str = "call_hangup";
pub const CALL_OFFER: &str = "call_offer";
pub const CALL_ANSWER: &str = "call_answer";
pub const CALL_ICE: &str = "call_ice";
/// A refusal of an event sent without an ack callback.
pub const ERROR: &str = "error";

fn time(at: Timestamp) -> Value {
    Value::String(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
}

fn object(value: impl serde::Serialize) -> serde_json::Map<String, Value> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// The message object, plus `roomId` and `message` (its content), as
/// clients written for `{roomId, message}` expect.
pub fn new_message(message: &MessageView) -> Value {
    let mut payload = object(message);
    payload.insert("roomId".into(), json!(message.conversation_id));
    payload.insert("message".into(), json!(message.content));
    Value::Object(payload)
}

/// `{roomId, messages (oldest first), next_cursor (older ones, over REST)}`.
pub fn message_history(room: Id, messages: &[MessageView], next_cursor: Option<String>) -> Value {
    json!({ "roomId": room, "messages": messages, "next_cursor": next_cursor })
}

pub fn room_users(room: Id, users: &[RoomUser]) -> Value {
    json!({ "roomId": room, "users": users })
}

pub fn presence(user: Id, online: bool, last_seen_at: Option<Timestamp>) -> Value {
    json!({ "user_id": user, "online": online, "last_seen_at": last_seen_at.map(time) })
}

pub fn user_typing(room: Id, user: Id, username: &str, is_typing: bool) -> Value {
    json!({ "roomId": room, "user_id": user, "username": username, "isTyping": is_typing })
}

pub fn message_read(receipt: &ReadReceipt) -> Value {
    json!({
        "roomId": receipt.conversation_id,
        "user_id": receipt.user_id,
        "message_id": receipt.message_id,
        "read_at": time(receipt.read_at),
    })
}

pub fn call_invite(call: Id, room: Id, from: &UserCard, kind: CallKind) -> Value {
    json!({ "callId": call, "roomId": room, "from": from, "kind": kind.as_str() })
}

/// `call_accept`, `call_reject`, `call_hangup`: `{callId, roomId, from}`,
/// and `reason` when the server ends a call itself (`"missed"`).
pub fn call_update(call: Id, room: Id, from: Id, reason: Option<&str>) -> Value {
    let mut payload = json!({ "callId": call, "roomId": room, "from": from });
    if let (Some(reason), Some(map)) = (reason, payload.as_object_mut()) {
        map.insert("reason".into(), json!(reason));
    }
    payload
}

/// `call_offer`/`call_answer` (`field` = `sdp`) and `call_ice`
/// (`field` = `candidate`): `{callId, roomId, from, <field>}`.
pub fn call_signal(call: Id, room: Id, from: Id, field: &str, value: Value) -> Value {
    let mut payload = json!({ "callId": call, "roomId": room, "from": from });
    if let Some(map) = payload.as_object_mut() {
        map.insert(field.into(), value);
    }
    payload
}

/// `{event, code, message}`: what an event without an ack gets when refused.
pub fn error(event: &str, code: &str, message: &str) -> Value {
    json!({ "event": event, "code": code, "message": message })
}

#[cfg(test)]
mod tests {
    use chorus_core::time::now;

    use super::*;

    #[test]
    fn a_new_message_is_the_message_object_with_room_id_and_content() {
        let view = MessageView {
            id: Id(5),
            conversation_id: Id(9),
            sender: None,
            sender_id: Id(1),
            content: "hello".into(),
            created_at: now(),
        };
        let payload = new_message(&view);
        assert_eq!(payload["id"], "5");
        assert_eq!(payload["roomId"], "9");
        assert_eq!(payload["conversation_id"], "9");
        assert_eq!(payload["message"], "hello");
        assert_eq!(payload["content"], "hello");
        assert!(payload["created_at"].is_string());
    }

    #[test]
    fn a_signal_carries_its_field_and_an_update_its_reason() {
        let offer = call_signal(Id(1), Id(2), Id(3), "sdp", json!("v=0"));
        assert_eq!(offer["sdp"], "v=0");
        assert_eq!(offer["from"], "3");
        let missed = call_update(Id(1), Id(2), Id(3), Some("missed"));
        assert_eq!(missed["reason"], "missed");
        assert!(
            call_update(Id(1), Id(2), Id(3), None)
                .get("reason")
                .is_none()
        );
    }
}
