//! Messages, newest last; ids grow with time, so a history is an id range.

use chorus_core::Id;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use sqlx::{Any, AnyConnection, Executor};

use super::{MAX_BATCH, placeholders};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    pub id: Id,
    pub conversation_id: Id,
    pub sender_id: Id,
    pub content: String,
    pub created_at: Timestamp,
}

type Row = (i64, i64, i64, String, i64);

fn record((id, conversation_id, sender_id, content, created_at): Row) -> MessageRecord {
    MessageRecord {
        id: Id(id),
        conversation_id: Id(conversation_id),
        sender_id: Id(sender_id),
        content,
        created_at: from_micros(created_at),
    }
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    message: &MessageRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO messages (id, conversation_id, sender_id, content, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(message.id.as_i64())
    .bind(message.conversation_id.as_i64())
    .bind(message.sender_id.as_i64())
    .bind(message.content.clone())
    .bind(to_micros(message.created_at))
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<Option<MessageRecord>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, conversation_id, sender_id, content, created_at FROM messages WHERE id = $1",
    )
    .bind(id.as_i64())
    .fetch_optional(db)
    .await?;
    Ok(row.map(record))
}

/// `conversation`'s messages older than `before` (all when `None`), newest
/// first, at most `limit`.
pub async fn before<'e>(
    db: impl Executor<'e, Database = Any>,
    conversation: Id,
    before: Option<Id>,
    limit: u32,
) -> Result<Vec<MessageRecord>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, conversation_id, sender_id, content, created_at FROM messages \
         WHERE conversation_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(conversation.as_i64())
    .bind(before.map_or(i64::MAX, Id::as_i64))
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(record).collect())
}

/// The messages among `ids` that exist, in no particular order.
pub async fn find_many(
    db: &mut AnyConnection,
    ids: &[Id],
) -> Result<Vec<MessageRecord>, sqlx::Error> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_BATCH) {
        let sql = format!(
            "SELECT id, conversation_id, sender_id, content, created_at FROM messages \
             WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id.as_i64());
        }
        found.extend(query.fetch_all(&mut *db).await?.into_iter().map(record));
    }
    Ok(found)
}
