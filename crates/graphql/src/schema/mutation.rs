//! Writes, each for the signed-in caller only (`unauthorized` otherwise),
//! each through the same application calls as REST.

use async_graphql::{Context, ID, Object};
use chorus_core::{ApiError, Id};
use chorus_posts::app::{NewComment, NewPost, PostEdit};
use chorus_rpc::users::FollowState;

use super::post::{CommentNode, PostNode, ReactionSummaryNode};
use crate::context::{backends, signed_in};
use crate::errors::{GqlResult, parse_id};

pub struct MutationRoot;

#[Object(name = "Mutation")]
impl MutationRoot {
    /// `visibility`: `public` (default), `followers` or `private`.
    async fn create_post(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] content: String,
        visibility: Option<String>,
        #[graphql(default)] media_ids: Vec<ID>,
        repost_of: Option<ID>,
    ) -> async_graphql::Result<PostNode> {
        let me = signed_in(ctx)?;
        let media_ids = media_ids
            .iter()
            .map(|id| {
                id.parse::<Id>()
                    .map_err(|_| ApiError::invalid_field("media_ids", "no such media"))
            })
            .collect::<Result<Vec<Id>, ApiError>>()
            .gql()?;
        let repost_of = repost_of
            .map(|id| parse_id(&id, "post"))
            .transpose()
            .gql()?;
        let input = NewPost {
            content,
            visibility,
            media_ids,
            repost_of,
        };
        let post = backends(ctx).posts.create_post(me, input).await.gql()?;
        Ok(PostNode::new(post))
    }

    /// Changes the given fields; only the author may.
    async fn edit_post(
        &self,
        ctx: &Context<'_>,
        id: ID,
        content: Option<String>,
        visibility: Option<String>,
    ) -> async_graphql::Result<PostNode> {
        let me = signed_in(ctx)?;
        let id = parse_id(&id, "post").gql()?;
        let edit = PostEdit {
            content,
            visibility,
        };
        let post = backends(ctx).posts.edit_post(me, id, edit).await.gql()?;
        Ok(PostNode::new(post))
    }

    async fn delete_post(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let me = signed_in(ctx)?;
        let id = parse_id(&id, "post").gql()?;
        backends(ctx).posts.delete_post(me, id).await.gql()?;
        Ok(true)
    }

    /// `parentId`: the comment this one answers, on the same post.
    async fn add_comment(
        &self,
        ctx: &Context<'_>,
        post_id: ID,
        content: String,
        parent_id: Option<ID>,
    ) -> async_graphql::Result<CommentNode> {
        let me = signed_in(ctx)?;
        let post = parse_id(&post_id, "post").gql()?;
        let parent_id = parent_id
            .map(|id| {
                id.parse::<Id>()
                    .map_err(|_| ApiError::invalid_field("parent_id", "not a comment of this post"))
            })
            .transpose()
            .gql()?;
        let input = NewComment { content, parent_id };
        let comment = backends(ctx)
            .posts
            .add_comment(me, post, input)
            .await
            .gql()?;
        Ok(CommentNode::new(comment))
    }

    async fn edit_comment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        content: String,
    ) -> async_graphql::Result<CommentNode> {
        let me = signed_in(ctx)?;
        let id = parse_id(&id, "comment").gql()?;
        let comment = backends(ctx)
            .posts
            .edit_comment(me, id, content)
            .await
            .gql()?;
        Ok(CommentNode::new(comment))
    }

    /// The comment's author or the post's author may; replies go with it.
    async fn delete_comment(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let me = signed_in(ctx)?;
        let id = parse_id(&id, "comment").gql()?;
        backends(ctx).posts.delete_comment(me, id).await.gql()?;
        Ok(true)
    }

    /// `kind`: like, love, haha, wow, sad, angry, fire or clap. Idempotent.
    async fn react(
        &self,
        ctx: &Context<'_>,
        post_id: ID,
        kind: String,
    ) -> async_graphql::Result<ReactionSummaryNode> {
        let me = signed_in(ctx)?;
        let post = parse_id(&post_id, "post").gql()?;
        let summary = backends(ctx).posts.react(me, post, &kind).await.gql()?;
        Ok(summary.into())
    }

    /// Idempotent.
    async fn unreact(
        &self,
        ctx: &Context<'_>,
        post_id: ID,
        kind: String,
    ) -> async_graphql::Result<ReactionSummaryNode> {
        let me = signed_in(ctx)?;
        let post = parse_id(&post_id, "post").gql()?;
        let summary = backends(ctx).posts.unreact(me, post, &kind).await.gql()?;
        Ok(summary.into())
    }

    /// `following`, or `requested` when the account is private.
    async fn follow(&self, ctx: &Context<'_>, user_id: ID) -> async_graphql::Result<String> {
        let me = signed_in(ctx)?;
        let user = parse_id(&user_id, "user").gql()?;
        let state = backends(ctx).users.follow(me, user).await.gql()?;
        Ok(match state {
            FollowState::Following => "following",
            FollowState::Requested => "requested",
        }
        .to_string())
    }

    /// Stops following, or withdraws a pending request. Idempotent.
    async fn unfollow(&self, ctx: &Context<'_>, user_id: ID) -> async_graphql::Result<bool> {
        let me = signed_in(ctx)?;
        let user = parse_id(&user_id, "user").gql()?;
        backends(ctx).users.unfollow(me, user).await.gql()?;
        Ok(true)
    }
}
