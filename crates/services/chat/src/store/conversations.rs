//! Conversations: direct (one per pair, by `direct_key`) or groups.

use chorus_core::Id;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use sqlx::{Any, Executor};

use crate::domain::ConversationKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRecord {
    pub id: Id,
    pub kind: ConversationKind,
    pub title: Option<String>,
    pub created_by: Id,
    pub created_at: Timestamp,
    /// Unix microseconds of the last message, or of the creation.
    pub last_activity_at: i64,
    pub last_message_id: Option<Id>,
}

type Row = (i64, String, Option<String>, i64, i64, i64, Option<i64>);

const COLUMNS: &str =
    "c.id, c.kind, c.title, c.created_by, c.created_at, c.last_activity_at, c.last_message_id";

fn record(row: Row) -> ConversationRecord {
    let (id, kind, title, created_by, created_at, last_activity_at, last_message_id) = row;
    ConversationRecord {
        id: Id(id),
        kind: ConversationKind::from_stored(&kind),
        title,
        created_by: Id(created_by),
        created_at: from_micros(created_at),
        last_activity_at,
        last_message_id: last_message_id.map(Id),
    }
}

/// The key that makes a pair's direct conversation unique.
pub fn direct_key(a: Id, b: Id) -> String {
    format!("{}:{}", a.min(b), a.max(b))
}

/// False when `direct_key` is taken (another request created the pair's
/// conversation first).
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    conversation: &ConversationRecord,
    direct_key: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO conversations \
         (id, kind, title, direct_key, created_by, created_at, last_activity_at, last_message_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL) ON CONFLICT DO NOTHING",
    )
    .bind(conversation.id.as_i64())
    .bind(conversation.kind.as_str())
    .bind(conversation.title.clone())
    .bind(direct_key.map(str::to_string))
    .bind(conversation.created_by.as_i64())
    .bind(to_micros(conversation.created_at))
    .bind(conversation.last_activity_at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<Option<ConversationRecord>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM conversations c WHERE c.id = $1"
    )))
    .bind(id.as_i64())
    .fetch_optional(db)
    .await?;
    Ok(row.map(record))
}

pub async fn find_direct<'e>(
    db: impl Executor<'e, Database = Any>,
    key: &str,
) -> Result<Option<ConversationRecord>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM conversations c WHERE c.direct_key = $1"
    )))
    .bind(key)
    .fetch_optional(db)
    .await?;
    Ok(row.map(record))
}

/// A new message moves the conversation to the top of its members' lists.
pub async fn touch<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
    message: Id,
    at: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE conversations SET last_activity_at = $2, last_message_id = $3 WHERE id = $1",
    )
    .bind(id.as_i64())
    .bind(to_micros(at))
    .bind(message.as_i64())
    .execute(db)
    .await?;
    Ok(())
}

/// Where a most-recent-first list of conversations stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub at: i64,
    pub id: i64,
}

impl Position {
    pub const START: Position = Position {
        at: i64::MAX,
        id: i64::MAX,
    };

    pub fn encode(self) -> String {
        format!("{}:{}", self.at, self.id)
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let (at, id) = raw.split_once(':')?;
        Some(Position {
            at: at.parse().ok()?,
            id: id.parse().ok()?,
        })
    }
}

/// `user`'s conversations, most recent activity first, after `after`, with
/// the user's read receipt in each.
pub async fn of_member<'e>(
    db: impl Executor<'e, Database = Any>,
    user: Id,
    after: Position,
    limit: u32,
) -> Result<Vec<(ConversationRecord, i64)>, sqlx::Error> {
    type WithReceipt = (i64, String, Option<String>, i64, i64, i64, Option<i64>, i64);
    let rows: Vec<WithReceipt> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, m.last_read_message_id FROM conversation_members m \
             JOIN conversations c ON c.id = m.conversation_id \
             WHERE m.user_id = $1 \
             AND (c.last_activity_at < $2 OR (c.last_activity_at = $2 AND c.id < $3)) \
             ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $4"
    )))
    .bind(user.as_i64())
    .bind(after.at)
    .bind(after.id)
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(a, b, c, d, e, f, g, last_read)| (record((a, b, c, d, e, f, g)), last_read))
        .collect())
}

/// The ids of `user`'s most recently active conversations, at most `limit`.
pub async fn ids_of_member<'e>(
    db: impl Executor<'e, Database = Any>,
    user: Id,
    limit: u32,
) -> Result<Vec<Id>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT c.id FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id \
         WHERE m.user_id = $1 ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $2",
    )
    .bind(user.as_i64())
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id,)| Id(id)).collect())
}
