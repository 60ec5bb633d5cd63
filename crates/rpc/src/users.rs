//! What other services ask the users service, synchronously.

use std::collections::HashMap;

use async_trait::async_trait;
use chorus_core::time::Timestamp;
use chorus_core::{ApiResult, Id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most cards one [`UsersApi::cards_after`] call answers (as many as
/// [`crate::posts::MAX_IDS`]); a larger `limit` is refused (400
/// `validation_failed`), so that no caller can ask for unbounded work.
pub const MAX_CARDS: usize = 1_000;

/// The public face of an account, as embedded in posts and comments:
/// `{id, username, display_name, avatar_url}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UserCard {
    pub id: Id,
    pub username: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
}

/// How a viewer stands with another account, for authorization.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relation {
    /// The viewer follows the account (an approved follow, not a request).
    pub following: bool,
    /// Either has blocked the other: each is hidden from the other.
    pub blocked: bool,
    /// They are friends: an accepted friend request, either way.
    pub friends: bool,
}

/// Whether a follow took effect or waits for the owner's approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FollowState {
    Following,
    Requested,
}

/// The viewer's relationship with a profile, shown when authenticated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Relationship {
    /// The viewer follows them.
    pub following: bool,
    /// They follow the viewer.
    pub followed_by: bool,
    /// The viewer asked to follow and awaits approval.
    pub follow_requested: bool,
    /// They are friends (an accepted friend request, either way).
    pub friends: bool,
    /// A pending friend request: `"sent"` by the viewer or `"received"`.
    #[schema(value_type = Option<String>)]
    pub friend_request: Option<FriendRequestDirection>,
    /// The viewer blocks them (they cannot see the viewer, nor the viewer them).
    pub blocking: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FriendRequestDirection {
    Sent,
    Received,
}

/// A profile as API.md gives it: `{id, username, display_name, bio,
/// avatar_url, is_private, followers_count, following_count, posts_count,
/// created_at}`, plus `relationship` when the viewer is authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Profile {
    pub id: Id,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub is_private: bool,
    pub followers_count: i64,
    pub following_count: i64,
    pub posts_count: i64,
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relationship: Option<Relationship>,
}

impl Profile {
    pub fn card(&self) -> UserCard {
        UserCard {
            id: self.id,
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            avatar_url: self.avatar_url.clone(),
        }
    }
}

/// The users service, as other services call it. Every method is batched
/// where a page of results needs it; none is called per item of a page.
///
/// Errors are [`chorus_core::ApiError`]s, so a caller can pass a refusal
/// (404 hidden user, 400 follow yourself) straight to its client; the gRPC
/// transport carries status, code and message across.
#[async_trait]
pub trait UsersApi: Send + Sync + 'static {
    /// Cards of the accounts among `ids` that exist, in no particular order.
    async fn cards(&self, ids: &[Id]) -> ApiResult<Vec<UserCard>>;

    /// Cards of the accounts whose id is above `after` (all when `None`), in
    /// ascending id order, at most `limit` (1 to [`MAX_CARDS`], else 400): a
    /// keyset scan of every account, for a caller that rebuilds its own copy
    /// (search). Pass the last id of a page as the next `after`; a page
    /// shorter than `limit` is the last.
    async fn cards_after(&self, after: Option<Id>, limit: usize) -> ApiResult<Vec<UserCard>>;

    /// How `viewer` stands with each of `targets`; a target absent from the
    /// answer has no relation (`Relation::default()`).
    async fn relations(&self, viewer: Id, targets: &[Id]) -> ApiResult<HashMap<Id, Relation>>;

    /// How each `(viewer, target)` pair stands, for many viewers at once (a
    /// batch of events by different actors); a pair absent from the answer has
    /// no relation (`Relation::default()`).
    ///
    /// By default, one [`relations`](Self::relations) call per viewer; the
    /// users service answers it in one query.
    async fn relations_among(&self, pairs: &[(Id, Id)]) -> ApiResult<HashMap<(Id, Id), Relation>> {
        let mut by_viewer: HashMap<Id, Vec<Id>> = HashMap::new();
        for &(viewer, target) in pairs {
            by_viewer.entry(viewer).or_default().push(target);
        }
        let mut among = HashMap::with_capacity(pairs.len());
        for (viewer, targets) in by_viewer {
            let relations = self.relations(viewer, &targets).await?;
            among.extend(
                relations
                    .into_iter()
                    .map(|(target, relation)| ((viewer, target), relation)),
            );
        }
        Ok(among)
    }

    /// Cards of the accounts whose usernames (any case) are among `usernames`.
    async fn find_by_usernames(&self, usernames: &[String]) -> ApiResult<Vec<UserCard>>;

    /// Profiles of `ids` as `viewer` may see them: missing accounts and those
    /// hidden by a block either way are left out. `relationship` is filled when
    /// `viewer` is given.
    async fn profiles(&self, viewer: Option<Id>, ids: &[Id]) -> ApiResult<Vec<Profile>>;

    /// A profile by id or username (see `GET /api/v1/users/{id or username}`);
    /// 404 when missing or hidden by a block.
    async fn profile(&self, viewer: Option<Id>, id_or_username: &str) -> ApiResult<Profile>;

    /// `viewer` follows `target` (`POST /api/v1/users/{id}/follow`).
    async fn follow(&self, viewer: Id, target: Id) -> ApiResult<FollowState>;

    /// `viewer` stops following `target`, or withdraws a pending request.
    async fn unfollow(&self, viewer: Id, target: Id) -> ApiResult<()>;
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Answers `relations` only: following every target whose id is above
    /// the viewer's, and remembers each call.
    #[derive(Default)]
    struct RelationsOnly {
        calls: Mutex<Vec<(Id, Vec<Id>)>>,
    }

    #[async_trait]
    impl UsersApi for RelationsOnly {
        async fn cards(&self, _: &[Id]) -> ApiResult<Vec<UserCard>> {
            unreachable!()
        }

        async fn cards_after(&self, _: Option<Id>, _: usize) -> ApiResult<Vec<UserCard>> {
            unreachable!()
        }

        async fn relations(&self, viewer: Id, targets: &[Id]) -> ApiResult<HashMap<Id, Relation>> {
            let mut calls = self.calls.lock().expect("not poisoned");
            calls.push((viewer, targets.to_vec()));
            let following = Relation {
                following: true,
                ..Relation::default()
            };
            Ok(targets
                .iter()
                .filter(|&&target| target > viewer)
                .map(|&target| (target, following))
                .collect())
        }

        async fn find_by_usernames(&self, _: &[String]) -> ApiResult<Vec<UserCard>> {
            unreachable!()
        }

        async fn profiles(&self, _: Option<Id>, _: &[Id]) -> ApiResult<Vec<Profile>> {
            unreachable!()
        }

        async fn profile(&self, _: Option<Id>, _: &str) -> ApiResult<Profile> {
            unreachable!()
        }

        async fn follow(&self, _: Id, _: Id) -> ApiResult<FollowState> {
            unreachable!()
        }

        async fn unfollow(&self, _: Id, _: Id) -> ApiResult<()> {
            unreachable!()
        }
    }

    #[tokio::test]
    async fn relations_among_asks_once_per_viewer_by_default() {
        let api = RelationsOnly::default();
        let pairs = [
            (Id(1), Id(2)),
            (Id(3), Id(2)),
            (Id(1), Id(5)),
            (Id(3), Id(4)),
        ];
        let among = api.relations_among(&pairs).await.expect("relations");
        let following: Vec<(Id, Id)> = {
            let mut keys: Vec<_> = among.keys().copied().collect();
            keys.sort();
            keys
        };
        assert_eq!(following, [(Id(1), Id(2)), (Id(1), Id(5)), (Id(3), Id(4))]);
        let mut calls = api.calls.lock().expect("not poisoned").clone();
        calls.sort();
        assert_eq!(
            calls,
            [(Id(1), vec![Id(2), Id(5)]), (Id(3), vec![Id(2), Id(4)])]
        );
        assert!(api.relations_among(&[]).await.expect("none").is_empty());
    }
}
