//! `media_usage`: the bytes each owner keeps.

use chorus_core::Id;
use sqlx::{Any, AnyConnection, Executor};

pub async fn used<'e>(
    db: impl Executor<'e, Database = Any>,
    owner: Id,
) -> Result<i64, sqlx::Error> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT used_bytes FROM media_usage WHERE owner_id = $1")
            .bind(owner.as_i64())
            .fetch_optional(db)
            .await?;
    Ok(row.map_or(0, |(used,)| used))
}

/// Adds `bytes` to what `owner` uses unless that would pass `quota`;
/// whether it did. One conditional update: two uploads at once cannot
/// both slip under the quota.
pub async fn charge(
    conn: &mut AnyConnection,
    owner: Id,
    bytes: i64,
    quota: i64,
) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "INSERT INTO media_usage (owner_id, used_bytes) VALUES ($1, 0) \
         ON CONFLICT (owner_id) DO NOTHING",
    )
    .bind(owner.as_i64())
    .execute(&mut *conn)
    .await?;
    let done = sqlx::query(
        "UPDATE media_usage SET used_bytes = used_bytes + $2 \
         WHERE owner_id = $1 AND used_bytes + $2 <= $3",
    )
    .bind(owner.as_i64())
    .bind(bytes)
    .bind(quota)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn refund<'e>(
    db: impl Executor<'e, Database = Any>,
    owner: Id,
    bytes: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE media_usage SET used_bytes = used_bytes - $2 WHERE owner_id = $1")
        .bind(owner.as_i64())
        .bind(bytes)
        .execute(db)
        .await?;
    Ok(())
}
