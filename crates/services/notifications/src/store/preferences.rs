//! `notification_preferences`: the kinds a user switched off (or on again).
//! A kind without a row is on.

use chorus_core::Id;
use sqlx::{Any, Executor};

/// Does `user` want notifications of `kind`?
pub async fn enabled<'e>(
    db: impl Executor<'e, Database = Any>,
    user: Id,
    kind: &str,
) -> Result<bool, sqlx::Error> {
    let found: Option<(i64,)> = sqlx::query_as(
        "SELECT enabled FROM notification_preferences WHERE user_id = $1 AND kind = $2",
    )
    .bind(user.as_i64())
    .bind(kind)
    .fetch_optional(db)
    .await?;
    Ok(found.is_none_or(|(enabled,)| enabled != 0))
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
