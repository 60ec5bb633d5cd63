//! The application layer: every use of posts, comments and reactions. The
//! REST routes and the GraphQL crate call only this.
//!
//! Users are known only through [`UsersApi`], called once per request or
//! page (never per item): `cards` for authors, `relations` for what a viewer
//! may see, `find_by_usernames` for mentions. Other services read posts
//! through [`chorus_rpc::PostsApi`], which `Posts` implements.

mod access;
mod api;
mod comments;
mod hydrate;
mod posts;
mod reactions;
mod stream;
mod timeline;

use std::collections::HashMap;
use std::sync::Arc;

use chorus_core::{ApiError, ApiResult, Id, IdGenerator};
use chorus_ports::Db;
use chorus_ports::outbox::AfterCommit;
use chorus_rpc::UsersApi;
use chorus_rpc::users::UserCard;

pub use crate::domain::REACTION_KINDS;
pub use crate::views::{
    CommentEdit, CommentView, MediaView, NewComment, NewPost, PostEdit, PostView, ReactionSummary,
    ReactionView,
};

use crate::domain::text;
use crate::live::LiveComments;
use crate::store::Mention;

/// The posts service's operations. Cheap to clone.
#[derive(Clone)]
pub struct Posts {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    ids: Arc<IdGenerator>,
    users: Arc<dyn UsersApi>,
    after_commit: AfterCommit,
    live: LiveComments,
}

impl Posts {
    /// Over a migrated database; `users` answers who exists and who may see
    /// whom; `live` carries comment changes to every instance's streams.
    pub fn new(
        db: Db,
        ids: Arc<IdGenerator>,
        users: Arc<dyn UsersApi>,
        after_commit: AfterCommit,
        live: LiveComments,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                ids,
                users,
                after_commit,
                live,
            }),
        }
    }

    fn db(&self) -> &Db {
        &self.inner.db
    }

    /// After a commit that wrote events: hands them to the relay (in one
    /// process, waits until their consumers have applied them).
    async fn events_committed(&self) {
        self.inner.after_commit.run(&self.inner.db).await;
    }

    fn live(&self) -> &LiveComments {
        &self.inner.live
    }

    fn ids(&self) -> &IdGenerator {
        &self.inner.ids
    }

    fn users(&self) -> &dyn UsersApi {
        self.inner.users.as_ref()
    }

    /// The acting user's own card: they are signed in, but their profile may
    /// not exist yet (it is created from `user.registered`, a moment after sign-up).
    async fn own_card(&self, user: Id) -> ApiResult<UserCard> {
        let cards = self.users().cards(&[user]).await?;
        cards
            .into_iter()
            .find(|card| card.id == user)
            .ok_or_else(|| {
                let mut error = ApiError::unavailable(
                    "your profile is still being set up; try again in a moment",
                );
                error.retry_after = Some(1);
                error
            })
    }

    /// The existing users `text` mentions, in order, in one call.
    async fn resolve_mentions(&self, text: &str) -> ApiResult<Vec<Mention>> {
        let names = text::mentions(text);
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let cards = self.users().find_by_usernames(&names).await?;
        let by_name: HashMap<String, Id> = cards
            .into_iter()
            .map(|card| (card.username.to_lowercase(), card.id))
            .collect();
        Ok(names
            .into_iter()
            .filter_map(|username| {
                let user_id = *by_name.get(&username)?;
                Some(Mention { user_id, username })
            })
            .collect())
    }
}

/// Storage failures are ours, not the caller's: 500, logged.
fn db_error(error: sqlx::Error) -> ApiError {
    ApiError::internal(error)
}

fn post_not_found() -> ApiError {
    ApiError::not_found("no such post")
}

fn comment_not_found() -> ApiError {
    ApiError::not_found("no such comment")
}

/// The distinct ids of `ids`, sorted.
fn distinct(ids: impl IntoIterator<Item = Id>) -> Vec<Id> {
    let mut ids: Vec<Id> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Cards by id.
fn card_map(cards: Vec<UserCard>) -> HashMap<Id, UserCard> {
    cards.into_iter().map(|card| (card.id, card)).collect()
}

/// Reaction kinds in the order of [`REACTION_KINDS`].
fn sort_kinds(kinds: &mut [String]) {
    kinds.sort_by_key(|kind| REACTION_KINDS.iter().position(|k| k == kind));
}
