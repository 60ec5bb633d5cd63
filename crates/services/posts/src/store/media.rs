//! The media posts may attach: known from the media service's events.

use chorus_core::Id;
use chorus_core::time::{Timestamp, to_micros};
use sqlx::{Any, AnyPool, Executor};

use super::rows_in;

/// Those of `ids` that `owner` owns.
pub async fn owned_media(pool: &AnyPool, owner: Id, ids: &[Id]) -> Result<Vec<Id>, sqlx::Error> {
    let ids: Vec<i64> = ids.iter().map(|id| id.as_i64()).collect();
    let rows: Vec<(i64,)> = rows_in(pool, &[owner.as_i64()], &ids, |list| {
        format!("SELECT media_id FROM media_refs WHERE owner_id = $1 AND media_id IN ({list})")
    })
    .await?;
    Ok(rows.into_iter().map(|(id,)| Id(id)).collect())
}

/// Records an uploaded media; a repeat changes nothing.
pub async fn record_media<'e>(
    db: impl Executor<'e, Database = Any>,
    media: Id,
    owner: Id,
    at: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO media_refs (media_id, owner_id, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (media_id) DO NOTHING",
    )
    .bind(media.as_i64())
    .bind(owner.as_i64())
    .bind(to_micros(at))
    .execute(db)
    .await?;
    Ok(())
}

pub async fn forget_media<'e>(
    db: impl Executor<'e, Database = Any>,
    media: Id,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM media_refs WHERE media_id = $1")
        .bind(media.as_i64())
        .execute(db)
        .await?;
    Ok(())
}

/// Takes a deleted media off the posts that showed it.
pub async fn detach_media<'e>(
    db: impl Executor<'e, Database = Any>,
    media: Id,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM post_media WHERE media_id = $1")
        .bind(media.as_i64())
        .execute(db)
        .await?;
    Ok(())
}
