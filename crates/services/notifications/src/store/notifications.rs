//! The `notifications` table: one row per notification (a group counts as one).

use chorus_core::Id;
use sqlx::{Any, AssertSqlSafe, Executor};

use super::Position;
use crate::domain::{Subject, parse_actor_ids, render_actor_ids};

/// A stored notification, before its actors' cards are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRow {
    pub id: Id,
    pub recipient_id: Id,
    pub kind: String,
    /// `{type, id, …}` JSON.
    pub subject: String,
    /// Newest first, at most three.
    pub actor_ids: Vec<Id>,
    pub actor_count: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub read_at: Option<i64>,
}

type Tuple = (i64, i64, String, String, String, i64, i64, i64, Option<i64>);

const COLUMNS: &str =
    "id, recipient_id, kind, subject, actor_ids, actor_count, created_at, updated_at, read_at";

fn row(
    (id, recipient_id, kind, subject, actor_ids, actor_count, created_at, updated_at, read_at): Tuple,
) -> NotificationRow {
    NotificationRow {
        id: Id(id),
        recipient_id: Id(recipient_id),
        kind,
        subject,
        actor_ids: parse_actor_ids(&actor_ids),
        actor_count,
        created_at,
        updated_at,
        read_at,
    }
}

/// A notification to insert, with its first actor.
#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    pub id: Id,
    pub recipient: Id,
    pub kind: &'a str,
    pub group_key: Option<&'a str>,
    pub subject: &'a Subject,
    pub actor: Id,
    pub at: i64,
}

/// Inserts `new`; false (and nothing inserted) when an open group under
/// its key exists already: another instance created it meanwhile.
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    new: &NewNotification<'_>,
) -> Result<bool, sqlx::Error> {
    // The conflict target names the partial unique index of open groups
    // (both dialects accept it); a row without a group key never conflicts.
    let done = sqlx::query(
        "INSERT INTO notifications (id, recipient_id, kind, group_key, subject, post_id, \
         actor_ids, actor_count, created_at, updated_at, read_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8, NULL) \
         ON CONFLICT (recipient_id, group_key) WHERE read_at IS NULL AND group_key IS NOT NULL \
         DO NOTHING",
    )
    .bind(new.id.as_i64())
    .bind(new.recipient.as_i64())
    .bind(new.kind)
    .bind(new.group_key)
    .bind(new.subject.to_json())
    .bind(new.subject.post_concerned().map(Id::as_i64))
    .bind(render_actor_ids(&[new.actor]))
    .bind(new.at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<Option<NotificationRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM notifications WHERE id = $1");
    let found: Option<Tuple> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id.as_i64())
        .fetch_optional(db)
        .await?;
    Ok(found.map(row))
}

/// `recipient`'s notification `id`; `None` if it is someone else's.
pub async fn find_for<'e>(
    db: impl Executor<'e, Database = Any>,
    recipient: Id,
    id: Id,
) -> Result<Option<NotificationRow>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM notifications WHERE id = $1 AND recipient_id = $2");
    let found: Option<Tuple> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(id.as_i64())
        .bind(recipient.as_i64())
        .fetch_optional(db)
        .await?;
    Ok(found.map(row))
}

/// The unread notification repeats under `group_key` merge into, if any.
pub async fn open_group<'e>(
    db: impl Executor<'e, Database = Any>,
    recipient: Id,
    group_key: &str,
) -> Result<Option<Id>, sqlx::Error> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM notifications \
         WHERE recipient_id = $1 AND group_key = $2 AND read_at IS NULL",
    )
    .bind(recipient.as_i64())
    .bind(group_key)
    .fetch_optional(db)
    .await?;
    Ok(found.map(|(id,)| Id(id)))
}

/// Bumps an unread notification's `updated_at`, locking its row until the
/// transaction ends (PostgreSQL). False if it was read meanwhile.
pub async fn touch<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE notifications SET updated_at = $2 WHERE id = $1 AND read_at IS NULL")
            .bind(id.as_i64())
            .bind(at)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets who a notification shows and counts, and what it points at.
pub async fn set_actors<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
    shown: &[Id],
    count: i64,
    subject: &Subject,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE notifications SET actor_ids = $2, actor_count = $3, subject = $4 WHERE id = $1",
    )
    .bind(id.as_i64())
    .bind(render_actor_ids(shown))
    .bind(count)
    .bind(subject.to_json())
    .execute(db)
    .await?;
    Ok(())
}

/// `recipient`'s notifications after `after`, newest activity first.
pub async fn page<'e>(
    db: impl Executor<'e, Database = Any>,
    recipient: Id,
    unread_only: bool,
    after: Position,
    limit: u32,
) -> Result<Vec<NotificationRow>, sqlx::Error> {
    let unread = if unread_only {
        " AND read_at IS NULL"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications WHERE recipient_id = $1{unread} \
         AND (updated_at < $2 OR (updated_at = $2 AND id < $3)) \
         ORDER BY updated_at DESC, id DESC LIMIT $4"
    );
    let rows: Vec<Tuple> = sqlx::query_as(AssertSqlSafe(sql))
        .bind(recipient.as_i64())
        .bind(after.at)
        .bind(after.id)
        .bind(i64::from(limit))
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(row).collect())
}

pub async fn unread_count<'e>(
    db: impl Executor<'e, Database = Any>,
    recipient: Id,
) -> Result<i64, sqlx::Error> {
    let (count,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM notifications WHERE recipient_id = $1 AND read_at IS NULL",
    )
    .bind(recipient.as_i64())
    .fetch_one(db)
    .await?;
    Ok(count)
}

/// Marks one of `recipient`'s notifications read, unless it was already.
pub async fn mark_read<'e>(
    db: impl Executor<'e, Database = Any>,
    recipient: Id,
    id: Id,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE notifications SET read_at = $3 \
         WHERE id = $1 AND recipient_id = $2 AND read_at IS NULL",
    )
    .bind(id.as_i64())
    .bind(recipient.as_i64())
    .bind(at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks every unread notification of `recipient` read: how many.
pub async fn mark_all_read<'e>(
    db: impl Executor<'e, Database = Any>,
    recipient: Id,
    at: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE notifications SET read_at = $2 WHERE recipient_id = $1 AND read_at IS NULL",
    )
    .bind(recipient.as_i64())
    .bind(at)
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Deletes every notification about `post` or its comments.
pub async fn delete_about_post<'e>(
    db: impl Executor<'e, Database = Any>,
    post: Id,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM notifications WHERE post_id = $1")
        .bind(post.as_i64())
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

pub async fn delete<'e>(db: impl Executor<'e, Database = Any>, id: Id) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM notifications WHERE id = $1")
        .bind(id.as_i64())
        .execute(db)
        .await?;
    Ok(())
}

/// Keeps `recipient`'s `keep` most recent notifications, deleting older ones.
pub async fn prune<'e>(
    db: impl Executor<'e, Database = Any>,
    recipient: Id,
    keep: u32,
) -> Result<u64, sqlx::Error> {
    // `LIMIT <large>`: both dialects take an OFFSET only after a LIMIT
    // (SQLite) or accept one without (PostgreSQL); a huge one means "all".
    let done = sqlx::query(
        "DELETE FROM notifications WHERE id IN (SELECT id FROM notifications \
         WHERE recipient_id = $1 ORDER BY updated_at DESC, id DESC \
         LIMIT 1000000000 OFFSET $2)",
    )
    .bind(recipient.as_i64())
    .bind(i64::from(keep))
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
