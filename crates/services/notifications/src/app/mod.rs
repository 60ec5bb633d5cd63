//! The application layer: every rule of the service, in one place. The
//! consumer ([`crate::consumer`]) and the REST routes call these methods and
//! nothing else.
//!
//! Delivery: an event becomes drafts ([`crate::events::plan`]); the rules
//! that need the users service (blocks, who may see a post, friendships)
//! run before any transaction; then, in one transaction with the event's
//! inbox record, each draft that the recipient's preferences let through is
//! stored or merged into its open group; after the commit each stored
//! notification is pushed, with its actors' cards, on the pub/sub channel.

mod audience;
mod cleanup;
mod deliver;
mod hydrate;
mod preferences;
mod push;
mod read;

use std::sync::Arc;

use chorus_core::time::{now, to_micros};
use chorus_core::{Envelope, IdGenerator};
use chorus_ports::{Db, PubSub};
use chorus_rpc::UsersApi;

use crate::events::{Plan, plan};

pub use hydrate::NotificationView;
pub use preferences::{PreferencesChange, PreferencesView};

/// Notifications kept per recipient: older ones are pruned as new ones come.
pub const MAX_KEPT_PER_RECIPIENT: u32 = 1_000;

/// The notifications service's use cases; cheap to clone.
#[derive(Clone)]
pub struct Notifications {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    users: Arc<dyn UsersApi>,
    pubsub: Arc<dyn PubSub>,
    ids: Arc<IdGenerator>,
}

impl Notifications {
    pub fn new(
        db: Db,
        users: Arc<dyn UsersApi>,
        pubsub: Arc<dyn PubSub>,
        ids: Arc<IdGenerator>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                db,
                users,
                pubsub,
                ids,
            }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    fn users(&self) -> &dyn UsersApi {
        self.inner.users.as_ref()
    }

    fn pubsub(&self) -> &dyn PubSub {
        self.inner.pubsub.as_ref()
    }

    fn ids(&self) -> &IdGenerator {
        &self.inner.ids
    }

    /// Applies one consumed event, at most once.
    pub async fn apply(&self, event: &Envelope) -> anyhow::Result<()> {
        match plan(event)? {
            Plan::Deliver { actor, drafts } => self.deliver(event, actor, drafts).await,
            Plan::PostDeleted { post } => self.forget_post(event, post).await,
            Plan::CommentDeleted { comment } => self.forget_comment(event, comment).await,
            Plan::Blocked { blocker, blocked } => {
                self.forget_between(event, blocker, blocked).await
            }
            Plan::Ignore => Ok(()),
        }
    }
}

/// Now in Unix microseconds, as stored.
fn now_micros() -> i64 {
    to_micros(now())
}
