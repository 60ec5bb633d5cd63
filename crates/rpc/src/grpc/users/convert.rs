//! Users domain types (crates/rpc/src/users.rs) ↔ their protobuf messages.
//!
//! Both directions are total except where the wire can say something the
//! domain cannot (an unspecified follow state): that is a malformed reply.

use std::collections::HashMap;

use chorus_core::time::{from_micros, to_micros};
use chorus_core::{ApiError, Id};

use crate::grpc::proto::users as proto;
use crate::users::{
    FollowState, FriendRequestDirection, Profile, Relation, Relationship, UserCard,
};

impl From<UserCard> for proto::UserCard {
    fn from(card: UserCard) -> Self {
        Self {
            id: card.id.as_i64(),
            username: card.username,
            display_name: card.display_name,
            avatar_url: card.avatar_url,
        }
    }
}

impl From<proto::UserCard> for UserCard {
    fn from(card: proto::UserCard) -> Self {
        Self {
            id: Id(card.id),
            username: card.username,
            display_name: card.display_name,
            avatar_url: card.avatar_url,
        }
    }
}

impl From<Relation> for proto::Relation {
    fn from(relation: Relation) -> Self {
        Self {
            following: relation.following,
            blocked: relation.blocked,
            friends: relation.friends,
        }
    }
}

impl From<proto::Relation> for Relation {
    fn from(relation: proto::Relation) -> Self {
        Self {
            following: relation.following,
            blocked: relation.blocked,
            friends: relation.friends,
        }
    }
}

pub fn relations_to_wire(relations: HashMap<Id, Relation>) -> HashMap<i64, proto::Relation> {
    relations
        .into_iter()
        .map(|(id, relation)| (id.as_i64(), relation.into()))
        .collect()
}

pub fn relations_from_wire(relations: HashMap<i64, proto::Relation>) -> HashMap<Id, Relation> {
    relations
        .into_iter()
        .map(|(id, relation)| (Id(id), relation.into()))
        .collect()
}

pub fn pairs_to_wire(pairs: &[(Id, Id)]) -> Vec<proto::Pair> {
    pairs
        .iter()
        .map(|&(viewer, target)| proto::Pair {
            viewer: viewer.as_i64(),
            target: target.as_i64(),
        })
        .collect()
}

pub fn pairs_from_wire(pairs: &[proto::Pair]) -> Vec<(Id, Id)> {
    pairs
        .iter()
        .map(|pair| (Id(pair.viewer), Id(pair.target)))
        .collect()
}

pub fn pair_relations_to_wire(relations: HashMap<(Id, Id), Relation>) -> Vec<proto::PairRelation> {
    relations
        .into_iter()
        .map(|((viewer, target), relation)| proto::PairRelation {
            viewer: viewer.as_i64(),
            target: target.as_i64(),
            relation: Some(relation.into()),
        })
        .collect()
}

/// A pair sent without its relation (a message field may be absent on the
/// wire) has the default one, as an empty message would read.
pub fn pair_relations_from_wire(
    relations: Vec<proto::PairRelation>,
) -> HashMap<(Id, Id), Relation> {
    relations
        .into_iter()
        .map(|pair| {
            let relation = pair.relation.unwrap_or_default().into();
            ((Id(pair.viewer), Id(pair.target)), relation)
        })
        .collect()
}

fn direction_to_wire(direction: Option<FriendRequestDirection>) -> proto::FriendRequestDirection {
    match direction {
        None => proto::FriendRequestDirection::Unspecified,
        Some(FriendRequestDirection::Sent) => proto::FriendRequestDirection::Sent,
        Some(FriendRequestDirection::Received) => proto::FriendRequestDirection::Received,
    }
}

/// Unknown values (a newer peer) read as "no pending request".
fn direction_from_wire(value: i32) -> Option<FriendRequestDirection> {
    match proto::FriendRequestDirection::try_from(value) {
        Ok(proto::FriendRequestDirection::Sent) => Some(FriendRequestDirection::Sent),
        Ok(proto::FriendRequestDirection::Received) => Some(FriendRequestDirection::Received),
        _ => None,
    }
}

impl From<Relationship> for proto::Relationship {
    fn from(relationship: Relationship) -> Self {
        Self {
            following: relationship.following,
            followed_by: relationship.followed_by,
            follow_requested: relationship.follow_requested,
            friends: relationship.friends,
            friend_request: direction_to_wire(relationship.friend_request).into(),
            blocking: relationship.blocking,
        }
    }
}

impl From<proto::Relationship> for Relationship {
    fn from(relationship: proto::Relationship) -> Self {
        Self {
            following: relationship.following,
            followed_by: relationship.followed_by,
            follow_requested: relationship.follow_requested,
            friends: relationship.friends,
            friend_request: direction_from_wire(relationship.friend_request),
            blocking: relationship.blocking,
        }
    }
}

/// `created_at` travels in microseconds, the precision every store keeps.
impl From<Profile> for proto::Profile {
    fn from(profile: Profile) -> Self {
        Self {
            id: profile.id.as_i64(),
            username: profile.username,
            display_name: profile.display_name,
            bio: profile.bio,
            avatar_url: profile.avatar_url,
            is_private: profile.is_private,
            followers_count: profile.followers_count,
            following_count: profile.following_count,
            posts_count: profile.posts_count,
            created_at_micros: to_micros(profile.created_at),
            relationship: profile.relationship.map(Into::into),
        }
    }
}

impl From<proto::Profile> for Profile {
    fn from(profile: proto::Profile) -> Self {
        Self {
            id: Id(profile.id),
            username: profile.username,
            display_name: profile.display_name,
            bio: profile.bio,
            avatar_url: profile.avatar_url,
            is_private: profile.is_private,
            followers_count: profile.followers_count,
            following_count: profile.following_count,
            posts_count: profile.posts_count,
            created_at: from_micros(profile.created_at_micros),
            relationship: profile.relationship.map(Into::into),
        }
    }
}

pub fn follow_state_to_wire(state: FollowState) -> proto::FollowState {
    match state {
        FollowState::Following => proto::FollowState::Following,
        FollowState::Requested => proto::FollowState::Requested,
    }
}

pub fn follow_state_from_wire(value: i32) -> Result<FollowState, ApiError> {
    match proto::FollowState::try_from(value) {
        Ok(proto::FollowState::Following) => Ok(FollowState::Following),
        Ok(proto::FollowState::Requested) => Ok(FollowState::Requested),
        _ => Err(ApiError::internal(format!(
            "users service answered an unknown follow state {value}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_friend_request_direction_round_trips() {
        for direction in [
            None,
            Some(FriendRequestDirection::Sent),
            Some(FriendRequestDirection::Received),
        ] {
            let wire: i32 = direction_to_wire(direction).into();
            assert_eq!(direction_from_wire(wire), direction);
        }
        assert_eq!(direction_from_wire(99), None);
    }

    #[test]
    fn an_unspecified_follow_state_is_refused() {
        let error = follow_state_from_wire(proto::FollowState::Unspecified.into())
            .expect_err("unspecified is not a state");
        assert_eq!(error.code, "internal");
    }
}
