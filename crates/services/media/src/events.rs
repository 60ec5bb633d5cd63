//! The events the media service publishes through its outbox. The posts
//! service consumes both (which media a post may attach).

use chorus_core::{Envelope, IdGenerator};
use serde_json::json;

use crate::store::MediaRecord;

pub const MEDIA_UPLOADED: &str = "media.uploaded";
pub const MEDIA_DELETED: &str = "media.deleted";

/// `media.uploaded` `{media_id, owner_id, mime, size}`.
pub(crate) fn uploaded(ids: &IdGenerator, media: &MediaRecord) -> Envelope {
    Envelope::new(
        ids.next_id(),
        MEDIA_UPLOADED,
        Some(media.owner_id),
        json!({
            "media_id": media.id,
            "owner_id": media.owner_id,
            "mime": media.mime,
            "size": media.size,
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
