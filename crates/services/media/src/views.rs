//! What the routes answer.

use chorus_core::Id;
use chorus_core::time::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::routes::content_path;
use crate::store::MediaRecord;

/// An uploaded file.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Media)]
pub struct MediaView {
    pub id: Id,
    /// Where its bytes are served: a path on this server (`/media/{id}`),
    /// public, cacheable forever.
    pub url: String,
    /// Told from the bytes: `image/jpeg`, `image/png`, `image/gif`,
    /// `image/webp`, `video/mp4` or `video/webm`.
    pub mime: String,
    /// Bytes.
    pub size: i64,
    /// From the image's header; `null` for videos.
    #[schema(required = true)]
    pub width: Option<i64>,
    #[schema(required = true)]
    pub height: Option<i64>,
    /// Other renditions by name. Empty for now: resized WebP variants come
    /// in a later version.
    #[schema(value_type = Object)]
    pub variants: Map<String, Value>,
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
            variants: Map::new(),
            created_at: media.created_at,
        }
    }
}
