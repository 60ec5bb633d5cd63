//! The media each user uploaded, known from the media service's events: an
//! avatar must be one of its owner's images.

use chorus_core::Id;
use chorus_core::time::{Timestamp, to_micros};
use sqlx::{Any, Executor};

/// A media as `media.uploaded` described it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedMedia {
    pub media_id: Id,
    pub owner_id: Id,
    /// Where its bytes are served (`/media/{id}`).
    pub url: String,
    pub mime: String,
}

impl OwnedMedia {
    pub fn is_image(&self) -> bool {
        self.mime.starts_with("image/")
    }
}

/// Records an uploaded media; a repeat changes nothing.
pub async fn record<'e>(
    db: impl Executor<'e, Database = Any>,
    media: &OwnedMedia,
    at: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO owned_media (media_id, owner_id, url, mime, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (media_id) DO NOTHING",
    )
    .bind(media.media_id.as_i64())
    .bind(media.owner_id.as_i64())
    .bind(media.url.as_str())
    .bind(media.mime.as_str())
    .bind(to_micros(at))
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    media: Id,
) -> Result<Option<OwnedMedia>, sqlx::Error> {
    let row: Option<(i64, i64, String, String)> =
        sqlx::query_as("SELECT media_id, owner_id, url, mime FROM owned_media WHERE media_id = $1")
            .bind(media.as_i64())
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(media_id, owner_id, url, mime)| OwnedMedia {
        media_id: Id(media_id),
        owner_id: Id(owner_id),
        url,
        mime,
    }))
}

/// Forgets a deleted media.
pub async fn forget<'e>(
    db: impl Executor<'e, Database = Any>,
    media: Id,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM owned_media WHERE media_id = $1")
        .bind(media.as_i64())
        .execute(db)
        .await?;
    Ok(())
}
