//! What the routes answer.

use chorus_core::Id;
use chorus_core::time::Timestamp;
use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::routes::{content_path, variant_path};
use crate::store::MediaRecord;

/// An uploaded file.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Media)]
pub struct MediaView {
    pub id: Id,
    /// Where its bytes are served: a path on this server (`/media/{id}`),
    /// public, cacheable forever. An image is stored decoded and
    /// re-encoded: no EXIF or other metadata, nothing after the image data.
    pub url: String,
    /// Told from the bytes: `image/jpeg`, `image/png`, `image/gif`,
    /// `image/webp`, `video/mp4` or `video/webm`.
    pub mime: String,
    /// Bytes.
    pub size: i64,
    /// Of the stored image (its EXIF orientation applied); `null` for videos.
    #[schema(required = true)]
    pub width: Option<i64>,
    #[schema(required = true)]
    pub height: Option<i64>,
    /// Resized WebP copies of an image, by name: `small`, `medium`,
    /// `large` (150, 600 and 1200 pixels wide by default), only those
    /// narrower than the image. Empty for videos and small images.
    pub variants: BTreeMap<String, VariantView>,
    /// A [blurhash](https://blurha.sh) placeholder (4×3 components) for an
    /// image; `null` for videos.
    #[schema(required = true)]
    pub blurhash: Option<String>,
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<MediaRecord> for MediaView {
    fn from(media: MediaRecord) -> Self {
        Self {
            url: content_path(media.id),
            id: media.id,
            mime: media.mime,
            size: media.size,
            width: media.width,
            height: media.height,
            variants: media
                .variants
                .into_iter()
                .map(|variant| {
                    let view = VariantView {
                        url: variant_path(media.id, &variant.name),
                        width: variant.width,
                        height: variant.height,
                        mime: variant.mime,
                    };
                    (variant.name, view)
                })
                .collect(),
            blurhash: media.blurhash,
            created_at: media.created_at,
        }
    }
}

/// A resized copy of an image.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MediaVariant)]
pub struct VariantView {
    /// Where its bytes are served (`/media/{id}/{name}`), cached as the
    /// original's are.
    pub url: String,
    pub width: i64,
    pub height: i64,
    /// `image/webp`.
    pub mime: String,
}
