//! What other services ask the posts service, synchronously, and the post as
//! the public API shows it.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chorus_core::time::Timestamp;
use chorus_core::{ApiResult, Id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::users::{Relation, UserCard};

/// The most ids one [`PostsApi`] call takes; more is refused (400
/// `validation_failed`), so that no caller can ask for unbounded work.
pub const MAX_IDS: usize = 1_000;

/// A media attached to a post, as the media service described it when it
/// was uploaded (`media.uploaded`): the posts service keeps that copy, so
/// showing a post asks the media service nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = PostMedia)]
pub struct MediaView {
    pub id: Id,
    /// Where its bytes are served (`/media/{id}`).
    pub url: String,
    /// `image/jpeg`, `image/png`, `image/gif`, `image/webp`, `video/mp4` or
    /// `video/webm`; empty for a media known from before posts kept it.
    pub mime: String,
    /// Bytes.
    pub size: i64,
    /// Of the stored image; `null` for videos.
    #[schema(required = true)]
    pub width: Option<i64>,
    #[schema(required = true)]
    pub height: Option<i64>,
    /// Resized WebP copies of an image by name (`small`, `medium`,
    /// `large`), only those narrower than the image.
    pub variants: BTreeMap<String, MediaVariant>,
}

impl MediaView {
    /// All that is known of a media whose description was never received
    /// (one recorded before posts kept them): its id and where it is served.
    pub fn bare(id: Id) -> Self {
        Self {
            id,
            url: format!("/media/{id}"),
            mime: String::new(),
            size: 0,
            width: None,
            height: None,
            variants: BTreeMap::new(),
        }
    }
}

/// A resized copy of an image attached to a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = PostMediaVariant)]
pub struct MediaVariant {
    /// `/media/{id}/{name}`.
    pub url: String,
    pub width: i64,
    pub height: i64,
    /// `image/webp`.
    pub mime: String,
}

/// A post as its viewer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = Post)]
pub struct PostView {
    pub id: Id,
    pub author: UserCard,
    pub content: String,
    /// `public`, `followers` or `private`.
    #[schema(example = "public")]
    pub visibility: String,
    pub media: Vec<MediaView>,
    /// Lowercase, without `#`, in order of appearance.
    pub hashtags: Vec<String>,
    /// Usernames of the existing users the content mentions, without `@`.
    pub mentions: Vec<String>,
    /// The original post, when this is a repost.
    pub repost_of: Option<Id>,
    /// Reactions per kind; only kinds with at least one.
    #[schema(example = json!({"like": 3, "fire": 1}))]
    pub reaction_counts: BTreeMap<String, i64>,
    /// The kinds the viewer reacted with.
    pub my_reactions: Vec<String>,
    pub comment_count: i64,
    pub repost_count: i64,
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[serde(serialize_with = "chorus_core::time::rfc3339::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub edited_at: Option<Timestamp>,
}

/// A post as stored, the same for every viewer: what `post` in API.md holds
/// except the author's card and the viewer's reactions. Its serde form
/// (timestamps in full precision) is for caches, not for clients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostBody {
    pub id: Id,
    pub author_id: Id,
    pub content: String,
    /// `public`, `followers` or `private`.
    pub visibility: String,
    /// In the order the author attached them; a deleted media is gone.
    pub media: Vec<MediaView>,
    pub hashtags: Vec<String>,
    /// Usernames without `@`.
    pub mentions: Vec<String>,
    pub repost_of: Option<Id>,
    /// Only kinds with at least one reaction.
    pub reaction_counts: BTreeMap<String, i64>,
    pub comment_count: i64,
    pub repost_count: i64,
    /// Microsecond precision, as posts stores it.
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
}

/// Who may see a post of `visibility` (`public`, `followers`, `private`):
/// the author sees everything; a block either way hides everything; public
/// is for all, followers for followers, private (or anything unknown) for
/// nobody else. `relation` is how `viewer` stands with `author` (`None`
/// for an anonymous viewer). The posts service's rule, here so that every
/// service showing posts (search, the feed) applies it alike.
pub fn may_see(
    visibility: &str,
    viewer: Option<Id>,
    author: Id,
    relation: Option<Relation>,
) -> bool {
    if viewer == Some(author) {
        return true;
    }
    let relation = relation.unwrap_or_default();
    if relation.blocked {
        return false;
    }
    match visibility {
        "public" => true,
        "followers" => viewer.is_some() && relation.following,
        _ => false,
    }
}

impl PostBody {
    /// The post as a viewer sees it: `author` is the card of `author_id`,
    /// `my_reactions` the viewer's kinds (see [`PostsApi::reactions_of`]).
    pub fn view(self, author: UserCard, my_reactions: Vec<String>) -> PostView {
        PostView {
            id: self.id,
            author,
            content: self.content,
            visibility: self.visibility,
            media: self.media,
            hashtags: self.hashtags,
            mentions: self.mentions,
            repost_of: self.repost_of,
            reaction_counts: self.reaction_counts,
            my_reactions,
            comment_count: self.comment_count,
            repost_count: self.repost_count,
            created_at: self.created_at,
            edited_at: self.edited_at,
        }
    }

    /// Has anyone reacted? If not, no viewer has: no need to ask for theirs.
    pub fn has_reactions(&self) -> bool {
        self.reaction_counts.values().any(|&total| total > 0)
    }
}

/// The posts service, as other services call it (the feed builds its pages
/// from it; search rebuilds its index from it). Every method is a batched
/// read, idempotent, and takes or answers at most [`MAX_IDS`] ids; errors
/// are [`chorus_core::ApiError`]s, carried across the gRPC transport like
/// [`crate::UsersApi`]'s.
#[async_trait]
pub trait PostsApi: Send + Sync + 'static {
    /// Bodies of the posts among `ids` that exist, in no particular order.
    /// No visibility check: the caller decides who sees what.
    async fn bodies(&self, ids: &[Id]) -> ApiResult<Vec<PostBody>>;

    /// Bodies of the posts whose id is above `after` (all when `None`), in
    /// ascending id order, at most `limit` (1 to [`MAX_IDS`], else 400): a
    /// keyset scan of every post, whatever its visibility, for a caller that
    /// rebuilds its own copy (search). Pass the last id of a page as the next
    /// `after`; a page shorter than `limit` is the last. Deleted posts are
    /// gone from the store, so never answered.
    async fn bodies_after(&self, after: Option<Id>, limit: usize) -> ApiResult<Vec<PostBody>>;

    /// The kinds `viewer` reacted with, per post among `posts` (sorted like
    /// the posts service sorts them); posts without a reaction of theirs are
    /// absent.
    async fn reactions_of(&self, viewer: Id, posts: &[Id]) -> ApiResult<HashMap<Id, Vec<String>>>;
}

#[cfg(test)]
mod tests {
    use chorus_core::time::from_micros;

    use super::*;

    fn body() -> PostBody {
        PostBody {
            id: Id(10),
            author_id: Id(2),
            content: "hi #tag @bob".into(),
            visibility: "followers".into(),
            media: vec![
                MediaView {
                    id: Id(7),
                    url: "/media/7".into(),
                    mime: "image/png".into(),
                    size: 1234,
                    width: Some(800),
                    height: Some(600),
                    variants: BTreeMap::from([(
                        "small".into(),
                        MediaVariant {
                            url: "/media/7/small".into(),
                            width: 150,
                            height: 112,
                            mime: "image/webp".into(),
                        },
                    )]),
                },
                MediaView::bare(Id(5)),
            ],
            hashtags: vec!["tag".into()],
            mentions: vec!["bob".into()],
            repost_of: Some(Id(3)),
            reaction_counts: BTreeMap::from([("like".into(), 2), ("fire".into(), 1)]),
            comment_count: 4,
            repost_count: 1,
            created_at: from_micros(1_717_171_717_123_456),
            edited_at: Some(from_micros(1_717_171_718_000_001)),
        }
    }

    #[test]
    fn a_body_survives_json_exactly() {
        let body = body();
        let json = serde_json::to_string(&body).expect("serializes");
        let back: PostBody = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, body);
        let unedited = PostBody {
            edited_at: None,
            repost_of: None,
            ..body
        };
        let json = serde_json::to_string(&unedited).expect("serializes");
        assert_eq!(serde_json::from_str::<PostBody>(&json).ok(), Some(unedited));
    }

    #[test]
    fn a_view_is_the_body_with_its_author_and_the_viewers_kinds() {
        let author = UserCard {
            id: Id(2),
            username: "alice".into(),
            display_name: "Alice".into(),
            avatar_url: None,
        };
        let view = body().view(author.clone(), vec!["like".into()]);
        let json = serde_json::to_value(&view).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({
                "id": "10",
                "author": {"id": "2", "username": "alice", "display_name": "Alice", "avatar_url": null},
                "content": "hi #tag @bob",
                "visibility": "followers",
                "media": [
                    {"id": "7", "url": "/media/7", "mime": "image/png", "size": 1234,
                     "width": 800, "height": 600, "variants": {"small": {
                        "url": "/media/7/small", "width": 150, "height": 112, "mime": "image/webp"}}},
                    {"id": "5", "url": "/media/5", "mime": "", "size": 0,
                     "width": null, "height": null, "variants": {}},
                ],
                "hashtags": ["tag"],
                "mentions": ["bob"],
                "repost_of": "3",
                "reaction_counts": {"fire": 1, "like": 2},
                "my_reactions": ["like"],
                "comment_count": 4,
                "repost_count": 1,
                "created_at": "2024-05-31T16:08:37.123Z",
                "edited_at": "2024-05-31T16:08:38.000Z",
            })
        );
        assert_eq!(view.author, author);
    }

    #[test]
    fn only_positive_counts_are_reactions() {
        assert!(body().has_reactions());
        let mut none = body();
        none.reaction_counts.clear();
        assert!(!none.has_reactions());
        none.reaction_counts.insert("like".into(), 0);
        assert!(!none.has_reactions());
    }
}
