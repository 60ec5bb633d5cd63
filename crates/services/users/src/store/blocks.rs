//! Blocks: `blocker_id` blocks `blocked_id`; each is then hidden from the other.

use chorus_core::Id;
use chorus_core::time::{Timestamp, to_micros};
use sqlx::{Any, Executor};

use super::Position;

/// False if the block existed already.
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    blocker: Id,
    blocked: Id,
    at: Timestamp,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(blocker.as_i64())
    .bind(blocked.as_i64())
    .bind(to_micros(at))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// False if there was no such block.
pub async fn delete<'e>(
    db: impl Executor<'e, Database = Any>,
    blocker: Id,
    blocked: Id,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2")
        .bind(blocker.as_i64())
        .bind(blocked.as_i64())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Which of `a` and `b` blocks the other.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Blocks {
    pub a_blocks_b: bool,
    pub b_blocks_a: bool,
}

impl Blocks {
    pub fn either(self) -> bool {
        self.a_blocks_b || self.b_blocks_a
    }
}

pub async fn between<'e>(
    db: impl Executor<'e, Database = Any>,
    a: Id,
    b: Id,
) -> Result<Blocks, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT blocker_id FROM blocks WHERE (blocker_id = $1 AND blocked_id = $2) \
         OR (blocker_id = $2 AND blocked_id = $1)",
    )
    .bind(a.as_i64())
    .bind(b.as_i64())
    .fetch_all(db)
    .await?;
    Ok(Blocks {
        a_blocks_b: rows.iter().any(|(blocker,)| *blocker == a.as_i64()),
        b_blocks_a: rows.iter().any(|(blocker,)| *blocker == b.as_i64()),
    })
}

/// Whom `blocker` blocks, newest first, after `after`: `(blocked, since µs)`.
pub async fn blocked_by<'e>(
    db: impl Executor<'e, Database = Any>,
    blocker: Id,
    after: Position,
    limit: u32,
) -> Result<Vec<(Id, i64)>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT blocked_id, created_at FROM blocks WHERE blocker_id = $1 \
         AND (created_at < $2 OR (created_at = $2 AND blocked_id < $3)) \
         ORDER BY created_at DESC, blocked_id DESC LIMIT $4",
    )
    .bind(blocker.as_i64())
    .bind(after.at)
    .bind(after.id)
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id, at)| (Id(id), at)).collect())
}
