//! The kinds of notification, as the API names them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `type` of a notification.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = NotificationType)]
pub enum Kind {
    /// Someone follows you (grouped).
    Follow,
    /// Someone asks to follow your private account.
    FollowRequest,
    /// The private account you asked to follow approved.
    FollowAccepted,
    /// Someone asks to be your friend.
    FriendRequest,
    /// Your friend request was accepted.
    FriendAccepted,
    /// Someone commented on your post (grouped per post).
    Comment,
    /// Someone replied to your comment.
    Reply,
    /// Someone reacted to your post (grouped per post).
    Reaction,
    /// Someone mentioned you in a post or a comment.
    Mention,
    /// Someone reposted your post (grouped per post).
    Repost,
    /// A message came while you were offline (grouped per conversation).
    Message,
}

/// A name that is no notification type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKind(pub String);

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::Follow,
        Kind::FollowRequest,
        Kind::FollowAccepted,
        Kind::FriendRequest,
        Kind::FriendAccepted,
        Kind::Comment,
        Kind::Reply,
        Kind::Reaction,
        Kind::Mention,
        Kind::Repost,
        Kind::Message,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Follow => "follow",
            Kind::FollowRequest => "follow_request",
            Kind::FollowAccepted => "follow_accepted",
            Kind::FriendRequest => "friend_request",
            Kind::FriendAccepted => "friend_accepted",
            Kind::Comment => "comment",
            Kind::Reply => "reply",
            Kind::Reaction => "reaction",
            Kind::Mention => "mention",
            Kind::Repost => "repost",
            Kind::Message => "message",
        }
    }

    pub fn parse(name: &str) -> Result<Kind, UnknownKind> {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| UnknownKind(name.to_string()))
    }

    /// Repeats on one subject merge into the unread notification about it.
    pub fn groups(self) -> bool {
        matches!(
            self,
            Kind::Follow | Kind::Comment | Kind::Reaction | Kind::Repost | Kind::Message
        )
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_back_from_its_name_and_serializes_as_it() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Ok(kind));
            let json = serde_json::to_value(kind).expect("serializes");
            assert_eq!(json, kind.as_str());
        }
        assert_eq!(Kind::parse("like"), Err(UnknownKind("like".into())));
    }
}
