//! Storing a spooled upload: its dimensions (images: from the header only),
//! the blob (once per content), the row, the quota and `media.uploaded`.
//!
//! Images are stored as sent for now: resized WebP variants, re-encoding
//! that strips EXIF, and blurhash come in the next increment, and with them
//! a full decode (which will also catch a body cut short after its header).

use std::io::ErrorKind;

use chorus_core::time::{from_micros, now, to_micros};
use chorus_core::{ApiError, ApiResult, Id};
use chorus_ports::outbox;
use http::StatusCode;
use image::{ImageError, ImageReader, Limits};
use serde_json::json;

use super::spool::quota_exceeded;
use super::{Media, Spooled, blob_key};
use crate::events;
use crate::store::{self, MediaRecord};

/// What a header may make the decoder allocate (metadata chunks before the
/// pixels); the pixels themselves are never decoded here.
const HEADER_ALLOC_BYTES: u64 = 64 * 1024 * 1024;

impl Media {
    /// Stores a spooled upload of `owner`'s: the new media.
    #[tracing::instrument(skip_all, fields(owner_id = %owner, size = spooled.size, mime = spooled.kind.mime()))]
    pub async fn upload(&self, owner: Id, spooled: Spooled) -> ApiResult<MediaRecord> {
        let (width, height) = self.dimensions(&spooled).await?;
        let media = MediaRecord {
            id: self.ids().next_id(),
            owner_id: owner,
            sha256: spooled.sha256.clone(),
            mime: spooled.kind.mime().to_string(),
            size: i64::try_from(spooled.size).map_err(ApiError::internal)?,
            width,
            height,
            created_at: from_micros(to_micros(now())),
        };
        // Held before it is stored, so a delete of the same content
        // meanwhile cannot remove the blob from under this upload.
        store::holders::hold(self.db().writer(), &media.sha256)
            .await
            .map_err(ApiError::internal)?;
        let stored = self.store(&media, &spooled).await;
        if stored.is_err()
            && let Err(error) = self.release(&media.sha256).await
        {
            tracing::warn!(error = %error, sha256 = %media.sha256, "could not release a failed upload's blob");
        }
        stored?;
        self.inner.after_commit.run(self.db()).await;
        tracing::info!(media_id = %media.id, "media uploaded");
        Ok(media)
    }

    async fn store(&self, media: &MediaRecord, spooled: &Spooled) -> ApiResult<()> {
        let key = blob_key(&media.sha256)?;
        let present = self.blobs().head(&key).await.map_err(ApiError::internal)?;
        if present != Some(spooled.size) {
            self.blobs()
                .put_file(&key, &spooled.path)
                .await
                .map_err(ApiError::internal)?;
        }
        let mut tx = self.db().begin().await?;
        let quota = i64::try_from(self.config().quota_bytes).map_err(ApiError::internal)?;
        if !store::usage::charge(&mut tx, media.owner_id, media.size, quota)
            .await
            .map_err(ApiError::internal)?
        {
            let used = store::usage::used(&mut *tx, media.owner_id)
                .await
                .map_err(ApiError::internal)?;
            return Err(quota_exceeded(
                self.config().quota_bytes,
                u64::try_from(used).unwrap_or(0),
            ));
        }
        store::media::insert(&mut *tx, media)
            .await
            .map_err(ApiError::internal)?;
        outbox::enqueue(&mut tx, &events::uploaded(self.ids(), media)).await?;
        tx.commit().await.map_err(ApiError::internal)?;
        Ok(())
    }

    /// Width and height from an image's header, refusing what cannot be
    /// read (422) and what declares more pixels than allowed (422), before
    /// anything is decoded. `None` for videos (for now).
    async fn dimensions(&self, spooled: &Spooled) -> ApiResult<(Option<i64>, Option<i64>)> {
        let Some(format) = spooled.kind.image_format() else {
            return Ok((None, None));
        };
        let path = spooled.path.to_path_buf();
        let read = tokio::task::spawn_blocking(move || {
            let file = std::io::BufReader::new(std::fs::File::open(&path)?);
            let mut reader = ImageReader::with_format(file, format);
            let mut limits = Limits::default();
            limits.max_alloc = Some(HEADER_ALLOC_BYTES);
            reader.limits(limits);
            reader.into_dimensions()
        })
        .await
        .map_err(ApiError::internal)?;
        let (width, height) = match read {
            Ok(dimensions) => dimensions,
            Err(ImageError::IoError(error)) if error.kind() != ErrorKind::UnexpectedEof => {
                return Err(ApiError::internal(format!(
                    "reading a spooled image: {error}"
                )));
            }
            Err(error) => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_image",
                    format!("the image's header cannot be read: {error}"),
                ));
            }
        };
        let pixels = u64::from(width) * u64::from(height);
        let max = self.config().max_image_pixels;
        if width == 0 || height == 0 {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_image",
                "the image has no pixels",
            ));
        }
        if pixels > max {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "image_too_large",
                format!("the image declares {width}×{height} pixels; at most {max} are accepted"),
            )
            .with_details(json!({ "width": width, "height": height, "max_pixels": max })));
        }
        Ok((Some(i64::from(width)), Some(i64::from(height))))
    }
}
