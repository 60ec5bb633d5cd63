//! Follows waiting for a private account's approval.

use chorus_core::Id;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use sqlx::{Any, Executor};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowRequestRecord {
    pub id: Id,
    pub follower_id: Id,
    pub followee_id: Id,
    pub created_at: Timestamp,
}

type Row = (i64, i64, i64, i64);

impl From<Row> for FollowRequestRecord {
    fn from((id, follower, followee, at): Row) -> Self {
        Self {
            id: Id(id),
            follower_id: Id(follower),
            followee_id: Id(followee),
            created_at: from_micros(at),
        }
    }
}

/// False if the pair already has a request.
pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    request: &FollowRequestRecord,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO follow_requests (id, follower_id, followee_id, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(request.id.as_i64())
    .bind(request.follower_id.as_i64())
    .bind(request.followee_id.as_i64())
    .bind(to_micros(request.created_at))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<Option<FollowRequestRecord>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, follower_id, followee_id, created_at FROM follow_requests WHERE id = $1",
    )
    .bind(id.as_i64())
    .fetch_optional(db)
    .await?;
    Ok(row.map(FollowRequestRecord::from))
}

pub async fn find_pair<'e>(
    db: impl Executor<'e, Database = Any>,
    follower: Id,
    followee: Id,
) -> Result<Option<FollowRequestRecord>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, follower_id, followee_id, created_at FROM follow_requests \
         WHERE follower_id = $1 AND followee_id = $2",
    )
    .bind(follower.as_i64())
    .bind(followee.as_i64())
    .fetch_optional(db)
    .await?;
    Ok(row.map(FollowRequestRecord::from))
}

/// False if it was gone already.
pub async fn delete<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM follow_requests WHERE id = $1")
        .bind(id.as_i64())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete_pair<'e>(
    db: impl Executor<'e, Database = Any>,
    follower: Id,
    followee: Id,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM follow_requests WHERE follower_id = $1 AND followee_id = $2")
            .bind(follower.as_i64())
            .bind(followee.as_i64())
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Every request waiting for `followee`, oldest first.
pub async fn all_to<'e>(
    db: impl Executor<'e, Database = Any>,
    followee: Id,
) -> Result<Vec<FollowRequestRecord>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, follower_id, followee_id, created_at FROM follow_requests \
         WHERE followee_id = $1 ORDER BY id",
    )
    .bind(followee.as_i64())
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(FollowRequestRecord::from).collect())
}

/// Requests waiting for `followee`, newest first, with ids below `before`.
pub async fn page_to<'e>(
    db: impl Executor<'e, Database = Any>,
    followee: Id,
    before: i64,
    limit: u32,
) -> Result<Vec<FollowRequestRecord>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, follower_id, followee_id, created_at FROM follow_requests \
         WHERE followee_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(followee.as_i64())
    .bind(before)
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(FollowRequestRecord::from).collect())
}
