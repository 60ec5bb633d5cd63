//! The posts timelines are made of: id, author and visibility, nothing more
//! (bodies are the posts service's, fetched and cached at read time).

use chorus_core::Id;
use sqlx::{AnyConnection, AnyPool};

use super::ids;

/// A post as the feed keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedPost {
    pub id: Id,
    pub author_id: Id,
    pub private: bool,
}

/// Records a new post. False if it was known already
/// (a redelivery, or a deletion that arrived first).
pub async fn insert(
    conn: &mut AnyConnection,
    post: FeedPost,
    visibility: &str,
    version: Id,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO feed_posts (id, author_id, visibility, deleted, version) \
         VALUES ($1, $2, $3, 0, $4) ON CONFLICT (id) DO NOTHING",
    )
    .bind(post.id.as_i64())
    .bind(post.author_id.as_i64())
    .bind(visibility)
    .bind(version.as_i64())
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a post deleted, leaving a tombstone even if it was never seen.
pub async fn delete(
    conn: &mut AnyConnection,
    post: Id,
    author: Id,
    version: Id,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO feed_posts (id, author_id, visibility, deleted, version) \
         VALUES ($1, $2, 'private', 1, $3) \
         ON CONFLICT (id) DO UPDATE SET deleted = 1",
    )
    .bind(post.as_i64())
    .bind(author.as_i64())
    .bind(version.as_i64())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Changes a live post's visibility, if `version` is newer than the last
/// change. Returns the visibility it had, when it changed.
pub async fn set_visibility(
    conn: &mut AnyConnection,
    post: Id,
    visibility: &str,
    version: Id,
) -> sqlx::Result<Option<String>> {
    let previous: Option<(String,)> = sqlx::query_as(
        "SELECT visibility FROM feed_posts WHERE id = $1 AND deleted = 0 AND version < $2",
    )
    .bind(post.as_i64())
    .bind(version.as_i64())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((previous,)) = previous else {
        return Ok(None);
    };
    let done = sqlx::query(
        "UPDATE feed_posts SET visibility = $2, version = $3 \
         WHERE id = $1 AND deleted = 0 AND version < $3",
    )
    .bind(post.as_i64())
    .bind(visibility)
    .bind(version.as_i64())
    .execute(&mut *conn)
    .await?;
    Ok((done.rows_affected() == 1 && previous != visibility).then_some(previous))
}

/// `author`'s newest posts others may see in a timeline, older than `before`.
pub async fn by_author(
    pool: &AnyPool,
    author: Id,
    before: Option<Id>,
    limit: usize,
) -> sqlx::Result<Vec<Id>> {
    let rows = sqlx::query_as(
        "SELECT id FROM feed_posts WHERE author_id = $1 AND id < $2 \
         AND deleted = 0 AND visibility <> 'private' ORDER BY id DESC LIMIT $3",
    )
    .bind(author.as_i64())
    .bind(before.map_or(i64::MAX, Id::as_i64))
    .bind(limit_i64(limit))
    .fetch_all(pool)
    .await?;
    Ok(ids(rows))
}

/// `viewer`'s home timeline from storage: their own posts and the visible
/// posts of everyone they follow, newest first, strictly between `after`
/// and `before`. Per followee through the author index, then merged.
pub async fn home(
    pool: &AnyPool,
    viewer: Id,
    before: Option<Id>,
    after: Option<Id>,
    limit: usize,
) -> sqlx::Result<Vec<Id>> {
    let rows = sqlx::query_as(
        "SELECT p.id FROM follows f JOIN feed_posts p ON p.author_id = f.followee_id \
         WHERE f.follower_id = $1 AND f.active = 1 AND p.id < $2 AND p.id > $3 \
         AND p.deleted = 0 AND p.visibility <> 'private' \
         UNION ALL \
         SELECT id FROM feed_posts WHERE author_id = $1 AND id < $2 AND id > $3 AND deleted = 0 \
         ORDER BY 1 DESC LIMIT $4",
    )
    .bind(viewer.as_i64())
    .bind(before.map_or(i64::MAX, Id::as_i64))
    .bind(after.map_or(0, Id::as_i64))
    .bind(limit_i64(limit))
    .fetch_all(pool)
    .await?;
    Ok(ids(rows))
}

fn limit_i64(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
