//! Posts, their hashtags and their media.

use chorus_core::Id;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use serde::{Deserialize, Serialize};
use sqlx::{Any, AnyPool, AssertSqlSafe, Executor};

use super::rows_in;
use crate::domain::Visibility;

/// A mentioned user, as stored and as events carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mention {
    pub user_id: Id,
    pub username: String,
}

#[derive(Debug, Clone)]
pub struct PostRecord {
    pub id: Id,
    pub author_id: Id,
    pub content: String,
    pub visibility: Visibility,
    pub repost_of: Option<Id>,
    pub hashtags: Vec<String>,
    pub mentions: Vec<Mention>,
    pub comment_count: i64,
    pub repost_count: i64,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
}

type PostRow = (
    i64,
    i64,
    String,
    String,
    Option<i64>,
    String,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
);

macro_rules! post_columns {
    () => {
        "id, author_id, content, visibility, repost_of, hashtags, mentions, \
         comment_count, repost_count, created_at, edited_at"
    };
}

impl From<PostRow> for PostRecord {
    fn from(row: PostRow) -> Self {
        let (
            id,
            author_id,
            content,
            visibility,
            repost_of,
            hashtags,
            mentions,
            comments,
            reposts,
            created_at,
            edited_at,
        ) = row;
        Self {
            id: Id(id),
            author_id: Id(author_id),
            content,
            // Only the three known values are ever written; anything else hides the post.
            visibility: Visibility::from_stored(&visibility).unwrap_or(Visibility::Private),
            repost_of: repost_of.map(Id),
            hashtags: serde_json::from_str(&hashtags).unwrap_or_default(),
            mentions: serde_json::from_str(&mentions).unwrap_or_default(),
            comment_count: comments,
            repost_count: reposts,
            created_at: from_micros(created_at),
            edited_at: edited_at.map(from_micros),
        }
    }
}

pub async fn insert_post<'e>(
    db: impl Executor<'e, Database = Any>,
    post: &PostRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(concat!(
        "INSERT INTO posts (",
        post_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    ))
    .bind(post.id.as_i64())
    .bind(post.author_id.as_i64())
    .bind(post.content.as_str())
    .bind(post.visibility.as_str())
    .bind(post.repost_of.map(Id::as_i64))
    .bind(json(&post.hashtags))
    .bind(json(&post.mentions))
    .bind(post.comment_count)
    .bind(post.repost_count)
    .bind(to_micros(post.created_at))
    .bind(post.edited_at.map(to_micros))
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find_post<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<Option<PostRecord>, sqlx::Error> {
    let row: Option<PostRow> = sqlx::query_as(concat!(
        "SELECT ",
        post_columns!(),
        " FROM posts WHERE id = $1"
    ))
    .bind(id.as_i64())
    .fetch_optional(db)
    .await?;
    Ok(row.map(PostRecord::from))
}

/// The posts among `ids` that exist, in no particular order.
pub async fn find_posts(pool: &AnyPool, ids: &[Id]) -> Result<Vec<PostRecord>, sqlx::Error> {
    let ids: Vec<i64> = ids.iter().map(|id| id.as_i64()).collect();
    let rows: Vec<PostRow> = rows_in(pool, &[], &ids, |list| {
        format!(
            concat!("SELECT ", post_columns!(), " FROM posts WHERE id IN ({})"),
            list
        )
    })
    .await?;
    Ok(rows.into_iter().map(PostRecord::from).collect())
}

/// Up to `limit` posts with an id above `after` (any when `None`), in
/// ascending id order, whatever their visibility: one page of a keyset scan
/// over the primary key.
pub async fn posts_after(
    pool: &AnyPool,
    after: Option<Id>,
    limit: usize,
) -> Result<Vec<PostRecord>, sqlx::Error> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows: Vec<PostRow> = match after {
        Some(after) => {
            sqlx::query_as(concat!(
                "SELECT ",
                post_columns!(),
                " FROM posts WHERE id > $1 ORDER BY id LIMIT $2"
            ))
            .bind(after.as_i64())
            .bind(limit)
            .fetch_all(pool)
            .await?
        }
        None => {
            sqlx::query_as(concat!(
                "SELECT ",
                post_columns!(),
                " FROM posts ORDER BY id LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows.into_iter().map(PostRecord::from).collect())
}

/// Up to `limit` of `author`'s posts with one of `visibilities`, newest
/// first, older than `before` when given.
pub async fn author_posts(
    pool: &AnyPool,
    author: Id,
    visibilities: &[Visibility],
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<PostRecord>, sqlx::Error> {
    if visibilities.is_empty() {
        return Ok(Vec::new());
    }
    let list = (0..visibilities.len())
        .map(|n| format!("${}", n + 4))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        concat!(
            "SELECT ",
            post_columns!(),
            " FROM posts WHERE author_id = $1 AND id < $2 AND visibility IN ({}) \
             ORDER BY id DESC LIMIT $3"
        ),
        list
    );
    let mut query = sqlx::query_as::<_, PostRow>(AssertSqlSafe(sql))
        .bind(author.as_i64())
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit));
    for visibility in visibilities {
        query = query.bind(visibility.as_str());
    }
    let rows = query.fetch_all(pool).await?;
    Ok(rows.into_iter().map(PostRecord::from).collect())
}

/// Marks the post edited and locks its row for the rest of the transaction;
/// answers its visibility before the edit, or `None` if it is gone.
pub async fn begin_edit<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
    at: Timestamp,
) -> Result<Option<Visibility>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("UPDATE posts SET edited_at = $2 WHERE id = $1 RETURNING visibility")
            .bind(id.as_i64())
            .bind(to_micros(at))
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(v,)| Visibility::from_stored(&v).unwrap_or(Visibility::Private)))
}

pub async fn update_post<'e>(
    db: impl Executor<'e, Database = Any>,
    post: &PostRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE posts SET content = $2, visibility = $3, hashtags = $4, mentions = $5 WHERE id = $1",
    )
    .bind(post.id.as_i64())
    .bind(post.content.as_str())
    .bind(post.visibility.as_str())
    .bind(json(&post.hashtags))
    .bind(json(&post.mentions))
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes a post (its comments, reactions, media and tags go with it);
/// answers `Some(repost_of)` if it existed.
pub async fn delete_post<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<Option<Option<Id>>, sqlx::Error> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("DELETE FROM posts WHERE id = $1 RETURNING repost_of")
            .bind(id.as_i64())
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(repost_of,)| repost_of.map(Id)))
}

/// Adds `delta` to a post's repost count (never below 0); false if the post is gone.
pub async fn add_reposts<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
    delta: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE posts SET repost_count = CASE WHEN repost_count + $2 < 0 THEN 0 \
         ELSE repost_count + $2 END WHERE id = $1",
    )
    .bind(id.as_i64())
    .bind(delta)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Adds `delta` to a post's comment count (never below 0), which also locks
/// the post's row until the transaction ends: comment writes on one post
/// take turns, so the count stays exact. False if the post is gone.
pub async fn add_comments<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
    delta: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE posts SET comment_count = CASE WHEN comment_count + $2 < 0 THEN 0 \
         ELSE comment_count + $2 END WHERE id = $1",
    )
    .bind(id.as_i64())
    .bind(delta)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn json<T: Serialize>(value: &T) -> String {
    // Vectors of strings and plain structs always serialize.
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}
