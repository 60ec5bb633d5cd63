//! Comments and their threads.

use chorus_core::Id;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use sqlx::{Any, AnyPool, Executor};

#[derive(Debug, Clone)]
pub struct CommentRecord {
    pub id: Id,
    pub post_id: Id,
    pub author_id: Id,
    pub parent_id: Option<Id>,
    pub content: String,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
}

type CommentRow = (i64, i64, i64, Option<i64>, String, i64, Option<i64>);

macro_rules! comment_columns {
    () => {
        "id, post_id, author_id, parent_id, content, created_at, edited_at"
    };
}

impl From<CommentRow> for CommentRecord {
    fn from(
        (id, post_id, author_id, parent_id, content, created_at, edited_at): CommentRow,
    ) -> Self {
        Self {
            id: Id(id),
            post_id: Id(post_id),
            author_id: Id(author_id),
            parent_id: parent_id.map(Id),
            content,
            created_at: from_micros(created_at),
            edited_at: edited_at.map(from_micros),
        }
    }
}

pub async fn insert_comment<'e>(
    db: impl Executor<'e, Database = Any>,
    comment: &CommentRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(concat!(
        "INSERT INTO comments (",
        comment_columns!(),
        ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(comment.id.as_i64())
    .bind(comment.post_id.as_i64())
    .bind(comment.author_id.as_i64())
    .bind(comment.parent_id.map(Id::as_i64))
    .bind(comment.content.as_str())
    .bind(to_micros(comment.created_at))
    .bind(comment.edited_at.map(to_micros))
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find_comment<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<Option<CommentRecord>, sqlx::Error> {
    let row: Option<CommentRow> = sqlx::query_as(concat!(
        "SELECT ",
        comment_columns!(),
        " FROM comments WHERE id = $1"
    ))
    .bind(id.as_i64())
    .fetch_optional(db)
    .await?;
    Ok(row.map(CommentRecord::from))
}

/// Up to `limit` comments of `post`, oldest first, after `after` when given.
pub async fn post_comments(
    pool: &AnyPool,
    post: Id,
    after: Option<i64>,
    limit: u32,
) -> Result<Vec<CommentRecord>, sqlx::Error> {
    let rows: Vec<CommentRow> = sqlx::query_as(concat!(
        "SELECT ",
        comment_columns!(),
        " FROM comments WHERE post_id = $1 AND id > $2 ORDER BY id LIMIT $3"
    ))
    .bind(post.as_i64())
    .bind(after.unwrap_or(i64::MIN))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(CommentRecord::from).collect())
}

/// Sets a comment's content; false if it is gone.
pub async fn edit_comment<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
    content: &str,
    at: Timestamp,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE comments SET content = $2, edited_at = $3 WHERE id = $1")
        .bind(id.as_i64())
        .bind(content)
        .bind(to_micros(at))
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A comment and every reply below it, as `(id, author_id)`: what deleting it removes.
pub async fn comment_thread<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<Vec<(Id, Id)>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "WITH RECURSIVE thread (id, author_id) AS ( \
             SELECT id, author_id FROM comments WHERE id = $1 \
             UNION ALL \
             SELECT c.id, c.author_id FROM comments c JOIN thread t ON c.parent_id = t.id \
         ) SELECT id, author_id FROM thread",
    )
    .bind(id.as_i64())
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, author)| (Id(id), Id(author)))
        .collect())
}

/// Deletes a comment; its replies go with it (foreign key cascade).
pub async fn delete_comment<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM comments WHERE id = $1")
        .bind(id.as_i64())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
