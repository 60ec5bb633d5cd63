//! Storing a spooled upload: an image decoded and re-encoded with its
//! variants ([`super::process`]), every blob stored once per content, the
//! rows, the quota and `media.uploaded`.

use std::path::Path;

use bytes::Bytes;
use chorus_core::time::{from_micros, now, to_micros};
use chorus_core::{ApiError, ApiResult, Id};
use chorus_ports::outbox;

use super::spool::quota_exceeded;
use super::{Media, Spooled, blob_key};
use crate::events;
use crate::imaging::Processed;
use crate::store::{self, MediaRecord, VariantRecord};

/// One blob of an upload: the re-encoded image or a variant (in memory), or
/// the upload as sent (a video, a GIF).
struct NewBlob<'a> {
    sha256: &'a str,
    size: u64,
    content: Content<'a>,
}

enum Content<'a> {
    Bytes(&'a Bytes),
    File(&'a Path),
}

impl Media {
    /// Stores a spooled upload of `owner`'s: the new media.
    #[tracing::instrument(skip_all, fields(owner_id = %owner, size = spooled.size, mime = spooled.kind.mime()))]
    pub async fn upload(&self, owner: Id, spooled: Spooled) -> ApiResult<MediaRecord> {
        let processed = self.process(&spooled).await?;
        let media = self.record(owner, &spooled, processed.as_ref())?;
        let blobs = new_blobs(&spooled, processed.as_ref());
        // Held before they are stored, so a delete of the same content
        // meanwhile cannot remove a blob from under this upload.
        let mut held = Vec::new();
        let mut stored = Ok(());
        for blob in &blobs {
            match store::holders::hold(self.db().writer(), blob.sha256).await {
                Ok(()) => held.push(blob.sha256),
                Err(error) => {
                    stored = Err(ApiError::internal(error));
                    break;
                }
            }
        }
        if stored.is_ok() {
            stored = self.store(&media, &blobs).await;
        }
        if stored.is_err() {
            for sha256 in held {
                if let Err(error) = self.release(sha256).await {
                    tracing::warn!(error = %error, sha256, "could not release a failed upload's blob");
                }
            }
        }
        stored?;
        self.inner.after_commit.run(self.db()).await;
        tracing::info!(media_id = %media.id, variants = media.variants.len(), "media uploaded");
        Ok(media)
    }

    fn record(
        &self,
        owner: Id,
        spooled: &Spooled,
        processed: Option<&Processed>,
    ) -> ApiResult<MediaRecord> {
        let original = processed.and_then(|p| p.original.as_ref());
        let (sha256, size) = match original {
            Some(encoded) => (encoded.sha256.clone(), encoded.bytes.len() as u64),
            None => (spooled.sha256.clone(), spooled.size),
        };
        let variants = processed
            .map(|p| p.variants.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|variant| VariantRecord {
                name: variant.name.to_string(),
                sha256: variant.file.sha256.clone(),
                mime: "image/webp".into(),
                size: variant.file.bytes.len() as i64,
                width: i64::from(variant.file.width),
                height: i64::from(variant.file.height),
            })
            .collect();
        Ok(MediaRecord {
            id: self.ids().next_id(),
            owner_id: owner,
            sha256,
            mime: spooled.kind.mime().to_string(),
            size: i64::try_from(size).map_err(ApiError::internal)?,
            width: processed.map(|p| i64::from(p.width)),
            height: processed.map(|p| i64::from(p.height)),
            blurhash: processed.map(|p| p.blurhash.clone()),
            created_at: from_micros(to_micros(now())),
            variants,
        })
    }

    async fn store(&self, media: &MediaRecord, blobs: &[NewBlob<'_>]) -> ApiResult<()> {
        for blob in blobs {
            self.put(blob).await?;
        }
        let mut tx = self.db().begin().await?;
        // The original counts against the quota; its variants are the
        // service's own doing and do not.
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
        for variant in &media.variants {
            store::variants::insert(&mut *tx, media.id, variant)
                .await
                .map_err(ApiError::internal)?;
        }
        outbox::enqueue(&mut tx, &events::uploaded(self.ids(), media)).await?;
        tx.commit().await.map_err(ApiError::internal)?;
        Ok(())
    }

    /// Stores a blob unless the same content is there already.
    async fn put(&self, blob: &NewBlob<'_>) -> ApiResult<()> {
        let key = blob_key(blob.sha256)?;
        let present = self.blobs().head(&key).await.map_err(ApiError::internal)?;
        if present == Some(blob.size) {
            return Ok(());
        }
        let put = match blob.content {
            Content::Bytes(bytes) => self.blobs().put(&key, bytes.clone()).await,
            Content::File(path) => self.blobs().put_file(&key, path).await,
        };
        put.map_err(ApiError::internal)
    }
}

/// The original (re-encoded, or as sent) and each variant.
fn new_blobs<'a>(spooled: &'a Spooled, processed: Option<&'a Processed>) -> Vec<NewBlob<'a>> {
    let original = match processed.and_then(|p| p.original.as_ref()) {
        Some(encoded) => NewBlob {
            sha256: &encoded.sha256,
            size: encoded.bytes.len() as u64,
            content: Content::Bytes(&encoded.bytes),
        },
        None => NewBlob {
            sha256: &spooled.sha256,
            size: spooled.size,
            content: Content::File(&spooled.path),
        },
    };
    let variants = processed
        .map(|p| p.variants.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|variant| NewBlob {
            sha256: &variant.file.sha256,
            size: variant.file.bytes.len() as u64,
            content: Content::Bytes(&variant.file.bytes),
        });
    std::iter::once(original).chain(variants).collect()
}
