//! Friend requests (pending only: answered ones are deleted) and friendships
//! (one row per pair, the smaller id in `user_a`).

use chorus_core::Id;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use sqlx::{Any, Executor};

use super::Position;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FriendRequestRecord {
    pub id: Id,
    pub from_id: Id,
    pub to_id: Id,
    pub created_at: Timestamp,
}

type Row = (i64, i64, i64, i64);

impl From<Row> for FriendRequestRecord {
    fn from((id, from, to, at): Row) -> Self {
        Self {
            id: Id(id),
            from_id: Id(from),
            to_id: Id(to),
            created_at: from_micros(at),
        }
    }
}

/// False if `from` already asked `to`.
pub async fn insert_request<'e>(
    db: impl Executor<'e, Database = Any>,
    request: &FriendRequestRecord,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO friend_requests (id, from_id, to_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(request.id.as_i64())
    .bind(request.from_id.as_i64())
    .bind(request.to_id.as_i64())
    .bind(to_micros(request.created_at))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find_request<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<Option<FriendRequestRecord>, sqlx::Error> {
    let row: Option<Row> =
        sqlx::query_as("SELECT id, from_id, to_id, created_at FROM friend_requests WHERE id = $1")
            .bind(id.as_i64())
            .fetch_optional(db)
            .await?;
    Ok(row.map(FriendRequestRecord::from))
}

pub async fn find_request_pair<'e>(
    db: impl Executor<'e, Database = Any>,
    from: Id,
    to: Id,
) -> Result<Option<FriendRequestRecord>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, from_id, to_id, created_at FROM friend_requests WHERE from_id = $1 AND to_id = $2",
    )
    .bind(from.as_i64())
    .bind(to.as_i64())
    .fetch_optional(db)
    .await?;
    Ok(row.map(FriendRequestRecord::from))
}

/// False if it was gone already.
pub async fn delete_request<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM friend_requests WHERE id = $1")
        .bind(id.as_i64())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes the requests between `a` and `b`, both ways.
pub async fn delete_requests_between<'e>(
    db: impl Executor<'e, Database = Any>,
    a: Id,
    b: Id,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM friend_requests WHERE (from_id = $1 AND to_id = $2) \
         OR (from_id = $2 AND to_id = $1)",
    )
    .bind(a.as_i64())
    .bind(b.as_i64())
    .execute(db)
    .await?;
    Ok(())
}

/// Pending requests to `user` (`incoming`) or from `user`, newest first, ids below `before`.
pub async fn page_requests<'e>(
    db: impl Executor<'e, Database = Any>,
    user: Id,
    incoming: bool,
    before: i64,
    limit: u32,
) -> Result<Vec<FriendRequestRecord>, sqlx::Error> {
    let sql = match incoming {
        true => {
            "SELECT id, from_id, to_id, created_at FROM friend_requests \
             WHERE to_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        }
        false => {
            "SELECT id, from_id, to_id, created_at FROM friend_requests \
             WHERE from_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        }
    };
    let rows: Vec<Row> = sqlx::query_as(sql)
        .bind(user.as_i64())
        .bind(before)
        .bind(i64::from(limit))
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(FriendRequestRecord::from).collect())
}

fn ordered(a: Id, b: Id) -> (i64, i64) {
    (a.min(b).as_i64(), a.max(b).as_i64())
}

/// False if they were friends already.
pub async fn insert_friendship<'e>(
    db: impl Executor<'e, Database = Any>,
    a: Id,
    b: Id,
    at: Timestamp,
) -> Result<bool, sqlx::Error> {
    let (low, high) = ordered(a, b);
    let done = sqlx::query(
        "INSERT INTO friendships (user_a, user_b, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(low)
    .bind(high)
    .bind(to_micros(at))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// False if they were not friends.
pub async fn delete_friendship<'e>(
    db: impl Executor<'e, Database = Any>,
    a: Id,
    b: Id,
) -> Result<bool, sqlx::Error> {
    let (low, high) = ordered(a, b);
    let done = sqlx::query("DELETE FROM friendships WHERE user_a = $1 AND user_b = $2")
        .bind(low)
        .bind(high)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn are_friends<'e>(
    db: impl Executor<'e, Database = Any>,
    a: Id,
    b: Id,
) -> Result<bool, sqlx::Error> {
    let (low, high) = ordered(a, b);
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM friendships WHERE user_a = $1 AND user_b = $2")
            .bind(low)
            .bind(high)
            .fetch_optional(db)
            .await?;
    Ok(row.is_some())
}

/// `user`'s friends, newest friendship first, after `after`: `(friend, since µs)`.
pub async fn friends<'e>(
    db: impl Executor<'e, Database = Any>,
    user: Id,
    after: Position,
    limit: u32,
) -> Result<Vec<(Id, i64)>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT friend_id, created_at FROM ( \
             SELECT user_b AS friend_id, created_at FROM friendships WHERE user_a = $1 \
             UNION ALL \
             SELECT user_a AS friend_id, created_at FROM friendships WHERE user_b = $1 \
         ) mine \
         WHERE created_at < $2 OR (created_at = $2 AND friend_id < $3) \
         ORDER BY created_at DESC, friend_id DESC LIMIT $4",
    )
    .bind(user.as_i64())
    .bind(after.at)
    .bind(after.id)
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id, at)| (Id(id), at)).collect())
}
