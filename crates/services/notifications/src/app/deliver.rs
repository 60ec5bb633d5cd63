//! Storing drafts: a new notification, or a repeat merged into the unread
//! one of its group; each event once (the inbox), in one transaction.

use chorus_core::Id;
use sqlx::AnyConnection;

use super::{MAX_KEPT_PER_RECIPIENT, Notifications, now_micros};
use crate::domain::{Draft, push_actor};
use crate::store::actors::{self, Act};
use crate::store::notifications::{self, NewNotification, NotificationRow};
use crate::store::preferences;

impl Notifications {
    /// Stores `drafts` (sorted by recipient) in the transaction `conn` is
    /// in, adding each notification as it then stands to `stored`.
    pub(super) async fn store_all(
        &self,
        conn: &mut AnyConnection,
        drafts: &[Draft],
        stored: &mut Vec<NotificationRow>,
    ) -> anyhow::Result<()> {
        let at = now_micros();
        for draft in drafts {
            if let Some(row) = self.store(&mut *conn, draft, at).await? {
                stored.push(row);
            }
        }
        Ok(())
    }

    /// Stores one draft unless its recipient switched its kind off: the
    /// notification as it now stands.
    async fn store(
        &self,
        conn: &mut AnyConnection,
        draft: &Draft,
        at: i64,
    ) -> anyhow::Result<Option<NotificationRow>> {
        if !preferences::enabled(&mut *conn, draft.recipient, draft.kind.as_str()).await? {
            return Ok(None);
        }
        let group_key = draft.group_key();
        if let Some(key) = &group_key
            && let Some(merged) = merge_into_open(conn, draft, key, at).await?
        {
            return Ok(Some(merged));
        }
        let id = self.ids().next_id();
        let new = NewNotification {
            id,
            recipient: draft.recipient,
            kind: draft.kind.as_str(),
            group_key: group_key.as_deref(),
            subject: &draft.subject,
            actor: draft.actor,
            at,
        };
        if !notifications::insert(&mut *conn, &new).await? {
            // Another instance opened this group since we looked: join it.
            let key = group_key.as_deref().unwrap_or_default();
            return match merge_into_open(conn, draft, key, at).await? {
                Some(merged) => Ok(Some(merged)),
                None => anyhow::bail!("the open group {key} came and went; trying again"),
            };
        }
        actors::record(conn, act(id, draft, at)).await?;
        notifications::prune(&mut *conn, draft.recipient, MAX_KEPT_PER_RECIPIENT).await?;
        Ok(notifications::find(&mut *conn, id).await?)
    }
}

/// Merges `draft` into the recipient's open group under `key`, if there is one.
async fn merge_into_open(
    conn: &mut AnyConnection,
    draft: &Draft,
    key: &str,
    at: i64,
) -> anyhow::Result<Option<NotificationRow>> {
    match notifications::open_group(&mut *conn, draft.recipient, key).await? {
        Some(open) => merge(conn, open, draft, at).await,
        None => Ok(None),
    }
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

/// Merges `draft` into the open group `open`: its actor first in line,
/// counted once, the subject pointing at the newest. `None` if the group was
/// read meanwhile (a new one starts).
async fn merge(
    conn: &mut AnyConnection,
    open: Id,
    draft: &Draft,
    at: i64,
) -> anyhow::Result<Option<NotificationRow>> {
    // Locks the row first, so concurrent merges into one group take turns
    // and each reads what the previous one wrote.
    if !notifications::touch(&mut *conn, open, at).await? {
        return Ok(None);
    }
    let Some(current) = notifications::find(&mut *conn, open).await? else {
        return Ok(None);
    };
    let new_actor = actors::record(conn, act(open, draft, at)).await?;
    let shown = push_actor(&current.actor_ids, draft.actor);
    let count = current.actor_count + i64::from(new_actor);
    notifications::set_actors(&mut *conn, open, &shown, count, &draft.subject).await?;
    Ok(notifications::find(&mut *conn, open).await?)
}
