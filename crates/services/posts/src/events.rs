//! The events the posts service publishes (through its outbox) and consumes.

use chorus_core::{Envelope, Id, IdGenerator};
use chrono::SecondsFormat;
use serde_json::{Value, json};

use crate::domain::Visibility;
use crate::store::{CommentRecord, Mention, PostRecord};

pub const POST_CREATED: &str = "post.created";
pub const POST_UPDATED: &str = "post.updated";
pub const POST_DELETED: &str = "post.deleted";
pub const POST_REPOSTED: &str = "post.reposted";
pub const POST_REACTED: &str = "post.reacted";
pub const POST_UNREACTED: &str = "post.unreacted";
pub const COMMENT_CREATED: &str = "comment.created";
pub const COMMENT_DELETED: &str = "comment.deleted";

pub const MEDIA_UPLOADED: &str = "media.uploaded";
pub const MEDIA_DELETED: &str = "media.deleted";
pub const USER_UPDATED: &str = "user.updated";

fn event(ids: &IdGenerator, kind: &str, actor: Id, payload: Value) -> Envelope {
    Envelope::new(ids.next_id(), kind, Some(actor), payload)
}

fn rfc3339(at: chorus_core::time::Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `post.created` `{post_id, author_id, content, visibility, hashtags,
/// mentions: [{user_id, username}], media_ids, repost_of: {post_id,
/// author_id} | null, created_at}`.
pub(crate) fn post_created(
    ids: &IdGenerator,
    post: &PostRecord,
    media_ids: &[Id],
    original_author: Option<Id>,
) -> Envelope {
    let repost_of = post
        .repost_of
        .zip(original_author)
        .map(|(post_id, author_id)| json!({ "post_id": post_id, "author_id": author_id }));
    event(
        ids,
        POST_CREATED,
        post.author_id,
        json!({
            "post_id": post.id,
            "author_id": post.author_id,
            "content": post.content,
            "visibility": post.visibility.as_str(),
            "hashtags": post.hashtags,
            "mentions": post.mentions,
            "media_ids": media_ids,
            "repost_of": repost_of,
            "created_at": rfc3339(post.created_at),
        }),
    )
}

/// `post.reposted` `{post_id (the original), original_author_id, repost_id, user_id}`.
pub(crate) fn post_reposted(
    ids: &IdGenerator,
    original: &PostRecord,
    repost: &PostRecord,
) -> Envelope {
    event(
        ids,
        POST_REPOSTED,
        repost.author_id,
        json!({
            "post_id": original.id,
            "original_author_id": original.author_id,
            "repost_id": repost.id,
            "user_id": repost.author_id,
        }),
    )
}

/// `post.updated` `{post_id, author_id, content, visibility,
/// previous_visibility, hashtags, mentions, media_ids, edited_at}`.
pub(crate) fn post_updated(
    ids: &IdGenerator,
    post: &PostRecord,
    previous: Visibility,
    media_ids: &[Id],
) -> Envelope {
    event(
        ids,
        POST_UPDATED,
        post.author_id,
        json!({
            "post_id": post.id,
            "author_id": post.author_id,
            "content": post.content,
            "visibility": post.visibility.as_str(),
            "previous_visibility": previous.as_str(),
            "hashtags": post.hashtags,
            "mentions": post.mentions,
            "media_ids": media_ids,
            "edited_at": post.edited_at.map(rfc3339),
        }),
    )
}

/// `post.deleted` `{post_id, author_id, repost_of}`.
pub(crate) fn post_deleted(ids: &IdGenerator, post: &PostRecord, actor: Id) -> Envelope {
    event(
        ids,
        POST_DELETED,
        actor,
        json!({
            "post_id": post.id,
            "author_id": post.author_id,
            "repost_of": post.repost_of,
        }),
    )
}

/// `post.reacted` `{post_id, post_author_id, user_id, kind, post_visibility}`.
pub(crate) fn post_reacted(ids: &IdGenerator, post: &PostRecord, user: Id, kind: &str) -> Envelope {
    event(
        ids,
        POST_REACTED,
        user,
        json!({
            "post_id": post.id,
            "post_author_id": post.author_id,
            "user_id": user,
            "kind": kind,
            "post_visibility": post.visibility.as_str(),
        }),
    )
}

/// `post.unreacted` `{post_id, post_author_id, user_id, kind}`: a reaction
/// was taken back (cached counts are stale).
pub(crate) fn post_unreacted(
    ids: &IdGenerator,
    post: &PostRecord,
    user: Id,
    kind: &str,
) -> Envelope {
    event(
        ids,
        POST_UNREACTED,
        user,
        json!({
            "post_id": post.id,
            "post_author_id": post.author_id,
            "user_id": user,
            "kind": kind,
        }),
    )
}

/// `comment.created` `{comment_id, post_id, post_author_id, author_id,
/// parent_id, parent_author_id, content, mentions, post_visibility}`.
pub(crate) fn comment_created(
    ids: &IdGenerator,
    comment: &CommentRecord,
    post: &PostRecord,
    parent_author: Option<Id>,
    mentions: &[Mention],
) -> Envelope {
    event(
        ids,
        COMMENT_CREATED,
        comment.author_id,
        json!({
            "comment_id": comment.id,
            "post_id": post.id,
            "post_author_id": post.author_id,
            "author_id": comment.author_id,
            "parent_id": comment.parent_id,
            "parent_author_id": parent_author,
            "content": comment.content,
            "mentions": mentions,
            "post_visibility": post.visibility.as_str(),
        }),
    )
}

/// `comment.deleted` `{comment_id, post_id, author_id, post_author_id}`.
pub(crate) fn comment_deleted(
    ids: &IdGenerator,
    (comment_id, author_id): (Id, Id),
    post: &PostRecord,
    actor: Id,
) -> Envelope {
    event(
        ids,
        COMMENT_DELETED,
        actor,
        json!({
            "comment_id": comment_id,
            "post_id": post.id,
            "author_id": author_id,
            "post_author_id": post.author_id,
        }),
    )
}
