//! What hangs off a post besides comments and reactions: its hashtags and its media.

use chorus_core::Id;
use sqlx::{Any, Executor};

pub async fn insert_hashtag<'e>(
    db: impl Executor<'e, Database = Any>,
    post: Id,
    tag: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO post_hashtags (post_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(post.as_i64())
        .bind(tag)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete_hashtags<'e>(
    db: impl Executor<'e, Database = Any>,
    post: Id,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM post_hashtags WHERE post_id = $1")
        .bind(post.as_i64())
        .execute(db)
        .await?;
    Ok(())
}

pub async fn attach_media<'e>(
    db: impl Executor<'e, Database = Any>,
    post: Id,
    media: Id,
    position: usize,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO post_media (post_id, media_id, position) VALUES ($1, $2, $3)")
        .bind(post.as_i64())
        .bind(media.as_i64())
        .bind(position as i64)
        .execute(db)
        .await?;
    Ok(())
}
