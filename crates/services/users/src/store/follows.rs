//! Approved follows: `follower_id` follows `followee_id`.

use chorus_core::Id;
use chorus_core::time::{Timestamp, to_micros};
use sqlx::{Any, Executor};

use super::Position;

/// False if the follow existed already.
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    follower: Id,
    followee: Id,
    at: Timestamp,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO follows (follower_id, followee_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(follower.as_i64())
    .bind(followee.as_i64())
    .bind(to_micros(at))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// False if there was no such follow.
pub async fn delete<'e>(
    db: impl Executor<'e, Database = Any>,
    follower: Id,
    followee: Id,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM follows WHERE follower_id = $1 AND followee_id = $2")
        .bind(follower.as_i64())
        .bind(followee.as_i64())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn exists<'e>(
    db: impl Executor<'e, Database = Any>,
    follower: Id,
    followee: Id,
) -> Result<bool, sqlx::Error> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM follows WHERE follower_id = $1 AND followee_id = $2")
            .bind(follower.as_i64())
            .bind(followee.as_i64())
            .fetch_optional(db)
            .await?;
    Ok(row.is_some())
}

/// Who follows `user`, newest follow first, after `after`: `(follower, followed at µs)`.
pub async fn followers<'e>(
    db: impl Executor<'e, Database = Any>,
    user: Id,
    after: Position,
    limit: u32,
) -> Result<Vec<(Id, i64)>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT follower_id, created_at FROM follows WHERE followee_id = $1 \
         AND (created_at < $2 OR (created_at = $2 AND follower_id < $3)) \
         ORDER BY created_at DESC, follower_id DESC LIMIT $4",
    )
    .bind(user.as_i64())
    .bind(after.at)
    .bind(after.id)
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id, at)| (Id(id), at)).collect())
}

/// Whom `user` follows, newest follow first, after `after`: `(followee, followed at µs)`.
pub async fn following<'e>(
    db: impl Executor<'e, Database = Any>,
    user: Id,
    after: Position,
    limit: u32,
) -> Result<Vec<(Id, i64)>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT followee_id, created_at FROM follows WHERE follower_id = $1 \
         AND (created_at < $2 OR (created_at = $2 AND followee_id < $3)) \
         ORDER BY created_at DESC, followee_id DESC LIMIT $4",
    )
    .bind(user.as_i64())
    .bind(after.at)
    .bind(after.id)
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id, at)| (Id(id), at)).collect())
}
