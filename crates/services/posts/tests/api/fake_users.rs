//! An in-memory stand-in for the users service: posts is what is under
//! test, so the test decides who exists, who follows whom and who blocks
//! whom, and counts the calls posts makes.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use chorus_core::{ApiError, ApiResult, Id};
use chorus_rpc::UsersApi;
use chorus_rpc::users::{FollowState, MAX_CARDS, Profile, Relation, UserCard};

#[derive(Default)]
pub struct FakeUsers {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    cards: HashMap<Id, UserCard>,
    /// (follower, followee)
    follows: HashSet<(Id, Id)>,
    /// (blocker, blocked)
    blocks: HashSet<(Id, Id)>,
    calls: HashMap<&'static str, usize>,
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
        self.state().cards.insert(id, card);
    }

    pub fn follow(&self, follower: Id, followee: Id) {
        self.state().follows.insert((follower, followee));
    }

    pub fn block(&self, blocker: Id, blocked: Id) {
        self.state().blocks.insert((blocker, blocked));
    }

    /// How many times posts called `method` since the last [`Self::reset_calls`].
    pub fn calls(&self, method: &str) -> usize {
        self.state().calls.get(method).copied().unwrap_or(0)
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
            .filter_map(|id| state.cards.get(id).cloned())
            .collect())
    }

    async fn cards_after(&self, after: Option<Id>, limit: usize) -> ApiResult<Vec<UserCard>> {
        self.count("cards_after");
        chorus_rpc::check_limit(limit, MAX_CARDS)?;
        let state = self.state();
        let mut cards: Vec<UserCard> = state
            .cards
            .values()
            .filter(|card| after.is_none_or(|after| card.id > after))
            .cloned()
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
                    blocked: state.blocks.contains(&(viewer, target))
                        || state.blocks.contains(&(target, viewer)),
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
            .cards
            .values()
            .filter(|card| wanted.contains(&card.username.to_lowercase()))
            .cloned()
            .collect())
    }

    async fn profiles(&self, _viewer: Option<Id>, _ids: &[Id]) -> ApiResult<Vec<Profile>> {
        Err(ApiError::internal("posts never asks for profiles"))
    }

    async fn profile(&self, _viewer: Option<Id>, _id_or_username: &str) -> ApiResult<Profile> {
        Err(ApiError::internal("posts never asks for a profile"))
    }

    async fn follow(&self, _viewer: Id, _target: Id) -> ApiResult<FollowState> {
        Err(ApiError::internal("posts never follows"))
    }

    async fn unfollow(&self, _viewer: Id, _target: Id) -> ApiResult<()> {
        Err(ApiError::internal("posts never unfollows"))
    }
}
