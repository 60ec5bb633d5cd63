//! What the search index consumes: posts and accounts as they change.
//!
//! Events carry what the index needs, so a batch of them is one commit and
//! no call to another service. The index is a projection: a post edited or
//! deleted is looked up by id, and whatever it shows is checked against the
//! posts service when results are shown.

use async_trait::async_trait;
use chorus_core::{Envelope, Id};
use chorus_ports::{EventHandler, RetryPolicy, Subscription};
use serde::Deserialize;

use crate::app::Search;
use crate::app::trends::HASHTAGS_TERM;
use crate::app::users::USERS_TERM;
use crate::index::{Change, PostDoc, UserDoc, Visibility};

pub const POST_CREATED: &str = "post.created";
pub const POST_UPDATED: &str = "post.updated";
pub const POST_DELETED: &str = "post.deleted";
pub const USER_REGISTERED: &str = "user.registered";
pub const USER_UPDATED: &str = "user.updated";

const TOPICS: [&str; 5] = [
    POST_CREATED,
    POST_UPDATED,
    POST_DELETED,
    USER_REGISTERED,
    USER_UPDATED,
];

/// Events applied (and committed) together.
const BATCH: usize = 512;

/// The subscription of the index in `slot`: slot 1 is the `search` queue
/// every process declares at start (so no event is missed before the
/// first instance runs); each further instance has its own queue, since
/// every index needs every event.
pub fn subscription(slot: u32) -> Subscription {
    let consumer = if slot == 1 {
        crate::NAME.to_string()
    } else {
        format!("{}-{slot}", crate::NAME)
    };
    Subscription {
        consumer,
        topics: TOPICS.map(String::from).to_vec(),
        retry: RetryPolicy::default(),
        batch: BATCH,
    }
}

/// What every process declares: the first instance's queue.
pub fn subscriptions() -> Vec<Subscription> {
    vec![subscription(1)]
}

pub struct Consumer {
    search: Search,
}

impl Consumer {
    pub fn new(search: Search) -> Self {
        Self { search }
    }
}

#[derive(Deserialize)]
struct PostWritten {
    post_id: Id,
    author_id: Id,
    content: String,
    visibility: String,
    #[serde(default)]
    hashtags: Vec<String>,
}

#[derive(Deserialize)]
struct PostDeleted {
    post_id: Id,
}

#[derive(Deserialize)]
struct UserWritten {
    user_id: Id,
    username: String,
    #[serde(default)]
    display_name: Option<String>,
}

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.handle_batch(std::slice::from_ref(event)).await
    }

    async fn handle_batch(&self, events: &[Envelope]) -> anyhow::Result<()> {
        let index = self.search.index().clone();
        let events = events.to_vec();
        let (changes, terms) =
            tokio::task::spawn_blocking(move || changes_of(&index, &events)).await??;
        self.search.apply(changes, terms).await
    }
}

/// The index changes a batch makes, and the terms whose cached results
/// they retire (those of the old text too, for edits and deletions).
fn changes_of(
    index: &crate::index::SearchIndex,
    events: &[Envelope],
) -> anyhow::Result<(Vec<Change>, Vec<String>)> {
    let mut changes = Vec::with_capacity(events.len());
    let mut terms = Vec::new();
    for event in events {
        match event.kind.as_str() {
            POST_CREATED | POST_UPDATED => {
                let post: PostWritten = event.payload_as()?;
                if event.kind == POST_UPDATED
                    && let Some((content, hashtags)) = index.stored_post(post.post_id)?
                {
                    terms.extend(index.post_terms(&content, &hashtags));
                }
                terms.extend(index.post_terms(&post.content, &post.hashtags));
                terms.push(HASHTAGS_TERM.to_string());
                changes.push(Change::UpsertPost(PostDoc {
                    id: post.post_id,
                    author_id: post.author_id,
                    visibility: Visibility::parse(&post.visibility).unwrap_or(Visibility::Private),
                    content: post.content,
                    hashtags: post.hashtags,
                    // The id tells when it was made, edit or not.
                    created_at_ms: post.post_id.timestamp_ms(),
                }));
            }
            POST_DELETED => {
                let post: PostDeleted = event.payload_as()?;
                if let Some((content, hashtags)) = index.stored_post(post.post_id)? {
                    terms.extend(index.post_terms(&content, &hashtags));
                }
                terms.push(HASHTAGS_TERM.to_string());
                changes.push(Change::DeletePost(post.post_id));
            }
            USER_REGISTERED | USER_UPDATED => {
                let user: UserWritten = event.payload_as()?;
                terms.push(USERS_TERM.to_string());
                changes.push(Change::UpsertUser(UserDoc {
                    id: user.user_id,
                    display_name: user.display_name.unwrap_or_else(|| user.username.clone()),
                    username: user.username,
                }));
            }
            other => tracing::debug!(kind = other, "search ignores this event"),
        }
    }
    terms.sort();
    terms.dedup();
    Ok((changes, terms))
}
