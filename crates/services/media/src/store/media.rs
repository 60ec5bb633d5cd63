//! `media`: one row per upload.

use chorus_core::Id;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use sqlx::{Any, Executor};

use super::VariantRecord;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRecord {
    pub id: Id,
    pub owner_id: Id,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub mime: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    /// Images only.
    pub blurhash: Option<String>,
    pub created_at: Timestamp,
    /// Kept in `media_variants`: empty from [`find`], filled by the caller.
    pub variants: Vec<VariantRecord>,
}

type Row = (
    i64,
    i64,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
);

const COLUMNS: &str = "id, owner_id, sha256, mime, size, width, height, blurhash, created_at";

fn record(row: Row) -> MediaRecord {
    let (id, owner_id, sha256, mime, size, width, height, blurhash, created_at) = row;
    MediaRecord {
        id: Id(id),
        owner_id: Id(owner_id),
        sha256,
        mime,
        size,
        width,
        height,
        blurhash,
        created_at: from_micros(created_at),
        variants: Vec::new(),
    }
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    media: &MediaRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO media (id, owner_id, sha256, mime, size, width, height, blurhash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(media.id.as_i64())
    .bind(media.owner_id.as_i64())
    .bind(&media.sha256)
    .bind(&media.mime)
    .bind(media.size)
    .bind(media.width)
    .bind(media.height)
    .bind(&media.blurhash)
    .bind(to_micros(media.created_at))
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<Option<MediaRecord>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM media WHERE id = $1");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.as_i64())
        .fetch_optional(db)
        .await?;
    Ok(row.map(record))
}

/// Deletes the row of `id`; whether there was one.
pub async fn delete<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM media WHERE id = $1")
        .bind(id.as_i64())
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
