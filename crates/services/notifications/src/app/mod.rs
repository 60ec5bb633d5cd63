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
//!
//! A batch of events ([`Notifications::apply_batch`]) goes the same way with
//! one transaction for all: each event in turn, in order, recorded in the
//! inbox (one applied before, or earlier in the batch, is skipped) with its
//! effects, so a later event sees what an earlier one stored (the group it
//! merges into); one commit; then the pushes of the whole batch, in order.

mod audience;
mod cleanup;
mod deliver;
mod hydrate;
mod preferences;
mod push;
mod read;

use std::collections::HashSet;
use std::sync::Arc;

use chorus_core::time::{now, to_micros};
use chorus_core::{Envelope, IdGenerator};
use chorus_ports::{Db, PubSub, inbox};
use chorus_rpc::UsersApi;

use crate::NAME;
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
        self.apply_batch(std::slice::from_ref(event)).await
    }

    /// Applies consumed events in order, each at most once, in one
    /// transaction: all or nothing.
    pub async fn apply_batch(&self, events: &[Envelope]) -> anyhow::Result<()> {
        // Before the transaction: what each asks, past the users service's rules.
        let mut seen = HashSet::with_capacity(events.len());
        let mut planned = Vec::with_capacity(events.len());
        for event in events {
            if !seen.insert(event.id) {
                continue;
            }
            let plan = match plan(event)? {
                Plan::Deliver { actor, drafts } => {
                    let mut drafts = self.audience(actor, drafts).await?;
                    // One order of row locks for every event: two events merging into
                    // the same groups never wait on each other in a cycle.
                    drafts.sort_by_key(|draft| draft.recipient);
                    if drafts.is_empty() {
                        continue;
                    }
                    Plan::Deliver { actor, drafts }
                }
                Plan::Ignore => continue,
                plan => plan,
            };
            planned.push((event, plan));
        }
        if planned.is_empty() {
            return Ok(());
        }
        let mut tx = self.db().begin().await?;
        let mut applied = 0;
        let mut stored = Vec::new();
        for (event, plan) in &planned {
            if !inbox::record(&mut tx, NAME, event).await? {
                continue;
            }
            applied += 1;
            match plan {
                Plan::Deliver { drafts, .. } => {
                    let before = stored.len();
                    self.store_all(&mut tx, drafts, &mut stored).await?;
                    tracing::debug!(event_id = %event.id, kind = %event.kind, stored = stored.len() - before, "notified");
                }
                Plan::PostDeleted { post } => self.forget_post(&mut tx, *post).await?,
                Plan::CommentDeleted { comment } => self.forget_comment(&mut tx, *comment).await?,
                Plan::Blocked { blocker, blocked } => {
                    self.forget_between(&mut tx, *blocker, *blocked).await?
                }
                Plan::Ignore => {}
            }
        }
        if applied == 0 {
            return Ok(());
        }
        tx.commit().await?;
        self.push(stored).await;
        Ok(())
    }
}

/// Now in Unix microseconds, as stored.
fn now_micros() -> i64 {
    to_micros(now())
}
