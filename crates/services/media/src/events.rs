//! The events the media service publishes through its outbox. The posts and
//! users services consume both (which media a post or an avatar may use, and
//! how to show them), so that neither asks this service anything.

use chorus_core::{Envelope, IdGenerator};
use serde_json::json;

use crate::store::MediaRecord;
use crate::views::MediaView;

pub const MEDIA_UPLOADED: &str = "media.uploaded";
pub const MEDIA_DELETED: &str = "media.deleted";

/// `media.uploaded` `{media_id, owner_id, url, mime, size, width, height,
/// variants: {small|medium|large: {url, width, height, mime}}, blurhash}`:
/// the media's public view as `POST /api/v1/media` answers it (without `id`
/// and `created_at`), so that consumers show it from their own copy.
pub(crate) fn uploaded(ids: &IdGenerator, media: &MediaRecord) -> Envelope {
    let view = MediaView::from(media.clone());
    Envelope::new(
        ids.next_id(),
        MEDIA_UPLOADED,
        Some(media.owner_id),
        json!({
            "media_id": view.id,
            "owner_id": media.owner_id,
            "url": view.url,
            "mime": view.mime,
            "size": view.size,
            "width": view.width,
            "height": view.height,
            "variants": view.variants,
            "blurhash": view.blurhash,
        }),
    )
}

/// `media.deleted` `{media_id, owner_id}`.
pub(crate) fn deleted(ids: &IdGenerator, media: &MediaRecord) -> Envelope {
    Envelope::new(
        ids.next_id(),
        MEDIA_DELETED,
        Some(media.owner_id),
        json!({ "media_id": media.id, "owner_id": media.owner_id }),
    )
}
