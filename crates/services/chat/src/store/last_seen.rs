//! When each user last had a chat connection open.

use std::collections::HashMap;

use chorus_core::Id;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use sqlx::{Any, AnyConnection, Executor};

use super::{MAX_BATCH, placeholders};

pub async fn record<'e>(
    db: impl Executor<'e, Database = Any>,
    user: Id,
    at: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO last_seen (user_id, last_seen_at) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET last_seen_at = excluded.last_seen_at",
    )
    .bind(user.as_i64())
    .bind(to_micros(at))
    .execute(db)
    .await?;
    Ok(())
}

pub async fn of_many(
    db: &mut AnyConnection,
    users: &[Id],
) -> Result<HashMap<Id, Timestamp>, sqlx::Error> {
    let mut seen = HashMap::new();
    for chunk in users.chunks(MAX_BATCH) {
        let sql = format!(
            "SELECT user_id, last_seen_at FROM last_seen WHERE user_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_as::<_, (i64, i64)>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id.as_i64());
        }
        for (user, at) in query.fetch_all(&mut *db).await? {
            seen.insert(Id(user), from_micros(at));
        }
    }
    Ok(seen)
}
