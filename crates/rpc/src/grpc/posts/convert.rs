//! Posts domain types (crates/rpc/src/posts.rs) ↔ their protobuf messages.
//! Timestamps travel in microseconds, the precision posts stores.

use std::collections::HashMap;

use chorus_core::Id;
use chorus_core::time::{from_micros, to_micros};

use crate::grpc::proto::posts as proto;
use crate::posts::{MediaVariant, MediaView, PostBody};

impl From<PostBody> for proto::PostBody {
    fn from(body: PostBody) -> Self {
        Self {
            id: body.id.as_i64(),
            author_id: body.author_id.as_i64(),
            content: body.content,
            visibility: body.visibility,
            media: body.media.into_iter().map(proto::Media::from).collect(),
            hashtags: body.hashtags,
            mentions: body.mentions,
            repost_of: body.repost_of.map(Id::as_i64),
            reaction_counts: body.reaction_counts.into_iter().collect(),
            comment_count: body.comment_count,
            repost_count: body.repost_count,
            created_at_micros: to_micros(body.created_at),
            edited_at_micros: body.edited_at.map(to_micros),
        }
    }
}

impl From<proto::PostBody> for PostBody {
    fn from(body: proto::PostBody) -> Self {
        Self {
            id: Id(body.id),
            author_id: Id(body.author_id),
            content: body.content,
            visibility: body.visibility,
            media: body.media.into_iter().map(MediaView::from).collect(),
            hashtags: body.hashtags,
            mentions: body.mentions,
            repost_of: body.repost_of.map(Id),
            reaction_counts: body.reaction_counts.into_iter().collect(),
            comment_count: body.comment_count,
            repost_count: body.repost_count,
            created_at: from_micros(body.created_at_micros),
            edited_at: body.edited_at_micros.map(from_micros),
        }
    }
}

impl From<MediaView> for proto::Media {
    fn from(media: MediaView) -> Self {
        Self {
            id: media.id.as_i64(),
            url: media.url,
            mime: media.mime,
            size: media.size,
            width: media.width,
            height: media.height,
            variants: media
                .variants
                .into_iter()
                .map(|(name, variant)| {
                    let wire = proto::MediaVariant {
                        url: variant.url,
                        width: variant.width,
                        height: variant.height,
                        mime: variant.mime,
                    };
                    (name, wire)
                })
                .collect(),
        }
    }
}

impl From<proto::Media> for MediaView {
    fn from(media: proto::Media) -> Self {
        Self {
            id: Id(media.id),
            url: media.url,
            mime: media.mime,
            size: media.size,
            width: media.width,
            height: media.height,
            variants: media
                .variants
                .into_iter()
                .map(|(name, variant)| {
                    let view = MediaVariant {
                        url: variant.url,
                        width: variant.width,
                        height: variant.height,
                        mime: variant.mime,
                    };
                    (name, view)
                })
                .collect(),
        }
    }
}

pub fn reactions_to_wire(reactions: HashMap<Id, Vec<String>>) -> HashMap<i64, proto::Kinds> {
    reactions
        .into_iter()
        .map(|(post, kinds)| (post.as_i64(), proto::Kinds { kinds }))
        .collect()
}

pub fn reactions_from_wire(reactions: HashMap<i64, proto::Kinds>) -> HashMap<Id, Vec<String>> {
    reactions
        .into_iter()
        .map(|(post, kinds)| (Id(post), kinds.kinds))
        .collect()
}
