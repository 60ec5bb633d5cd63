//! The `notifications` table: one row per notification (a group counts as one).

use std::collections::HashSet;

use chorus_core::Id;
use chorus_ports::Dialect;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Executor};

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

/// A notification as a batch writes it: new (inserted) or an open group's
/// new state (updated).
#[derive(Debug, Clone, Copy)]
pub struct Write<'a> {
    pub row: &'a NotificationRow,
    /// Set for kinds that group.
    pub group_key: Option<&'a str>,
    /// The post it concerns, if any: it goes with the post.
    pub post_id: Option<Id>,
}

/// Rows per statement in batch writes: 10 binds each, far below both
/// dialects' limits.
const CHUNK: usize = 500;

/// Inserts `rows`: the ids inserted. One is left out when an open group
/// under its key exists already (another instance opened it meanwhile).
pub async fn insert_all(
    conn: &mut AnyConnection,
    rows: &[Write<'_>],
) -> Result<HashSet<Id>, sqlx::Error> {
    let dialect = Dialect::of(conn);
    let mut inserted = HashSet::with_capacity(rows.len());
    for chunk in rows.chunks(CHUNK) {
        // The conflict target names the partial unique index of open groups
        // (both dialects accept it); a row without a group key never conflicts.
        let sql = format!(
            "INSERT INTO notifications (id, recipient_id, kind, group_key, subject, post_id, \
             actor_ids, actor_count, created_at, updated_at) VALUES {} \
             ON CONFLICT (recipient_id, group_key) WHERE read_at IS NULL AND group_key IS NOT NULL \
             DO NOTHING RETURNING id",
            dialect.value_rows(1, chunk.len(), 10)
        );
        let mut query = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(sql));
        for write in chunk {
            let row = write.row;
            query = query
                .bind(row.id.as_i64())
                .bind(row.recipient_id.as_i64())
                .bind(row.kind.as_str())
                .bind(write.group_key)
                .bind(row.subject.as_str())
                .bind(write.post_id.map(Id::as_i64))
                .bind(render_actor_ids(&row.actor_ids))
                .bind(row.actor_count)
                .bind(row.created_at)
                .bind(row.updated_at);
        }
        let ids = query.fetch_all(&mut *conn).await?;
        inserted.extend(ids.into_iter().map(|(id,)| Id(id)));
    }
    Ok(inserted)
}

/// Writes the new state of open groups `rows` merged into: who they show
/// and count, what they point at, when they last changed.
pub async fn update_all(
    conn: &mut AnyConnection,
    rows: &[&NotificationRow],
) -> Result<(), sqlx::Error> {
    let dialect = Dialect::of(conn);
    for chunk in rows.chunks(CHUNK) {
        // A table of new values joined on id: one statement for the chunk.
        // Both dialects name the columns of a VALUES list column1, column2, …
        let sql = format!(
            "UPDATE notifications SET actor_ids = v.column2, actor_count = v.column3, \
             subject = v.column4, updated_at = v.column5 \
             FROM (VALUES {}) AS v WHERE notifications.id = v.column1",
            dialect.value_rows(1, chunk.len(), 5)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            query = query
                .bind(row.id.as_i64())
                .bind(render_actor_ids(&row.actor_ids))
                .bind(row.actor_count)
                .bind(row.subject.as_str())
                .bind(row.updated_at);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The unread groups, among `keys` (`(recipient, group key)`), that repeats
/// merge into, with their keys. On PostgreSQL their rows stay locked until
/// the transaction ends, taken in id order, so that merges into one group
/// take turns and each reads what the previous one wrote.
pub async fn open_groups(
    conn: &mut AnyConnection,
    keys: &[(Id, String)],
) -> Result<Vec<(String, NotificationRow)>, sqlx::Error> {
    let dialect = Dialect::of(conn);
    let mut found = Vec::new();
    for chunk in keys.chunks(CHUNK) {
        let lock = match dialect {
            Dialect::Postgres => " ORDER BY n.id FOR UPDATE OF n",
            Dialect::Sqlite => "",
        };
        // The pairs as a table, joined on the open groups' index: one
        // lookup per pair (the index's condition repeated, so it applies).
        let columns = COLUMNS
            .split(", ")
            .map(|column| format!("n.{column}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "WITH k (recipient_id, group_key) AS (VALUES {}) \
             SELECT {columns}, n.group_key FROM k JOIN notifications n \
             ON n.recipient_id = k.recipient_id AND n.group_key = k.group_key \
             WHERE n.read_at IS NULL AND n.group_key IS NOT NULL{lock}",
            dialect.value_rows(1, chunk.len(), 2),
        );
        let mut query = sqlx::query_as::<_, GroupTuple>(AssertSqlSafe(sql));
        for (recipient, key) in chunk {
            query = query.bind(recipient.as_i64()).bind(key.as_str());
        }
        let rows = query.fetch_all(&mut *conn).await?;
        found.extend(rows.into_iter().map(|tuple| {
            let (tuple, key) = split_group(tuple);
            (key, row(tuple))
        }));
    }
    Ok(found)
}

type GroupTuple = (
    i64,
    i64,
    String,
    String,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    String,
);

fn split_group(
    (id, recipient_id, kind, subject, actor_ids, actor_count, created_at, updated_at, read_at, key): GroupTuple,
) -> (Tuple, String) {
    let tuple = (
        id,
        recipient_id,
        kind,
        subject,
        actor_ids,
        actor_count,
        created_at,
        updated_at,
        read_at,
    );
    (tuple, key)
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
