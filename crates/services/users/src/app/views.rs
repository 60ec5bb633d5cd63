//! What the use cases answer, as the API shows it.

use chorus_core::Id;
use chorus_core::time::Timestamp;
use chorus_rpc::users::{FollowState, FriendRequestDirection, Profile, Relationship, UserCard};
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::profiles::ProfileRecord;
use crate::store::relations::Ties;

/// `{"state": "following" | "requested"}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = FollowStateAnswer)]
pub struct FollowStateView {
    pub state: FollowState,
}

/// A request to follow me: `{id, follower, created_at}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = FollowRequest)]
pub struct FollowRequestView {
    pub id: Id,
    pub follower: Profile,
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FriendRequestStatus {
    Pending,
    Accepted,
}

/// `{id, from, to, status, created_at}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = FriendRequest)]
pub struct FriendRequestView {
    pub id: Id,
    pub from: UserCard,
    pub to: UserCard,
    pub status: FriendRequestStatus,
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

pub fn card(record: &ProfileRecord) -> UserCard {
    UserCard {
        id: record.user_id,
        username: record.username.clone(),
        display_name: record.display_name.clone(),
        avatar_url: record.avatar_url.clone(),
    }
}

/// A profile; `ties` (the viewer's, when signed in) fills `relationship`.
pub fn profile(record: ProfileRecord, ties: Option<Ties>) -> Profile {
    Profile {
        id: record.user_id,
        username: record.username,
        display_name: record.display_name,
        bio: record.bio,
        avatar_url: record.avatar_url,
        is_private: record.is_private,
        followers_count: record.followers_count,
        following_count: record.following_count,
        posts_count: record.posts_count,
        created_at: record.created_at,
        relationship: ties.map(relationship),
    }
}

fn relationship(ties: Ties) -> Relationship {
    let friend_request = match (ties.friend_request_sent, ties.friend_request_received) {
        (true, _) => Some(FriendRequestDirection::Sent),
        (false, true) => Some(FriendRequestDirection::Received),
        (false, false) => None,
    };
    Relationship {
        following: ties.following,
        followed_by: ties.followed_by,
        follow_requested: ties.follow_requested,
        friends: ties.friends,
        friend_request,
        blocking: ties.blocking,
    }
}
