//! Reactions and their counts per post and kind.

use std::collections::{BTreeMap, HashMap};

use chorus_core::Id;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use sqlx::{Any, AnyPool, Executor};

use super::rows_in;

pub struct ReactionRecord {
    pub id: Id,
    pub user_id: Id,
    pub kind: String,
    pub created_at: Timestamp,
}

/// Adds a reaction; false if the user already reacted so (nothing changed).
pub async fn insert_reaction<'e>(
    db: impl Executor<'e, Database = Any>,
    post: Id,
    user: Id,
    kind: &str,
    id: Id,
    at: Timestamp,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO reactions (post_id, user_id, kind, id, created_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (post_id, user_id, kind) DO NOTHING",
    )
    .bind(post.as_i64())
    .bind(user.as_i64())
    .bind(kind)
    .bind(id.as_i64())
    .bind(to_micros(at))
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a reaction; false if there was none.
pub async fn delete_reaction<'e>(
    db: impl Executor<'e, Database = Any>,
    post: Id,
    user: Id,
    kind: &str,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM reactions WHERE post_id = $1 AND user_id = $2 AND kind = $3")
            .bind(post.as_i64())
            .bind(user.as_i64())
            .bind(kind)
            .execute(db)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds `delta` to a post's count of `kind`, atomically (concurrent
/// reactions queue on the count's row instead of overwriting each other).
pub async fn add_to_count<'e>(
    db: impl Executor<'e, Database = Any>,
    post: Id,
    kind: &str,
    delta: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reaction_counts (post_id, kind, total) VALUES ($1, $2, $3) \
         ON CONFLICT (post_id, kind) DO UPDATE SET total = reaction_counts.total + $3",
    )
    .bind(post.as_i64())
    .bind(kind)
    .bind(delta)
    .execute(db)
    .await?;
    Ok(())
}

/// One post's counts per kind (those above 0).
pub async fn counts<'e>(
    db: impl Executor<'e, Database = Any>,
    post: Id,
) -> Result<BTreeMap<String, i64>, sqlx::Error> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT kind, total FROM reaction_counts WHERE post_id = $1 AND total > 0")
            .bind(post.as_i64())
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().collect())
}

/// The kinds `user` reacted to one post with.
pub async fn kinds_of<'e>(
    db: impl Executor<'e, Database = Any>,
    post: Id,
    user: Id,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT kind FROM reactions WHERE post_id = $1 AND user_id = $2")
            .bind(post.as_i64())
            .bind(user.as_i64())
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|(kind,)| kind).collect())
}

/// Counts per kind of each of `posts` that has any.
pub async fn counts_of(
    pool: &AnyPool,
    posts: &[Id],
) -> Result<HashMap<Id, BTreeMap<String, i64>>, sqlx::Error> {
    let ids: Vec<i64> = posts.iter().map(|id| id.as_i64()).collect();
    let rows: Vec<(i64, String, i64)> = rows_in(pool, &[], &ids, |list| {
        format!(
            "SELECT post_id, kind, total FROM reaction_counts \
             WHERE post_id IN ({list}) AND total > 0"
        )
    })
    .await?;
    let mut counts: HashMap<Id, BTreeMap<String, i64>> = HashMap::new();
    for (post, kind, total) in rows {
        counts.entry(Id(post)).or_default().insert(kind, total);
    }
    Ok(counts)
}

/// The kinds `user` reacted with on each of `posts`.
pub async fn kinds_of_user(
    pool: &AnyPool,
    user: Id,
    posts: &[Id],
) -> Result<HashMap<Id, Vec<String>>, sqlx::Error> {
    let ids: Vec<i64> = posts.iter().map(|id| id.as_i64()).collect();
    let rows: Vec<(i64, String)> = rows_in(pool, &[user.as_i64()], &ids, |list| {
        format!("SELECT post_id, kind FROM reactions WHERE user_id = $1 AND post_id IN ({list})")
    })
    .await?;
    let mut kinds: HashMap<Id, Vec<String>> = HashMap::new();
    for (post, kind) in rows {
        kinds.entry(Id(post)).or_default().push(kind);
    }
    Ok(kinds)
}

/// Up to `limit` reactions to `post`, newest first, older than `before` when given.
pub async fn post_reactions(
    pool: &AnyPool,
    post: Id,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<ReactionRecord>, sqlx::Error> {
    let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(
        "SELECT id, user_id, kind, created_at FROM reactions \
         WHERE post_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(post.as_i64())
    .bind(before.unwrap_or(i64::MAX))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, user_id, kind, created_at)| ReactionRecord {
            id: Id(id),
            user_id: Id(user_id),
            kind,
            created_at: from_micros(created_at),
        })
        .collect())
}
