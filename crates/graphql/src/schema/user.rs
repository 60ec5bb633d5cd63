//! `User`: a profile as the viewer may see it, with its posts.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use chorus_core::time::from_micros;
use chorus_rpc::users::{FriendRequestDirection, Profile, Relationship, UserCard};

use super::connection::{PostConnection, page_query};
use super::post::PostNode;
use super::rfc3339;
use crate::context::{backends, viewer};
use crate::errors::{GqlResult, to_id};

#[derive(Clone)]
pub(crate) struct UserNode(Arc<Profile>);

impl UserNode {
    pub(crate) fn new(profile: Profile) -> Self {
        Self(Arc::new(profile))
    }

    /// A user known only by the card a post or comment embeds: counts unknown
    /// (0), creation time read from the id.
    pub(crate) fn from_card(card: &UserCard) -> Self {
        Self::new(Profile {
            id: card.id,
            username: card.username.clone(),
            display_name: card.display_name.clone(),
            bio: String::new(),
            avatar_url: card.avatar_url.clone(),
            is_private: false,
            followers_count: 0,
            following_count: 0,
            posts_count: 0,
            created_at: from_micros(card.id.timestamp_ms().saturating_mul(1000)),
            relationship: None,
        })
    }
}

/// An account's profile.
#[Object(name = "User")]
impl UserNode {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    async fn username(&self) -> &str {
        &self.0.username
    }

    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    async fn bio(&self) -> &str {
        &self.0.bio
    }

    async fn avatar_url(&self) -> Option<&str> {
        self.0.avatar_url.as_deref()
    }

    async fn is_private(&self) -> bool {
        self.0.is_private
    }

    async fn followers_count(&self) -> i64 {
        self.0.followers_count
    }

    async fn following_count(&self) -> i64 {
        self.0.following_count
    }

    async fn posts_count(&self) -> i64 {
        self.0.posts_count
    }

    async fn created_at(&self) -> String {
        rfc3339(&self.0.created_at)
    }

    /// How the viewer stands with this user; null when anonymous.
    async fn relationship(&self) -> Option<RelationshipNode> {
        self.0.relationship.map(RelationshipNode::from)
    }

    /// Their posts the viewer may see, newest first.
    #[graphql(complexity = "super::connection_complexity(first, child_complexity)")]
    async fn posts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<PostConnection> {
        user_posts(ctx, self.0.id, first, after).await
    }
}

/// A user's timeline as a connection (`User.posts` and `Query.userPosts`).
pub(crate) async fn user_posts(
    ctx: &Context<'_>,
    user: chorus_core::Id,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<PostConnection> {
    let page = page_query(first, after.as_deref()).gql()?;
    let page = backends(ctx)
        .posts
        .user_posts(viewer(ctx), user, page)
        .await
        .gql()?;
    Ok(PostConnection::from_page(
        page,
        |post| post.id,
        PostNode::new,
    ))
}

/// The viewer's relationship with a user.
#[derive(SimpleObject)]
#[graphql(name = "Relationship")]
pub(crate) struct RelationshipNode {
    /// The viewer follows them.
    following: bool,
    /// They follow the viewer.
    followed_by: bool,
    /// The viewer asked to follow and awaits approval.
    follow_requested: bool,
    friends: bool,
    /// A pending friend request: `sent` by the viewer, or `received`.
    friend_request: Option<String>,
    /// The viewer blocks them.
    blocking: bool,
}

impl From<Relationship> for RelationshipNode {
    fn from(relationship: Relationship) -> Self {
        Self {
            following: relationship.following,
            followed_by: relationship.followed_by,
            follow_requested: relationship.follow_requested,
            friends: relationship.friends,
            friend_request: relationship.friend_request.map(|direction| {
                match direction {
                    FriendRequestDirection::Sent => "sent",
                    FriendRequestDirection::Received => "received",
                }
                .to_string()
            }),
            blocking: relationship.blocking,
        }
    }
}
