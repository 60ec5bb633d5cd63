//! The events the users service publishes, through its outbox, and the ones
//! it consumes. Ids serialize as strings.

use chorus_core::{Envelope, Id, IdGenerator};
use serde_json::{Value, json};

use crate::store::profiles::ProfileRecord;

pub const USER_UPDATED: &str = "user.updated";
pub const USER_FOLLOWED: &str = "user.followed";
pub const USER_UNFOLLOWED: &str = "user.unfollowed";
pub const FOLLOW_REQUESTED: &str = "follow.requested";
pub const FRIEND_REQUESTED: &str = "friend.requested";
pub const FRIEND_ACCEPTED: &str = "friend.accepted";
pub const FRIEND_REMOVED: &str = "friend.removed";
pub const USER_BLOCKED: &str = "user.blocked";
pub const USER_UNBLOCKED: &str = "user.unblocked";

/// Consumed.
pub const USER_REGISTERED: &str = "user.registered";
pub const POST_CREATED: &str = "post.created";
pub const POST_DELETED: &str = "post.deleted";
pub const MEDIA_UPLOADED: &str = "media.uploaded";
pub const MEDIA_DELETED: &str = "media.deleted";

fn event(ids: &IdGenerator, kind: &str, actor: Id, payload: Value) -> Envelope {
    Envelope::new(ids.next_id(), kind, Some(actor), payload)
}

/// `user.updated` `{user_id, username, display_name, bio, avatar_url, is_private}`
/// (`avatar_url` the avatar media's URL, `/media/{id}`, or `null`).
pub fn user_updated(ids: &IdGenerator, profile: &ProfileRecord) -> Envelope {
    event(
        ids,
        USER_UPDATED,
        profile.user_id,
        json!({
            "user_id": profile.user_id,
            "username": profile.username,
            "display_name": profile.display_name,
            "bio": profile.bio,
            "avatar_url": profile.avatar_url,
            "is_private": profile.is_private,
        }),
    )
}

/// `user.followed` `{follower_id, followee_id}`; `actor` is whoever made it
/// happen (the follower, or the followee approving).
pub fn user_followed(ids: &IdGenerator, actor: Id, follower: Id, followee: Id) -> Envelope {
    let payload = json!({ "follower_id": follower, "followee_id": followee });
    event(ids, USER_FOLLOWED, actor, payload)
}

/// `user.unfollowed` `{follower_id, followee_id}`.
pub fn user_unfollowed(ids: &IdGenerator, actor: Id, follower: Id, followee: Id) -> Envelope {
    let payload = json!({ "follower_id": follower, "followee_id": followee });
    event(ids, USER_UNFOLLOWED, actor, payload)
}

/// `follow.requested` `{request_id, follower_id, followee_id}`.
pub fn follow_requested(ids: &IdGenerator, request: Id, follower: Id, followee: Id) -> Envelope {
    let payload =
        json!({ "request_id": request, "follower_id": follower, "followee_id": followee });
    event(ids, FOLLOW_REQUESTED, follower, payload)
}

/// `friend.requested` `{request_id, from_id, to_id}`.
pub fn friend_requested(ids: &IdGenerator, request: Id, from: Id, to: Id) -> Envelope {
    let payload = json!({ "request_id": request, "from_id": from, "to_id": to });
    event(ids, FRIEND_REQUESTED, from, payload)
}

/// `friend.accepted` `{request_id, from_id, to_id}`, by the addressee `to`.
pub fn friend_accepted(ids: &IdGenerator, request: Id, from: Id, to: Id) -> Envelope {
    let payload = json!({ "request_id": request, "from_id": from, "to_id": to });
    event(ids, FRIEND_ACCEPTED, to, payload)
}

/// `friend.removed` `{user_id, friend_id}`: `user_id` ended it.
pub fn friend_removed(ids: &IdGenerator, user: Id, friend: Id) -> Envelope {
    let payload = json!({ "user_id": user, "friend_id": friend });
    event(ids, FRIEND_REMOVED, user, payload)
}

/// `user.blocked` `{blocker_id, blocked_id}`.
pub fn user_blocked(ids: &IdGenerator, blocker: Id, blocked: Id) -> Envelope {
    let payload = json!({ "blocker_id": blocker, "blocked_id": blocked });
    event(ids, USER_BLOCKED, blocker, payload)
}

/// `user.unblocked` `{blocker_id, blocked_id}`.
pub fn user_unblocked(ids: &IdGenerator, blocker: Id, blocked: Id) -> Envelope {
    let payload = json!({ "blocker_id": blocker, "blocked_id": blocked });
    event(ids, USER_UNBLOCKED, blocker, payload)
}
