//! Who belongs to a conversation, and how far each has read.

use std::collections::HashMap;

use chorus_core::Id;
use chorus_core::time::{Timestamp, to_micros};
use sqlx::{Any, AnyConnection, Executor};

use super::{MAX_BATCH, placeholders};

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    conversation: Id,
    user: Id,
    at: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO conversation_members (conversation_id, user_id, joined_at) \
         VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(conversation.as_i64())
    .bind(user.as_i64())
    .bind(to_micros(at))
    .execute(db)
    .await?;
    Ok(())
}

pub async fn is_member<'e>(
    db: impl Executor<'e, Database = Any>,
    conversation: Id,
    user: Id,
) -> Result<bool, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT user_id FROM conversation_members WHERE conversation_id = $1 AND user_id = $2",
    )
    .bind(conversation.as_i64())
    .bind(user.as_i64())
    .fetch_optional(db)
    .await?;
    Ok(row.is_some())
}

/// The members of `conversation`, in the order they joined.
pub async fn of<'e>(
    db: impl Executor<'e, Database = Any>,
    conversation: Id,
) -> Result<Vec<Id>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT user_id FROM conversation_members WHERE conversation_id = $1 \
         ORDER BY joined_at, user_id",
    )
    .bind(conversation.as_i64())
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id,)| Id(id)).collect())
}

/// The members of each of `conversations`, each list in joining order.
pub async fn of_many(
    db: &mut AnyConnection,
    conversations: &[Id],
) -> Result<HashMap<Id, Vec<Id>>, sqlx::Error> {
    let mut members: HashMap<Id, Vec<Id>> = HashMap::new();
    for chunk in conversations.chunks(MAX_BATCH) {
        let sql = format!(
            "SELECT conversation_id, user_id FROM conversation_members \
             WHERE conversation_id IN ({}) ORDER BY conversation_id, joined_at, user_id",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id.as_i64());
        }
        for (conversation, user) in query.fetch_all(&mut *db).await? {
            members.entry(Id(conversation)).or_default().push(Id(user));
        }
    }
    Ok(members)
}

/// Moves `user`'s read receipt forward to `message`; false when it was
/// already there or further (receipts never go back).
pub async fn mark_read<'e>(
    db: impl Executor<'e, Database = Any>,
    conversation: Id,
    user: Id,
    message: Id,
    at: Timestamp,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE conversation_members SET last_read_message_id = $3, last_read_at = $4 \
         WHERE conversation_id = $1 AND user_id = $2 AND last_read_message_id < $3",
    )
    .bind(conversation.as_i64())
    .bind(user.as_i64())
    .bind(message.as_i64())
    .bind(to_micros(at))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// For each of `conversations` (of which `user` is a member), how many
/// messages from others came after `user`'s read receipt.
pub async fn unread_counts(
    db: &mut AnyConnection,
    user: Id,
    conversations: &[Id],
) -> Result<HashMap<Id, i64>, sqlx::Error> {
    let mut counts = HashMap::new();
    for chunk in conversations.chunks(MAX_BATCH) {
        let sql = format!(
            "SELECT m.conversation_id, COUNT(msg.id) FROM conversation_members m \
             JOIN messages msg ON msg.conversation_id = m.conversation_id \
             AND msg.id > m.last_read_message_id AND msg.sender_id <> m.user_id \
             WHERE m.user_id = $1 AND m.conversation_id IN ({}) GROUP BY m.conversation_id",
            placeholders(2, chunk.len())
        );
        let mut query =
            sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql)).bind(user.as_i64());
        for id in chunk {
            query = query.bind(id.as_i64());
        }
        for (conversation, count) in query.fetch_all(&mut *db).await? {
            counts.insert(Id(conversation), count);
        }
    }
    Ok(counts)
}
