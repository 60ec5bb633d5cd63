//! `media_variants`: the resized copies of each image.

use chorus_core::Id;
use sqlx::{Any, Executor};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantRecord {
    /// small, medium or large.
    pub name: String,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub mime: String,
    pub size: i64,
    pub width: i64,
    pub height: i64,
}

type Row = (String, String, String, i64, i64, i64);

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    media_id: Id,
    variant: &VariantRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO media_variants (media_id, name, sha256, mime, size, width, height) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(media_id.as_i64())
    .bind(&variant.name)
    .bind(&variant.sha256)
    .bind(&variant.mime)
    .bind(variant.size)
    .bind(variant.width)
    .bind(variant.height)
    .execute(db)
    .await?;
    Ok(())
}

/// The variants of `media_id`, narrowest first.
pub async fn of<'e>(
    db: impl Executor<'e, Database = Any>,
    media_id: Id,
) -> Result<Vec<VariantRecord>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT name, sha256, mime, size, width, height FROM media_variants \
         WHERE media_id = $1 ORDER BY width",
    )
    .bind(media_id.as_i64())
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, sha256, mime, size, width, height)| VariantRecord {
            name,
            sha256,
            mime,
            size,
            width,
            height,
        })
        .collect())
}

pub async fn delete_of<'e>(
    db: impl Executor<'e, Database = Any>,
    media_id: Id,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM media_variants WHERE media_id = $1")
        .bind(media_id.as_i64())
        .execute(db)
        .await?;
    Ok(())
}
