//! `Post`, `Comment` and reactions, over the posts service's views.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use chorus_posts::REACTION_KINDS;
use chorus_posts::app::{CommentView, PostView, ReactionSummary};
use chorus_rpc::users::UserCard;

use super::connection::{CommentConnection, page_query};
use super::rfc3339;
use super::user::UserNode;
use crate::context::{backends, posts_by_id, profiles, viewer};
use crate::errors::{GqlResult, to_id};

#[derive(Clone)]
pub(crate) struct PostNode(pub Arc<PostView>);

impl PostNode {
    pub(crate) fn new(view: PostView) -> Self {
        Self(Arc::new(view))
    }
}

/// A post as its viewer sees it.
#[Object(name = "Post")]
impl PostNode {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// Loaded with every other author of the response in one batch.
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<UserNode> {
        author(ctx, &self.0.author).await
    }

    async fn content(&self) -> &str {
        &self.0.content
    }

    /// `public`, `followers` or `private`.
    async fn visibility(&self) -> &str {
        &self.0.visibility
    }

    async fn media(&self) -> Vec<PostMedia> {
        self.0
            .media
            .iter()
            .map(|media| {
                let mut variants: Vec<MediaVariant> = media
                    .variants
                    .iter()
                    .map(|(name, variant)| MediaVariant {
                        name: name.clone(),
                        url: variant.url.clone(),
                        width: variant.width,
                        height: variant.height,
                        mime: variant.mime.clone(),
                    })
                    .collect();
                variants.sort_by_key(|variant| variant.width);
                PostMedia {
                    id: to_id(media.id),
                    url: media.url.clone(),
                    mime: media.mime.clone(),
                    size: media.size,
                    width: media.width,
                    height: media.height,
                    variants,
                }
            })
            .collect()
    }

    /// Lowercase, without `#`, in order of appearance.
    async fn hashtags(&self) -> &[String] {
        &self.0.hashtags
    }

    /// Usernames of the users the content mentions, without `@`.
    async fn mentions(&self) -> &[String] {
        &self.0.mentions
    }

    /// The original post of a repost; null when it is gone or hidden from the viewer.
    async fn repost_of(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PostNode>> {
        let Some(original) = self.0.repost_of else {
            return Ok(None);
        };
        let post = posts_by_id(ctx).load_one(original).await.gql()?;
        Ok(post.map(PostNode::new))
    }

    /// Reactions per kind, only kinds with at least one.
    async fn reaction_counts(&self) -> Vec<ReactionCount> {
        reaction_counts(&self.0.reaction_counts)
    }

    /// The kinds the viewer reacted with.
    async fn my_reactions(&self) -> &[String] {
        &self.0.my_reactions
    }

    async fn comment_count(&self) -> i64 {
        self.0.comment_count
    }

    async fn repost_count(&self) -> i64 {
        self.0.repost_count
    }

    async fn created_at(&self) -> String {
        rfc3339(&self.0.created_at)
    }

    async fn edited_at(&self) -> Option<String> {
        self.0.edited_at.as_ref().map(rfc3339)
    }

    /// Oldest first. One call per post: ask for comments on one post, not on a page of them.
    #[graphql(complexity = "super::connection_complexity(first, child_complexity)")]
    async fn comments(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CommentConnection> {
        let page = page_query(first, after.as_deref()).gql()?;
        let page = backends(ctx)
            .posts
            .comments(viewer(ctx), self.0.id, page)
            .await
            .gql()?;
        Ok(CommentConnection::from_page(
            page,
            |comment| comment.id,
            CommentNode::new,
        ))
    }
}

/// A media attached to a post, as `POST /api/v1/media` described it.
#[derive(SimpleObject)]
pub(crate) struct PostMedia {
    id: ID,
    /// Where its bytes are served (`/media/{id}`).
    url: String,
    mime: String,
    /// Bytes.
    size: i64,
    /// Of the stored image; null for videos.
    width: Option<i64>,
    height: Option<i64>,
    /// Resized WebP copies of an image, narrowest first.
    variants: Vec<MediaVariant>,
}

/// A resized WebP copy of an image.
#[derive(SimpleObject)]
pub(crate) struct MediaVariant {
    /// `small`, `medium` or `large`.
    name: String,
    /// `/media/{id}/{name}`.
    url: String,
    width: i64,
    height: i64,
    mime: String,
}

#[derive(SimpleObject)]
pub(crate) struct ReactionCount {
    /// One of `like, love, haha, wow, sad, angry, fire, clap`.
    kind: String,
    count: i64,
}

/// Counts in the order of the known kinds (then any other, by name).
fn reaction_counts(counts: &BTreeMap<String, i64>) -> Vec<ReactionCount> {
    let mut counts: Vec<ReactionCount> = counts
        .iter()
        .filter(|(_, count)| **count > 0)
        .map(|(kind, count)| ReactionCount {
            kind: kind.clone(),
            count: *count,
        })
        .collect();
    counts.sort_by_key(|count| {
        REACTION_KINDS
            .iter()
            .position(|kind| *kind == count.kind)
            .unwrap_or(REACTION_KINDS.len())
    });
    counts
}

/// A post's reactions after a change.
#[derive(SimpleObject)]
#[graphql(name = "ReactionSummary")]
pub(crate) struct ReactionSummaryNode {
    counts: Vec<ReactionCount>,
    mine: Vec<String>,
}

impl From<ReactionSummary> for ReactionSummaryNode {
    fn from(summary: ReactionSummary) -> Self {
        Self {
            counts: reaction_counts(&summary.counts),
            mine: summary.mine,
        }
    }
}

#[derive(Clone)]
pub(crate) struct CommentNode(pub Arc<CommentView>);

impl CommentNode {
    pub(crate) fn new(view: CommentView) -> Self {
        Self(Arc::new(view))
    }
}

/// A comment on a post.
#[Object(name = "Comment")]
impl CommentNode {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    async fn post_id(&self) -> ID {
        to_id(self.0.post_id)
    }

    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<UserNode> {
        author(ctx, &self.0.author).await
    }

    async fn content(&self) -> &str {
        &self.0.content
    }

    /// The comment this one answers.
    async fn parent_id(&self) -> Option<ID> {
        self.0.parent_id.map(to_id)
    }

    async fn created_at(&self) -> String {
        rfc3339(&self.0.created_at)
    }

    async fn edited_at(&self) -> Option<String> {
        self.0.edited_at.as_ref().map(rfc3339)
    }
}

/// The author's profile through the request's batch loader; the card the
/// posts service embedded stands in if the profile cannot be had (the
/// service showed the item, so its author is not hidden from the caller).
async fn author(ctx: &Context<'_>, card: &UserCard) -> async_graphql::Result<UserNode> {
    let profile = profiles(ctx).load_one(card.id).await.gql()?;
    Ok(match profile {
        Some(profile) => UserNode::new(profile),
        None => UserNode::from_card(card),
    })
}
