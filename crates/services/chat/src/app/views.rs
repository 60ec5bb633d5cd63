//! What the chat answers with, over REST and Socket.IO alike.

use chorus_core::Id;
use chorus_core::time::Timestamp;
use chorus_rpc::users::UserCard;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{CallKind, CallState, ConversationKind};
use crate::store::calls::CallRecord;
use crate::store::messages::MessageRecord;

/// `{id, conversation_id, sender, sender_id, content, created_at}`; `sender`
/// is null only for an account that no longer exists.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MessageView {
    pub id: Id,
    pub conversation_id: Id,
    pub sender: Option<UserCard>,
    pub sender_id: Id,
    pub content: String,
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl MessageView {
    pub fn new(record: MessageRecord, sender: Option<UserCard>) -> Self {
        Self {
            id: record.id,
            conversation_id: record.conversation_id,
            sender,
            sender_id: record.sender_id,
            content: record.content,
            created_at: record.created_at,
        }
    }
}

/// `{id, kind, title, members, created_by, created_at, last_message, unread_count}`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ConversationView {
    pub id: Id,
    pub kind: ConversationKind,
    pub title: Option<String>,
    /// Members in the order they joined (accounts that no longer exist are left out).
    pub members: Vec<UserCard>,
    pub created_by: Id,
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    pub last_message: Option<MessageView>,
    /// Messages from others after the caller's read receipt.
    pub unread_count: i64,
}

/// A call session: `{id, conversation_id, initiator_id, kind, state,
/// started_at, answered_at, ended_at}`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CallView {
    pub id: Id,
    pub conversation_id: Id,
    pub initiator_id: Id,
    pub kind: CallKind,
    pub state: CallState,
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub started_at: Timestamp,
    #[serde(serialize_with = "chorus_core::time::rfc3339::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<Timestamp>,
    #[serde(serialize_with = "chorus_core::time::rfc3339::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub ended_at: Option<Timestamp>,
}

impl From<CallRecord> for CallView {
    fn from(call: CallRecord) -> Self {
        Self {
            id: call.id,
            conversation_id: call.conversation_id,
            initiator_id: call.initiator_id,
            kind: call.kind,
            state: call.state,
            started_at: call.started_at,
            answered_at: call.answered_at,
            ended_at: call.ended_at,
        }
    }
}

/// A member as `room_users` lists them: the card, and presence.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RoomUser {
    pub id: Id,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub online: bool,
    #[serde(serialize_with = "chorus_core::time::rfc3339::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen_at: Option<Timestamp>,
}

/// A member's read receipt moved: `{conversation_id, user_id, message_id, read_at}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadReceipt {
    pub conversation_id: Id,
    pub user_id: Id,
    pub message_id: Id,
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    pub read_at: Timestamp,
}

/// `{ice_servers: [{urls, username?, credential?}]}`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IceServers {
    pub ice_servers: Vec<crate::config::IceServer>,
}
