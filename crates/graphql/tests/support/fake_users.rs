//! An in-memory users service: the test decides who exists, who is private,
//! who follows and blocks whom, and reads how often each method was called.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use chorus_core::time::{Timestamp, now};
use chorus_core::{ApiError, ApiResult, Id};
use chorus_rpc::UsersApi;
use chorus_rpc::users::{FollowState, MAX_CARDS, Profile, Relation, Relationship, UserCard};

#[derive(Default)]
pub struct FakeUsers {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    users: HashMap<Id, (UserCard, Timestamp)>,
    private: HashSet<Id>,
    /// (follower, followee)
    follows: HashSet<(Id, Id)>,
    /// (follower, followee)
    requests: HashSet<(Id, Id)>,
    /// (blocker, blocked)
    blocks: HashSet<(Id, Id)>,
    calls: BTreeMap<&'static str, usize>,
}

impl State {
    fn hidden(&self, viewer: Option<Id>, user: Id) -> bool {
        viewer.is_some_and(|viewer| {
            self.blocks.contains(&(viewer, user)) || self.blocks.contains(&(user, viewer))
        })
    }

    fn profile(&self, viewer: Option<Id>, id: Id) -> Option<Profile> {
        if self.hidden(viewer, id) {
            return None;
        }
        let (card, created_at) = self.users.get(&id)?;
        let count =
            |pick: fn(&(Id, Id)) -> Id| self.follows.iter().filter(|f| pick(f) == id).count();
        Some(Profile {
            id,
            username: card.username.clone(),
            display_name: card.display_name.clone(),
            bio: format!("bio of {}", card.username),
            avatar_url: None,
            is_private: self.private.contains(&id),
            followers_count: count(|f| f.1) as i64,
            following_count: count(|f| f.0) as i64,
            posts_count: 0,
            created_at: *created_at,
            relationship: viewer.map(|viewer| Relationship {
                following: self.follows.contains(&(viewer, id)),
                followed_by: self.follows.contains(&(id, viewer)),
                follow_requested: self.requests.contains(&(viewer, id)),
                friends: false,
                friend_request: None,
                blocking: self.blocks.contains(&(viewer, id)),
            }),
        })
    }
}

impl FakeUsers {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn add(&self, id: Id, username: &str) {
        let card = UserCard {
            id,
            username: username.to_string(),
            display_name: format!("{username} (display)"),
            avatar_url: None,
        };
        self.state().users.insert(id, (card, now()));
    }

    pub fn make_private(&self, id: Id) {
        self.state().private.insert(id);
    }

    pub fn follow_now(&self, follower: Id, followee: Id) {
        self.state().follows.insert((follower, followee));
    }

    pub fn block(&self, blocker: Id, blocked: Id) {
        self.state().blocks.insert((blocker, blocked));
    }

    pub fn follows(&self, follower: Id, followee: Id) -> bool {
        self.state().follows.contains(&(follower, followee))
    }

    /// Calls per method since the last [`Self::reset_calls`].
    pub fn calls(&self) -> BTreeMap<&'static str, usize> {
        self.state().calls.clone()
    }

    pub fn total_calls(&self) -> usize {
        self.state().calls.values().sum()
    }

    pub fn reset_calls(&self) {
        self.state().calls.clear();
    }

    fn count(&self, method: &'static str) {
        *self.state().calls.entry(method).or_default() += 1;
    }
}

#[async_trait]
impl UsersApi for FakeUsers {
    async fn cards(&self, ids: &[Id]) -> ApiResult<Vec<UserCard>> {
        self.count("cards");
        let state = self.state();
        Ok(ids
            .iter()
            .filter_map(|id| state.users.get(id).map(|(card, _)| card.clone()))
            .collect())
    }

    async fn cards_after(&self, after: Option<Id>, limit: usize) -> ApiResult<Vec<UserCard>> {
        self.count("cards_after");
        chorus_rpc::check_limit(limit, MAX_CARDS)?;
        let state = self.state();
        let mut cards: Vec<UserCard> = state
            .users
            .values()
            .filter(|(card, _)| after.is_none_or(|after| card.id > after))
            .map(|(card, _)| card.clone())
            .collect();
        cards.sort_by_key(|card| card.id);
        cards.truncate(limit);
        Ok(cards)
    }

    async fn relations(&self, viewer: Id, targets: &[Id]) -> ApiResult<HashMap<Id, Relation>> {
        self.count("relations");
        let state = self.state();
        Ok(targets
            .iter()
            .map(|&target| {
                let relation = Relation {
                    following: state.follows.contains(&(viewer, target)),
                    blocked: state.hidden(Some(viewer), target),
                    friends: false,
                };
                (target, relation)
            })
            .collect())
    }

    async fn find_by_usernames(&self, usernames: &[String]) -> ApiResult<Vec<UserCard>> {
        self.count("find_by_usernames");
        let wanted: HashSet<String> = usernames.iter().map(|u| u.to_lowercase()).collect();
        let state = self.state();
        Ok(state
            .users
            .values()
            .filter(|(card, _)| wanted.contains(&card.username.to_lowercase()))
            .map(|(card, _)| card.clone())
            .collect())
    }

    async fn profiles(&self, viewer: Option<Id>, ids: &[Id]) -> ApiResult<Vec<Profile>> {
        self.count("profiles");
        let state = self.state();
        Ok(ids
            .iter()
            .filter_map(|id| state.profile(viewer, *id))
            .collect())
    }

    async fn profile(&self, viewer: Option<Id>, id_or_username: &str) -> ApiResult<Profile> {
        self.count("profile");
        let state = self.state();
        let by_id = id_or_username
            .parse::<Id>()
            .ok()
            .filter(|id| state.users.contains_key(id));
        let id = by_id.or_else(|| {
            state
                .users
                .values()
                .find(|(card, _)| card.username.eq_ignore_ascii_case(id_or_username))
                .map(|(card, _)| card.id)
        });
        id.and_then(|id| state.profile(viewer, id))
            .ok_or_else(|| ApiError::not_found("no such user"))
    }

    async fn follow(&self, viewer: Id, target: Id) -> ApiResult<FollowState> {
        self.count("follow");
        let mut state = self.state();
        if viewer == target {
            return Err(ApiError::invalid_field(
                "user_id",
                "you cannot follow yourself",
            ));
        }
        if !state.users.contains_key(&target) || state.hidden(Some(viewer), target) {
            return Err(ApiError::not_found("no such user"));
        }
        if state.follows.contains(&(viewer, target)) {
            return Ok(FollowState::Following);
        }
        if state.private.contains(&target) {
            state.requests.insert((viewer, target));
            return Ok(FollowState::Requested);
        }
        state.follows.insert((viewer, target));
        Ok(FollowState::Following)
    }

    async fn unfollow(&self, viewer: Id, target: Id) -> ApiResult<()> {
        self.count("unfollow");
        let mut state = self.state();
        state.follows.remove(&(viewer, target));
        state.requests.remove(&(viewer, target));
        Ok(())
    }
}
