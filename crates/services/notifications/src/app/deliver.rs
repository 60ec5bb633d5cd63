//! Storing drafts, a batch at a time: each a new notification, or a repeat
//! merged into the unread one of its group. The batch's rows are read and
//! written in a handful of statements, whatever its size; the merging
//! happens in memory, in the drafts' order, so a later draft merges into
//! the group an earlier one opened or grew.
//!
//! Groups are claimed first: the open ones are read (and locked, on
//! PostgreSQL), the missing ones inserted as their first draft opens them.
//! Another instance may open one of those in between: its row is then read
//! and merged into like any open group, so concurrent batches never fail
//! for it.

use std::collections::{HashMap, HashSet};

use chorus_core::Id;
use sqlx::AnyConnection;

use super::{MAX_KEPT_PER_RECIPIENT, Notifications, now_micros};
use crate::domain::{Draft, push_actor};
use crate::store::actors::{self, Act};
use crate::store::notifications::{self, NotificationRow, Write};
use crate::store::preferences;

/// Rounds of claiming a batch's groups: one more each time another instance
/// opened a group and it was read before this batch could see it.
const CLAIM_ROUNDS: usize = 5;

/// A group's place: its recipient and key.
type Slot = (Id, String);

/// A notification the batch creates or changes.
struct Pending {
    row: NotificationRow,
    group_key: Option<String>,
    post_id: Option<Id>,
    /// The draft (its index in the batch) that opened it, when this batch
    /// inserted it.
    opened_by: Option<usize>,
    changed: bool,
}

impl Notifications {
    /// Stores `drafts`, in order, in the transaction `conn` is in, adding
    /// each notification as it stands after its draft to `stored` (a group
    /// pushed again as it grows).
    pub(super) async fn store_all(
        &self,
        conn: &mut AnyConnection,
        drafts: &[Draft],
        stored: &mut Vec<NotificationRow>,
    ) -> anyhow::Result<()> {
        let drafts = wanted(conn, drafts).await?;
        if drafts.is_empty() {
            return Ok(());
        }
        let at = now_micros();
        let keyed: Vec<(&Draft, Option<Slot>)> = drafts
            .into_iter()
            .map(|draft| (draft, draft.group_key().map(|key| (draft.recipient, key))))
            .collect();
        let mut groups = self.claim_groups(conn, &keyed, at).await?;
        let mut acted = acted_before(conn, &keyed, &groups).await?;
        let mut standalone = Vec::new();
        let mut acts: HashMap<(Id, Id), Act> = HashMap::with_capacity(keyed.len());
        for (index, (draft, slot)) in keyed.iter().enumerate() {
            let pending = match slot {
                Some(slot) => {
                    let group = groups.get_mut(slot).expect("every group was claimed");
                    if group.opened_by != Some(index) {
                        merge(group, draft, at, &mut acted);
                    }
                    group
                }
                None => {
                    standalone.push(self.open(draft, None, at, index));
                    standalone.last_mut().expect("just pushed")
                }
            };
            acted.insert((pending.row.id, draft.actor));
            let act = act(pending.row.id, draft, at);
            acts.insert((act.notification, act.actor), act);
            stored.push(pending.row.clone());
        }
        let writes: Vec<Write> = standalone.iter().map(Pending::write).collect();
        notifications::insert_all(&mut *conn, &writes).await?;
        let changed: Vec<&NotificationRow> = groups
            .values()
            .filter(|group| group.changed)
            .map(|group| &group.row)
            .collect();
        notifications::update_all(&mut *conn, &changed).await?;
        let acts: Vec<Act> = acts.into_values().collect();
        actors::record_all(&mut *conn, &acts).await?;
        let recipients: Vec<Id> = groups
            .values()
            .chain(&standalone)
            .filter(|pending| pending.opened_by.is_some())
            .map(|pending| pending.row.recipient_id)
            .collect();
        for recipient in self.due_for_pruning(&recipients) {
            notifications::prune(&mut *conn, recipient, MAX_KEPT_PER_RECIPIENT).await?;
        }
        Ok(())
    }

    /// Every group the drafts go to, by slot: the open ones read (and
    /// locked), the others inserted as their first draft opens them.
    async fn claim_groups(
        &self,
        conn: &mut AnyConnection,
        keyed: &[(&Draft, Option<Slot>)],
        at: i64,
    ) -> anyhow::Result<HashMap<Slot, Pending>> {
        // Each slot with the first draft that goes to it.
        let mut firsts: HashMap<&Slot, usize> = HashMap::new();
        for (index, (_, slot)) in keyed.iter().enumerate() {
            if let Some(slot) = slot {
                firsts.entry(slot).or_insert(index);
            }
        }
        let mut groups: HashMap<Slot, Pending> = HashMap::with_capacity(firsts.len());
        for _ in 0..CLAIM_ROUNDS {
            let mut wanted: Vec<Slot> = firsts
                .keys()
                .filter(|slot| !groups.contains_key(*slot))
                .map(|slot| (*slot).clone())
                .collect();
            if wanted.is_empty() {
                return Ok(groups);
            }
            wanted.sort_unstable();
            for (key, row) in notifications::open_groups(&mut *conn, &wanted).await? {
                groups.insert((row.recipient_id, key.clone()), found(row, key));
            }
            // One order of inserts for every instance: two batches opening
            // the same groups never wait on each other in a cycle.
            let opened: Vec<Pending> = wanted
                .iter()
                .filter(|slot| !groups.contains_key(*slot))
                .map(|slot| {
                    let index = firsts[slot];
                    self.open(keyed[index].0, Some(slot.1.clone()), at, index)
                })
                .collect();
            let writes: Vec<Write> = opened.iter().map(Pending::write).collect();
            let inserted = notifications::insert_all(&mut *conn, &writes).await?;
            for group in opened {
                if inserted.contains(&group.row.id) {
                    let slot = (
                        group.row.recipient_id,
                        group.group_key.clone().unwrap_or_default(),
                    );
                    groups.insert(slot, group);
                }
            }
            // A group another instance opened meanwhile is read next round.
        }
        anyhow::bail!("the groups of this batch kept being opened and read elsewhere; trying again")
    }

    /// A new notification for `draft` (the batch's `index`th), its actor
    /// the first.
    fn open(&self, draft: &Draft, group_key: Option<String>, at: i64, index: usize) -> Pending {
        Pending {
            row: NotificationRow {
                id: self.ids().next_id(),
                recipient_id: draft.recipient,
                kind: draft.kind.as_str().to_string(),
                subject: draft.subject.to_json(),
                actor_ids: vec![draft.actor],
                actor_count: 1,
                created_at: at,
                updated_at: at,
                read_at: None,
            },
            group_key,
            post_id: draft.subject.post_concerned(),
            opened_by: Some(index),
            changed: false,
        }
    }

    /// Of `recipients` (given a new notification each), those to prune
    /// now: every [`PRUNE_EVERY`] new ones, so the cap costs one statement
    /// per that many notifications, not one per notification. A recipient
    /// may hold up to that many more than the cap meanwhile.
    fn due_for_pruning(&self, recipients: &[Id]) -> Vec<Id> {
        let mut unpruned = self.unpruned();
        if unpruned.len() > MAX_TRACKED {
            // Forgetting counts only delays pruning for those recipients.
            unpruned.clear();
        }
        let mut due = Vec::new();
        for recipient in recipients {
            let count = unpruned.entry(*recipient).or_default();
            *count += 1;
            if *count >= PRUNE_EVERY {
                unpruned.remove(recipient);
                due.push(*recipient);
            }
        }
        due
    }
}

/// New notifications a recipient gets between two prunings of theirs.
pub(super) const PRUNE_EVERY: u32 = 50;

/// Recipients whose new notifications are counted towards pruning.
const MAX_TRACKED: usize = 100_000;

impl Pending {
    fn write(&self) -> Write<'_> {
        Write {
            row: &self.row,
            group_key: self.group_key.as_deref(),
            post_id: self.post_id,
        }
    }
}

/// An open group read from the store, to merge into.
fn found(row: NotificationRow, group_key: String) -> Pending {
    Pending {
        row,
        group_key: Some(group_key),
        post_id: None,
        opened_by: None,
        changed: false,
    }
}

/// Which drafts' actors acted already on the groups they merge into (those
/// that were open before this batch): `(notification, actor)`.
async fn acted_before(
    conn: &mut AnyConnection,
    keyed: &[(&Draft, Option<Slot>)],
    groups: &HashMap<Slot, Pending>,
) -> anyhow::Result<HashSet<(Id, Id)>> {
    let mut pairs: Vec<(Id, Id)> = keyed
        .iter()
        .filter_map(|(draft, slot)| {
            let group = groups.get(slot.as_ref()?)?;
            group
                .opened_by
                .is_none()
                .then_some((group.row.id, draft.actor))
        })
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    Ok(actors::acted_among(&mut *conn, &pairs).await?)
}

/// The drafts whose recipients have not switched their kind off.
async fn wanted<'d>(
    conn: &mut AnyConnection,
    drafts: &'d [Draft],
) -> anyhow::Result<Vec<&'d Draft>> {
    let mut recipients: Vec<Id> = drafts.iter().map(|draft| draft.recipient).collect();
    recipients.sort_unstable();
    recipients.dedup();
    let off = preferences::disabled_among(&mut *conn, &recipients).await?;
    Ok(drafts
        .iter()
        .filter(|draft| !off.contains(&(draft.recipient, draft.kind.as_str().to_string())))
        .collect())
}

/// `draft` merges into `open`: its actor first in line, counted once, the
/// subject pointing at the newest.
fn merge(open: &mut Pending, draft: &Draft, at: i64, acted: &mut HashSet<(Id, Id)>) {
    let row = &mut open.row;
    if acted.insert((row.id, draft.actor)) {
        row.actor_count += 1;
    }
    row.actor_ids = push_actor(&row.actor_ids, draft.actor);
    row.subject = draft.subject.to_json();
    row.updated_at = at;
    open.changed = true;
}

fn act(notification: Id, draft: &Draft, at: i64) -> Act {
    Act {
        notification,
        actor: draft.actor,
        recipient: draft.recipient,
        at,
        source: draft.source,
    }
}
