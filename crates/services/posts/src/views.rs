//! What the application layer takes and answers, as REST and GraphQL show it.

use std::collections::BTreeMap;

use chorus_core::Id;
use chorus_core::time::Timestamp;
use chorus_rpc::users::UserCard;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

// Defined beside `PostsApi`: other services (the feed) show posts too.
pub use chorus_rpc::posts::{MediaView, PostView};

/// A new post: `POST /api/v1/posts`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewPost {
    /// Trimmed, 1 to 5,000 characters; a repost may leave it empty.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schema(max_length = 5000, example = "Hello #chorus, says @alice")]
    pub content: String,
    /// `public` (default), `followers` or `private`.
    #[schema(example = "public")]
    pub visibility: Option<String>,
    /// Up to 10 ids of media the author uploaded.
    #[serde(default, deserialize_with = "null_as_default")]
    #[schema(max_items = 10)]
    pub media_ids: Vec<Id>,
    /// The post this one reposts; it must be public and visible to the author.
    pub repost_of: Option<Id>,
}

/// Changes to a post: `PATCH /api/v1/posts/{id}`; absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct PostEdit {
    #[schema(max_length = 5000)]
    pub content: Option<String>,
    /// `public`, `followers` or `private`.
    pub visibility: Option<String>,
}

/// A new comment: `POST /api/v1/posts/{id}/comments`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct NewComment {
    /// Trimmed, 1 to 2,000 characters.
    #[schema(max_length = 2000, example = "Nice one")]
    pub content: String,
    /// The comment this one answers, on the same post.
    pub parent_id: Option<Id>,
}

/// A new text for a comment: `PATCH /api/v1/comments/{id}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CommentEdit {
    #[schema(max_length = 2000)]
    pub content: String,
}

/// A comment on a post.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Comment)]
pub struct CommentView {
    pub id: Id,
    pub post_id: Id,
    pub author: UserCard,
    pub content: String,
    /// The comment this one answers.
    pub parent_id: Option<Id>,
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[serde(serialize_with = "chorus_core::time::rfc3339::option::serialize")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub edited_at: Option<Timestamp>,
}

/// A post's reactions after a change: counts per kind and the caller's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReactionSummary {
    #[schema(example = json!({"like": 3}))]
    pub counts: BTreeMap<String, i64>,
    pub mine: Vec<String>,
}

/// Who reacted to a post, with what.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Reaction)]
pub struct ReactionView {
    pub user: UserCard,
    #[schema(example = "like")]
    pub kind: String,
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

/// `null` reads as absent: the default.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_post_reads_null_and_absent_alike() {
        let post: NewPost =
            serde_json::from_str(r#"{"content": null, "media_ids": null, "repost_of": "7"}"#)
                .expect("parses");
        assert_eq!(post.content, "");
        assert!(post.media_ids.is_empty());
        assert_eq!(post.repost_of, Some(Id(7)));
        let post: NewPost = serde_json::from_str("{}").expect("parses");
        assert_eq!(post.visibility, None);
    }
}
