//! What hangs off a post besides comments and reactions: its hashtags and its media.

use std::collections::HashMap;

use chorus_core::Id;
use sqlx::{Any, AnyPool, Executor};

use super::rows_in;

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

/// The media ids of each of `posts` that has some, in their order.
pub async fn media_of(pool: &AnyPool, posts: &[Id]) -> Result<HashMap<Id, Vec<Id>>, sqlx::Error> {
    let ids: Vec<i64> = posts.iter().map(|id| id.as_i64()).collect();
    let rows: Vec<(i64, i64)> = rows_in(pool, &[], &ids, |list| {
        format!(
            "SELECT post_id, media_id FROM post_media WHERE post_id IN ({list}) \
             ORDER BY post_id, position"
        )
    })
    .await?;
    let mut media: HashMap<Id, Vec<Id>> = HashMap::new();
    for (post, id) in rows {
        media.entry(Id(post)).or_default().push(Id(id));
    }
    Ok(media)
}
