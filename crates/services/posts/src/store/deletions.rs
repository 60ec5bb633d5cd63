//! The comment deletions log: what a resuming comments stream replays.

use chorus_core::Id;
use chorus_core::time::{Timestamp, to_micros};
use sqlx::{Any, AnyPool, Executor};

/// One deleted comment, under the id its stream event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deletion {
    pub event_id: Id,
    pub comment_id: Id,
}

pub async fn log_deletion<'e>(
    db: impl Executor<'e, Database = Any>,
    post: Id,
    deletion: Deletion,
    at: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO comment_deletions (id, post_id, comment_id, deleted_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(deletion.event_id.as_i64())
    .bind(post.as_i64())
    .bind(deletion.comment_id.as_i64())
    .bind(to_micros(at))
    .execute(db)
    .await?;
    Ok(())
}

/// Up to `limit` deletions on `post` logged under an event id above `after`, oldest first.
pub async fn deletions_after(
    pool: &AnyPool,
    post: Id,
    after: Id,
    limit: u32,
) -> Result<Vec<Deletion>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, comment_id FROM comment_deletions \
         WHERE post_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(post.as_i64())
    .bind(after.as_i64())
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(event_id, comment_id)| Deletion {
            event_id: Id(event_id),
            comment_id: Id(comment_id),
        })
        .collect())
}

/// Forgets deletions logged before `before`; answers how many.
pub async fn prune_deletions<'e>(
    db: impl Executor<'e, Database = Any>,
    before: Timestamp,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM comment_deletions WHERE deleted_at < $1")
        .bind(to_micros(before))
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
