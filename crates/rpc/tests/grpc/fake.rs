//! An in-memory `UsersApi`: the transport is under test here, not the users
//! logic, so its answers only need to be varied and deterministic.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chorus_core::time::from_micros;
use chorus_core::{ApiError, ApiResult, Id};
use chorus_rpc::UsersApi;
use chorus_rpc::users::{
    FollowState, FriendRequestDirection, MAX_CARDS, Profile, Relation, Relationship, UserCard,
};

pub const ALICE: Id = Id(7_244_718_265_810_944_001);
pub const BOB: Id = Id(2);
/// The viewer blocks Carol: following her is forbidden.
pub const CAROL: Id = Id(i64::MAX);
pub const MISSING: Id = Id(404);

#[derive(Default)]
pub struct FakeUsers {
    /// Calls answered, to see where a balanced client sent them.
    pub calls: AtomicUsize,
    /// Calls that ran to their end (a cancelled call does not).
    pub finished: AtomicUsize,
    /// Waits this long before answering, to outlast a deadline.
    pub delay: Option<Duration>,
}

impl FakeUsers {
    pub fn slow(delay: Duration) -> Self {
        Self {
            delay: Some(delay),
            ..Self::default()
        }
    }

    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }

    async fn answering(&self) {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        self.finished.fetch_add(1, Ordering::SeqCst);
    }
}

/// Every field set to something a careless mapping would lose or mix up.
pub fn all_profiles() -> Vec<Profile> {
    vec![
        Profile {
            id: ALICE,
            username: "alice".into(),
            display_name: "Alice Ångström 🎻".into(),
            bio: "line one\nline two".into(),
            avatar_url: Some("https://cdn.example/a.png".into()),
            is_private: false,
            followers_count: 3,
            following_count: 0,
            posts_count: i64::MAX,
            created_at: from_micros(1_717_171_717_123_456),
            relationship: None,
        },
        Profile {
            id: BOB,
            username: "bob".into(),
            display_name: String::new(),
            bio: String::new(),
            avatar_url: None,
            is_private: true,
            followers_count: 0,
            following_count: 12,
            posts_count: 0,
            created_at: from_micros(0),
            relationship: None,
        },
        Profile {
            id: CAROL,
            username: "carol_99".into(),
            display_name: "Carol".into(),
            bio: "x".repeat(500),
            avatar_url: Some(String::new()),
            is_private: false,
            followers_count: 1,
            following_count: 1,
            posts_count: 1,
            created_at: from_micros(-1),
            relationship: None,
        },
    ]
}

/// A different relationship per account, covering each friend-request case.
fn relationship_with(id: Id) -> Relationship {
    match id {
        ALICE => Relationship {
            following: true,
            followed_by: true,
            friends: true,
            friend_request: Some(FriendRequestDirection::Sent),
            ..Relationship::default()
        },
        BOB => Relationship {
            follow_requested: true,
            friend_request: Some(FriendRequestDirection::Received),
            ..Relationship::default()
        },
        _ => Relationship {
            blocking: true,
            ..Relationship::default()
        },
    }
}

fn with_relationship(viewer: Option<Id>, mut profile: Profile) -> Profile {
    profile.relationship = viewer.map(|_| relationship_with(profile.id));
    profile
}

#[async_trait]
impl UsersApi for FakeUsers {
    async fn cards(&self, ids: &[Id]) -> ApiResult<Vec<UserCard>> {
        self.answering().await;
        let profiles = all_profiles().into_iter();
        Ok(profiles
            .filter(|p| ids.contains(&p.id))
            .map(|p| p.card())
            .collect())
    }

    async fn cards_after(&self, after: Option<Id>, limit: usize) -> ApiResult<Vec<UserCard>> {
        self.answering().await;
        chorus_rpc::check_limit(limit, MAX_CARDS)?;
        let mut cards: Vec<UserCard> = all_profiles()
            .into_iter()
            .filter(|p| after.is_none_or(|after| p.id > after))
            .map(|p| p.card())
            .collect();
        cards.sort_by_key(|card| card.id);
        cards.truncate(limit);
        Ok(cards)
    }

    async fn relations(&self, _viewer: Id, targets: &[Id]) -> ApiResult<HashMap<Id, Relation>> {
        self.answering().await;
        let relation = |id| match id {
            ALICE => Relation {
                following: true,
                blocked: false,
                friends: true,
            },
            CAROL => Relation {
                following: false,
                blocked: true,
                friends: false,
            },
            // Present but empty: the entry must survive the trip all the same.
            _ => Relation::default(),
        };
        Ok(targets.iter().map(|&id| (id, relation(id))).collect())
    }

    async fn relations_among(&self, pairs: &[(Id, Id)]) -> ApiResult<HashMap<(Id, Id), Relation>> {
        self.answering().await;
        // Not symmetric, so that a viewer swapped with its target shows.
        let relation = |pair| match pair {
            (BOB, ALICE) => Some(Relation {
                following: true,
                blocked: false,
                friends: true,
            }),
            (ALICE, BOB) => Some(Relation {
                friends: true,
                ..Relation::default()
            }),
            (_, CAROL) => Some(Relation {
                blocked: true,
                ..Relation::default()
            }),
            // Present but empty: the entry must survive the trip all the same.
            (_, BOB) => Some(Relation::default()),
            _ => None,
        };
        Ok(pairs
            .iter()
            .filter_map(|&pair| Some((pair, relation(pair)?)))
            .collect())
    }

    async fn find_by_usernames(&self, usernames: &[String]) -> ApiResult<Vec<UserCard>> {
        self.answering().await;
        let wanted: Vec<String> = usernames.iter().map(|u| u.to_lowercase()).collect();
        Ok(all_profiles()
            .into_iter()
            .filter(|p| wanted.contains(&p.username))
            .map(|p| p.card())
            .collect())
    }

    async fn profiles(&self, viewer: Option<Id>, ids: &[Id]) -> ApiResult<Vec<Profile>> {
        self.answering().await;
        Ok(all_profiles()
            .into_iter()
            .filter(|p| ids.contains(&p.id))
            .map(|p| with_relationship(viewer, p))
            .collect())
    }

    async fn profile(&self, viewer: Option<Id>, id_or_username: &str) -> ApiResult<Profile> {
        self.answering().await;
        all_profiles()
            .into_iter()
            .find(|p| p.id.to_string() == id_or_username || p.username == id_or_username)
            .map(|p| with_relationship(viewer, p))
            .ok_or_else(|| ApiError::not_found("no such user"))
    }

    async fn follow(&self, viewer: Id, target: Id) -> ApiResult<FollowState> {
        self.answering().await;
        match target {
            _ if target == viewer => Err(ApiError::invalid_field(
                "user_id",
                "you cannot follow yourself",
            )),
            ALICE => Ok(FollowState::Following),
            BOB => Ok(FollowState::Requested),
            CAROL => Err(ApiError::forbidden("unblock this user first")),
            _ => Err(ApiError::not_found("no such user")),
        }
    }

    async fn unfollow(&self, _viewer: Id, target: Id) -> ApiResult<()> {
        self.answering().await;
        match target {
            MISSING => Err(ApiError::not_found("no such user")),
            _ => Ok(()),
        }
    }
}
