//! What the feed consumes: posts (fan-out, removal, cached bodies), the
//! graph (its replica), and profile changes (cached cards).

use async_trait::async_trait;
use chorus_core::{Envelope, Id};
use chorus_ports::{EventHandler, RetryPolicy, Subscription};
use serde::Deserialize;

use crate::NAME;
use crate::app::Feed;
use crate::store::posts::FeedPost;

pub const POST_CREATED: &str = "post.created";
pub const POST_UPDATED: &str = "post.updated";
pub const POST_DELETED: &str = "post.deleted";
pub const POST_REPOSTED: &str = "post.reposted";
pub const POST_REACTED: &str = "post.reacted";
pub const POST_UNREACTED: &str = "post.unreacted";
pub const COMMENT_CREATED: &str = "comment.created";
pub const COMMENT_DELETED: &str = "comment.deleted";
pub const USER_FOLLOWED: &str = "user.followed";
pub const USER_UNFOLLOWED: &str = "user.unfollowed";
pub const USER_BLOCKED: &str = "user.blocked";
pub const USER_UNBLOCKED: &str = "user.unblocked";
pub const USER_UPDATED: &str = "user.updated";

/// Consumer `feed`.
pub fn subscriptions() -> Vec<Subscription> {
    let topics = [
        POST_CREATED,
        POST_UPDATED,
        POST_DELETED,
        POST_REPOSTED,
        POST_REACTED,
        POST_UNREACTED,
        COMMENT_CREATED,
        COMMENT_DELETED,
        USER_FOLLOWED,
        USER_UNFOLLOWED,
        USER_BLOCKED,
        USER_UNBLOCKED,
        USER_UPDATED,
    ];
    vec![Subscription {
        consumer: NAME.to_string(),
        topics: topics.map(String::from).to_vec(),
        retry: RetryPolicy::default(),
        batch: 1,
        expires_after: None,
    }]
}

pub struct Consumer {
    feed: Feed,
}

impl Consumer {
    pub fn new(feed: Feed) -> Self {
        Self { feed }
    }
}

/// `post.created` / `post.updated` (the parts the feed uses).
#[derive(Deserialize)]
struct PostEvent {
    post_id: Id,
    author_id: Id,
    visibility: String,
}

/// `post.deleted`.
#[derive(Deserialize)]
struct PostDeleted {
    post_id: Id,
    author_id: Id,
}

/// Any event about one post's counts: reactions, comments, reposts.
#[derive(Deserialize)]
struct PostTouched {
    post_id: Id,
}

#[derive(Deserialize)]
struct Follow {
    follower_id: Id,
    followee_id: Id,
}

#[derive(Deserialize)]
struct Block {
    blocker_id: Id,
    blocked_id: Id,
}

#[derive(Deserialize)]
struct UserUpdated {
    user_id: Id,
}

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let feed = &self.feed;
        match event.kind.as_str() {
            POST_CREATED => {
                let post: PostEvent = event.payload_as()?;
                let entry = FeedPost {
                    id: post.post_id,
                    author_id: post.author_id,
                    private: post.visibility == "private",
                };
                feed.post_created(event, entry, &post.visibility).await?;
            }
            POST_UPDATED => {
                let post: PostEvent = event.payload_as()?;
                feed.post_updated(event, post.post_id, post.author_id, &post.visibility)
                    .await?;
            }
            POST_DELETED => {
                let post: PostDeleted = event.payload_as()?;
                feed.post_deleted(event, post.post_id, post.author_id)
                    .await?;
            }
            POST_REPOSTED | POST_REACTED | POST_UNREACTED | COMMENT_CREATED | COMMENT_DELETED => {
                let touched: PostTouched = event.payload_as()?;
                feed.post_changed(touched.post_id).await;
            }
            USER_FOLLOWED => {
                let follow: Follow = event.payload_as()?;
                feed.followed(event, follow.follower_id, follow.followee_id)
                    .await?;
            }
            USER_UNFOLLOWED => {
                let follow: Follow = event.payload_as()?;
                feed.unfollowed(event, follow.follower_id, follow.followee_id)
                    .await?;
            }
            USER_BLOCKED | USER_UNBLOCKED => {
                let block: Block = event.payload_as()?;
                let active = event.kind == USER_BLOCKED;
                feed.blocked(event, block.blocker_id, block.blocked_id, active)
                    .await?;
            }
            USER_UPDATED => {
                let user: UserUpdated = event.payload_as()?;
                feed.author_changed(user.user_id).await;
            }
            other => tracing::debug!(
                event_type = other,
                "ignoring an event the feed does not use"
            ),
        }
        Ok(())
    }
}
