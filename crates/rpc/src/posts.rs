//! What other services ask the posts service, synchronously, and the post as
//! the public API shows it.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use chorus_core::time::Timestamp;
use chorus_core::{ApiResult, Id};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::users::UserCard;

/// The most ids one [`PostsApi`] call takes; more is refused (400
/// `validation_failed`), so that no caller can ask for unbounded work.
pub const MAX_IDS: usize = 1_000;

/// A media attached to a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = PostMedia)]
pub struct MediaView {
    pub id: Id,
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
    /// In the order the author attached them.
    pub media_ids: Vec<Id>,
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

impl PostBody {
    /// The post as a viewer sees it: `author` is the card of `author_id`,
    /// `my_reactions` the viewer's kinds (see [`PostsApi::reactions_of`]).
    pub fn view(self, author: UserCard, my_reactions: Vec<String>) -> PostView {
        PostView {
            id: self.id,
            author,
            content: self.content,
            visibility: self.visibility,
            media: self
                .media_ids
                .into_iter()
                .map(|id| MediaView { id })
                .collect(),
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
/// from it). Both methods are batched reads, idempotent, and take at most
/// [`MAX_IDS`] ids; errors are [`chorus_core::ApiError`]s, carried across
/// the gRPC transport like [`crate::UsersApi`]'s.
#[async_trait]
pub trait PostsApi: Send + Sync + 'static {
    /// Bodies of the posts among `ids` that exist, in no particular order.
    /// No visibility check: the caller decides who sees what.
    async fn bodies(&self, ids: &[Id]) -> ApiResult<Vec<PostBody>>;

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
            media_ids: vec![Id(7), Id(5)],
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
                "media": [{"id": "7"}, {"id": "5"}],
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
