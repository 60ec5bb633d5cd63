//! The events the auth service publishes, through its outbox.

use chorus_core::{Envelope, Id, IdGenerator};
use chrono::SecondsFormat;
use serde_json::json;

use crate::store::UserRecord;
use crate::tokens::RevokeReason;

pub const USER_REGISTERED: &str = "user.registered";
pub const SESSION_REVOKED: &str = "session.revoked";

/// `user.registered` `{user_id, username, display_name, created_at}`.
pub fn user_registered(ids: &IdGenerator, user: &UserRecord) -> Envelope {
    Envelope::new(
        ids.next_id(),
        USER_REGISTERED,
        Some(user.id),
        json!({
            "user_id": user.id,
            "username": user.username,
            "display_name": user.display_name,
            "created_at": user.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        }),
    )
}

/// `session.revoked` `{session_id, user_id, reason}`.
pub fn session_revoked(
    ids: &IdGenerator,
    session_id: Id,
    user_id: Id,
    reason: RevokeReason,
) -> Envelope {
    Envelope::new(
        ids.next_id(),
        SESSION_REVOKED,
        Some(user_id),
        json!({
            "session_id": session_id,
            "user_id": user_id,
            "reason": reason.as_str(),
        }),
    )
}
