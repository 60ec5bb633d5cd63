//! The application layer: every rule of the service, in one place. The REST
//! routes and the in-process `UsersApi` both call these methods and nothing else.
//!
//! Each change runs in one transaction that first locks the profiles it
//! concerns (the smaller id first), so that two changes to one pair of
//! accounts never interleave; counters move in that same transaction, only
//! when a row was really inserted or deleted, and events go to the outbox in
//! it too.

mod blocks;
mod edit;
mod failure;
mod follows;
mod friends;
mod graph;
mod lists;
mod profiles;
pub mod views;

use std::sync::Arc;

use chorus_core::time::{Timestamp, from_micros, now, to_micros};
use chorus_core::{ApiError, IdGenerator};
use chorus_ports::Db;
use chorus_ports::outbox::AfterCommit;

pub use edit::ProfileEdit;
pub use friends::Sent;
pub use lists::Connections;
pub use views::{FollowRequestView, FollowStateView, FriendRequestStatus, FriendRequestView};

/// The users service's use cases; cheap to clone.
#[derive(Clone)]
pub struct Users {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    ids: Arc<IdGenerator>,
    after_commit: AfterCommit,
}

impl Users {
    pub fn new(db: Db, ids: Arc<IdGenerator>, after_commit: AfterCommit) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                ids,
                after_commit,
            }),
        }
    }

    fn after_commit(&self) -> AfterCommit {
        self.inner.after_commit
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    fn ids(&self) -> &IdGenerator {
        &self.inner.ids
    }
}

/// Now, at the microsecond precision it is stored with, so that what a change
/// answers equals what a later read shows.
fn stored_now() -> Timestamp {
    from_micros(to_micros(now()))
}

fn no_such_user() -> ApiError {
    ApiError::not_found("no such user")
}

/// The caller is signed in but `user.registered` has not reached us yet.
fn profile_not_ready() -> ApiError {
    let mut error = ApiError::unavailable("your profile is being set up; try again in a moment");
    error.retry_after = Some(1);
    error
}
