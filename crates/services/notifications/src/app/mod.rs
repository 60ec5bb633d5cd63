//! The application layer: every rule of the service, in one place. The
//! consumer ([`crate::consumer`]) and the REST routes call these methods and
//! nothing else.
//!
//! Delivery, a batch of events at a time ([`Notifications::apply_batch`]):
//! each event becomes drafts ([`crate::events::plan`]); the rules that need
//! the users service (blocks, who may see a post, friendships) run for the
//! whole batch in one call, before any transaction; then one transaction
//! records the events in the inbox (one applied before is skipped) and
//! stores the drafts the recipients' preferences let through, in order, each
//! new or merged into its open group, in a handful of statements for the
//! whole batch ([`deliver`]); a deletion or a block in the batch applies
//! between the drafts before and after it. After the commit, the push task
//! sends each stored notification as it stood after its draft, with its
//! actors' cards, on the pub/sub channel ([`push`]).

mod audience;
mod cleanup;
mod deliver;
mod hydrate;
mod preferences;
mod push;
mod read;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use chorus_core::time::{now, to_micros};
use chorus_core::{Envelope, Id, IdGenerator};
use chorus_ports::{Db, PubSub, inbox};
use chorus_rpc::UsersApi;

use crate::NAME;
use crate::events::{Plan, plan};
use push::Pusher;

pub use hydrate::NotificationView;
pub use preferences::{PreferencesChange, PreferencesView};

/// Notifications kept per recipient: older ones are pruned as new ones come
/// (every [`deliver::PRUNE_EVERY`] new ones, so a recipient may briefly hold
/// that many more).
pub const MAX_KEPT_PER_RECIPIENT: u32 = 1_000;

/// The notifications service's use cases; cheap to clone.
#[derive(Clone)]
pub struct Notifications {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    users: Arc<dyn UsersApi>,
    ids: Arc<IdGenerator>,
    pusher: Pusher,
    /// New notifications per recipient since their last pruning.
    unpruned: Mutex<HashMap<Id, u32>>,
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
                pusher: Pusher::start(users.clone(), pubsub),
                users,
                ids,
                unpruned: Mutex::default(),
            }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    fn users(&self) -> &dyn UsersApi {
        self.inner.users.as_ref()
    }

    fn ids(&self) -> &IdGenerator {
        &self.inner.ids
    }

    fn unpruned(&self) -> MutexGuard<'_, HashMap<Id, u32>> {
        self.inner
            .unpruned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
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
            match plan(event)? {
                Plan::Ignore => {}
                plan => planned.push((event, plan)),
            }
        }
        self.admit(&mut planned).await?;
        planned
            .retain(|(_, plan)| !matches!(plan, Plan::Deliver { drafts, .. } if drafts.is_empty()));
        if planned.is_empty() {
            return Ok(());
        }
        let mut tx = self.db().begin().await?;
        let applying: Vec<Id> = planned.iter().map(|(event, _)| event.id).collect();
        let fresh = inbox::record_all(&mut tx, NAME, &applying).await?;
        if fresh.is_empty() {
            return Ok(());
        }
        // Consecutive deliveries are stored together; a deletion or a block
        // applies between them, in the events' order.
        let mut stored = Vec::new();
        let mut drafts = Vec::new();
        for (event, plan) in planned
            .iter()
            .filter(|(event, _)| fresh.contains(&event.id))
        {
            tracing::debug!(event_id = %event.id, kind = %event.kind, "applying");
            if let Plan::Deliver { drafts: more, .. } = plan {
                drafts.extend(more.iter().cloned());
                continue;
            }
            self.store_all(&mut tx, &std::mem::take(&mut drafts), &mut stored)
                .await?;
            match plan {
                Plan::PostDeleted { post } => self.forget_post(&mut tx, *post).await?,
                Plan::CommentDeleted { comment } => self.forget_comment(&mut tx, *comment).await?,
                Plan::Blocked { blocker, blocked } => {
                    self.forget_between(&mut tx, *blocker, *blocked).await?
                }
                Plan::Deliver { .. } | Plan::Ignore => {}
            }
        }
        self.store_all(&mut tx, &drafts, &mut stored).await?;
        tx.commit().await?;
        self.inner.pusher.send(stored).await;
        Ok(())
    }
}

/// Now in Unix microseconds, as stored.
fn now_micros() -> i64 {
    to_micros(now())
}
