//! Who follows whom and who blocks whom, as the users service's events said.

use chorus_core::Id;
use sqlx::{AnyConnection, AnyPool};

use super::{flag, ids};

/// A follow row, on or off. Returns whether its state changed (an older
/// event than the one that last wrote the row changes nothing).
pub async fn set_follow(
    conn: &mut AnyConnection,
    follower: Id,
    followee: Id,
    active: bool,
    version: Id,
) -> sqlx::Result<bool> {
    set_edge(
        conn,
        "follows",
        "follower_id",
        "followee_id",
        (follower, followee),
        active,
        version,
    )
    .await
}

/// A block row, on or off; as [`set_follow`].
pub async fn set_block(
    conn: &mut AnyConnection,
    blocker: Id,
    blocked: Id,
    active: bool,
    version: Id,
) -> sqlx::Result<bool> {
    set_edge(
        conn,
        "blocks",
        "blocker_id",
        "blocked_id",
        (blocker, blocked),
        active,
        version,
    )
    .await
}

/// Inserts the edge, or updates it if `version` is newer than what wrote it.
async fn set_edge(
    conn: &mut AnyConnection,
    table: &str,
    from_column: &str,
    to_column: &str,
    (from, to): (Id, Id),
    active: bool,
    version: Id,
) -> sqlx::Result<bool> {
    let insert = format!(
        "INSERT INTO {table} ({from_column}, {to_column}, active, version) VALUES ($1, $2, $3, $4) \
         ON CONFLICT ({from_column}, {to_column}) DO NOTHING"
    );
    let inserted = sqlx::query(sqlx::AssertSqlSafe(insert))
        .bind(from.as_i64())
        .bind(to.as_i64())
        .bind(flag(active))
        .bind(version.as_i64())
        .execute(&mut *conn)
        .await?;
    if inserted.rows_affected() == 1 {
        return Ok(active);
    }
    // The row lock taken by UPDATE makes check-and-set one step in PostgreSQL.
    let update = format!(
        "UPDATE {table} SET active = $3, version = $4 \
         WHERE {from_column} = $1 AND {to_column} = $2 AND version < $4"
    );
    let changed = format!("{update} AND active <> $3");
    let flipped = sqlx::query(sqlx::AssertSqlSafe(changed))
        .bind(from.as_i64())
        .bind(to.as_i64())
        .bind(flag(active))
        .bind(version.as_i64())
        .execute(&mut *conn)
        .await?;
    if flipped.rows_affected() == 1 {
        return Ok(true);
    }
    sqlx::query(sqlx::AssertSqlSafe(update))
        .bind(from.as_i64())
        .bind(to.as_i64())
        .bind(flag(active))
        .bind(version.as_i64())
        .execute(&mut *conn)
        .await?;
    Ok(false)
}

/// Adds `delta` to `user`'s follower count; returns the new count.
pub async fn add_followers(conn: &mut AnyConnection, user: Id, delta: i64) -> sqlx::Result<i64> {
    let (count,): (i64,) = sqlx::query_as(
        "INSERT INTO follower_counts (user_id, followers) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET followers = follower_counts.followers + $2 \
         RETURNING followers",
    )
    .bind(user.as_i64())
    .bind(delta)
    .fetch_one(&mut *conn)
    .await?;
    Ok(count)
}

pub async fn follower_count(conn: &mut AnyConnection, user: Id) -> sqlx::Result<i64> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT followers FROM follower_counts WHERE user_id = $1")
            .bind(user.as_i64())
            .fetch_optional(&mut *conn)
            .await?;
    Ok(row.map_or(0, |(count,)| count))
}

/// Everyone who follows `user` now.
pub async fn followers(conn: &mut AnyConnection, user: Id) -> sqlx::Result<Vec<Id>> {
    let rows =
        sqlx::query_as("SELECT follower_id FROM follows WHERE followee_id = $1 AND active = 1")
            .bind(user.as_i64())
            .fetch_all(&mut *conn)
            .await?;
    Ok(ids(rows))
}

/// Everyone `user` follows now, ascending.
pub async fn following(pool: &AnyPool, user: Id) -> sqlx::Result<Vec<Id>> {
    let rows = sqlx::query_as(
        "SELECT followee_id FROM follows WHERE follower_id = $1 AND active = 1 ORDER BY followee_id",
    )
    .bind(user.as_i64())
    .fetch_all(pool)
    .await?;
    Ok(ids(rows))
}

/// Everyone `user` blocks or is blocked by, ascending.
pub async fn hidden(pool: &AnyPool, user: Id) -> sqlx::Result<Vec<Id>> {
    let rows = sqlx::query_as(
        "SELECT blocked_id FROM blocks WHERE blocker_id = $1 AND active = 1 \
         UNION SELECT blocker_id FROM blocks WHERE blocked_id = $1 AND active = 1 \
         ORDER BY 1",
    )
    .bind(user.as_i64())
    .fetch_all(pool)
    .await?;
    Ok(ids(rows))
}

/// Accounts with more than `threshold` followers, ascending.
pub async fn celebrities(pool: &AnyPool, threshold: i64) -> sqlx::Result<Vec<Id>> {
    let rows =
        sqlx::query_as("SELECT user_id FROM follower_counts WHERE followers > $1 ORDER BY user_id")
            .bind(threshold)
            .fetch_all(pool)
            .await?;
    Ok(ids(rows))
}
