//! `media_blobs`: how many uploads hold each blob.

use sqlx::{Any, Executor};

/// Adds a holder to the blob `sha256` (the first one creates its row).
pub async fn hold<'e>(
    db: impl Executor<'e, Database = Any>,
    sha256: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO media_blobs (sha256, holders) VALUES ($1, 1) \
         ON CONFLICT (sha256) DO UPDATE SET holders = media_blobs.holders + 1",
    )
    .bind(sha256)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes a holder off the blob `sha256`, locking its row until the
/// transaction ends; the holders left.
pub async fn release<'e>(
    db: impl Executor<'e, Database = Any>,
    sha256: &str,
) -> Result<i64, sqlx::Error> {
    let left: Option<(i64,)> = sqlx::query_as(
        "UPDATE media_blobs SET holders = holders - 1 WHERE sha256 = $1 RETURNING holders",
    )
    .bind(sha256)
    .fetch_optional(db)
    .await?;
    Ok(left.map_or(0, |(left,)| left))
}

/// Forgets a blob no one holds any more.
pub async fn forget<'e>(
    db: impl Executor<'e, Database = Any>,
    sha256: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM media_blobs WHERE sha256 = $1 AND holders <= 0")
        .bind(sha256)
        .execute(db)
        .await?;
    Ok(())
}
