//! `notification_preferences`: the kinds a user switched off (or on again).
//! A kind without a row is on.

use std::collections::HashSet;

use chorus_core::Id;
use chorus_ports::Dialect;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Executor};

/// The kinds each of `users` switched off: `(user, kind)` pairs.
pub async fn disabled_among(
    conn: &mut AnyConnection,
    users: &[Id],
) -> Result<HashSet<(Id, String)>, sqlx::Error> {
    if users.is_empty() {
        return Ok(HashSet::new());
    }
    let sql = format!(
        "SELECT user_id, kind FROM notification_preferences \
         WHERE enabled = 0 AND user_id IN ({})",
        Dialect::of(conn).placeholders(1, users.len())
    );
    let mut query = sqlx::query_as::<_, (i64, String)>(AssertSqlSafe(sql));
    for user in users {
        query = query.bind(user.as_i64());
    }
    let rows = query.fetch_all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|(user, kind)| (Id(user), kind))
        .collect())
}

/// Every stored choice of `user`: `(kind, enabled)`.
pub async fn of_user<'e>(
    db: impl Executor<'e, Database = Any>,
    user: Id,
) -> Result<Vec<(String, bool)>, sqlx::Error> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, enabled FROM notification_preferences WHERE user_id = $1")
            .bind(user.as_i64())
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(kind, enabled)| (kind, enabled != 0))
        .collect())
}

pub async fn set<'e>(
    db: impl Executor<'e, Database = Any>,
    user: Id,
    kind: &str,
    enabled: bool,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO notification_preferences (user_id, kind, enabled, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, kind) \
         DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at",
    )
    .bind(user.as_i64())
    .bind(kind)
    .bind(i64::from(enabled))
    .bind(at)
    .execute(db)
    .await?;
    Ok(())
}
