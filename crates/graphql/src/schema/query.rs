//! Reads: the viewer, users, posts and timelines.

use async_graphql::{Context, Enum, ID, Object};
use chorus_core::ApiError;
use chorus_rpc::feed::Ranking;

use super::connection::{PostConnection, page_query};
use super::post::PostNode;
use super::user::{UserNode, user_posts};
use crate::context::{backends, posts_by_id, profiles, signed_in, viewer};
use crate::errors::{GqlResult, absent_as_none, gql_error, parse_id};

pub struct QueryRoot;

#[Object(name = "Query")]
impl QueryRoot {
    /// The signed-in caller's profile; null when anonymous.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<UserNode>> {
        let Some(me) = viewer(ctx) else {
            return Ok(None);
        };
        Ok(profiles(ctx).load_one(me).await.gql()?.map(UserNode::new))
    }

    /// A user by `id` or by `username` (give one); null when missing or hidden.
    async fn user(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        username: Option<String>,
    ) -> async_graphql::Result<Option<UserNode>> {
        match (id, username) {
            (Some(id), None) => {
                let Ok(id) = parse_id(&id, "user") else {
                    return Ok(None);
                };
                Ok(profiles(ctx).load_one(id).await.gql()?.map(UserNode::new))
            }
            (None, Some(username)) => user_by_name(ctx, &username).await,
            _ => Err(gql_error(ApiError::validation(
                "give either id or username",
            ))),
        }
    }

    /// A post; null when missing or hidden from the caller.
    async fn post(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<PostNode>> {
        let Ok(id) = parse_id(&id, "post") else {
            return Ok(None);
        };
        Ok(posts_by_id(ctx)
            .load_one(id)
            .await
            .gql()?
            .map(PostNode::new))
    }

    /// A user's posts the caller may see, newest first (`not_found` when the
    /// user is missing or hidden).
    #[graphql(complexity = "super::connection_complexity(first, child_complexity)")]
    async fn user_posts(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<PostConnection> {
        let user = parse_id(&user_id, "user").gql()?;
        user_posts(ctx, user, first, after).await
    }

    /// The caller's home timeline: their own posts and those of everyone
    /// they follow that they may see, as `GET /api/v1/feed` gives it.
    #[graphql(complexity = "super::connection_complexity(first, child_complexity)")]
    async fn feed(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "`LATEST` when null")] ranking: Option<FeedRanking>,
    ) -> async_graphql::Result<PostConnection> {
        let me = signed_in(ctx)?;
        let page = page_query(first, after.as_deref()).gql()?;
        let Some(feed) = &backends(ctx).feed else {
            return Err(gql_error(ApiError::unavailable(
                "the feed service is not reachable from here: set services.feed.urls for the posts service",
            )));
        };
        let page = feed
            .home(me, page, ranking.unwrap_or_default().into())
            .await
            .gql()?;
        let ids: Vec<_> = page.entries.iter().map(|entry| entry.post).collect();
        // Through the request's loader: a post deleted since the feed chose it drops out.
        let mut posts = posts_by_id(ctx).load_many(ids).await.gql()?;
        let edges = page
            .entries
            .into_iter()
            .filter_map(|entry| {
                let post = posts.remove(&entry.post)?;
                Some((entry.cursor, PostNode::new(post)))
            })
            .collect();
        Ok(PostConnection::from_edges(edges, page.next_cursor))
    }
}

/// How `feed` orders the timeline.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
pub enum FeedRanking {
    /// Newest first.
    #[default]
    Latest,
    /// By engagement and age.
    Top,
}

impl From<FeedRanking> for Ranking {
    fn from(ranking: FeedRanking) -> Self {
        match ranking {
            FeedRanking::Latest => Ranking::Latest,
            FeedRanking::Top => Ranking::Top,
        }
    }
}

/// `UsersApi::profile` reads a numeric segment as an id first: make sure the
/// answer is the user of that name.
async fn user_by_name(
    ctx: &Context<'_>,
    username: &str,
) -> async_graphql::Result<Option<UserNode>> {
    let users = &backends(ctx).users;
    let Some(profile) = absent_as_none(users.profile(viewer(ctx), username).await)? else {
        return Ok(None);
    };
    if profile.username.eq_ignore_ascii_case(username) {
        return Ok(Some(UserNode::new(profile)));
    }
    let cards = users
        .find_by_usernames(&[username.to_string()])
        .await
        .gql()?;
    let Some(card) = cards.first() else {
        return Ok(None);
    };
    Ok(profiles(ctx)
        .load_one(card.id)
        .await
        .gql()?
        .map(UserNode::new))
}
