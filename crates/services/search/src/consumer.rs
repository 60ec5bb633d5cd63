//! What the search index consumes: posts and accounts as they change.
//!
//! Events carry what the index needs, so a batch of them is one commit and
//! no call to another service. The index is a projection: a post edited or
//! deleted is looked up by id, and whatever it shows is checked against the
//! posts service when results are shown.

use std::time::Duration;

use async_trait::async_trait;
use chorus_core::{Envelope, Id};
use chorus_ports::{EventHandler, RetryPolicy, Subscription};
use serde::Deserialize;

use crate::app::Search;
use crate::app::trends::HASHTAGS_TERM;
use crate::app::users::USERS_TERM;
use crate::index::{Change, PostDoc, SearchIndex, UserDoc, Visibility};

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

/// How long a search instance's own queue outlives the instance: one that
/// comes back later than this finds its index stale and refills it.
pub const QUEUE_KEPT_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

/// The queue of `index`. Every index needs every event, so each has its
/// own queue. With the in-process bus (one process) the first slot's is the
/// `search` queue every process declares at start, so nothing published
/// before it subscribes is missed. On a broker, a queue is named after the
/// index's instance id (kept in its folder: a restart finds its queue and
/// the events it missed), and expires when unused for [`QUEUE_KEPT_FOR`],
/// so instances that never come back leave nothing growing.
pub fn subscription(index: &SearchIndex, in_process_bus: bool) -> Subscription {
    match (in_process_bus, index.slot) {
        (true, 1) => queue(crate::NAME.to_string(), None),
        (true, slot) => queue(format!("{}-{slot}", crate::NAME), None),
        (false, _) => queue(
            format!("{}-{}", crate::NAME, index.instance),
            Some(QUEUE_KEPT_FOR),
        ),
    }
}

/// What every process declares at start: the `search` queue with the
/// in-process bus; nothing on a broker, where each instance declares its own.
pub fn subscriptions(in_process_bus: bool) -> Vec<Subscription> {
    if in_process_bus {
        vec![queue(crate::NAME.to_string(), None)]
    } else {
        Vec::new()
    }
}

fn queue(consumer: String, expires_after: Option<Duration>) -> Subscription {
    Subscription {
        consumer,
        topics: TOPICS.map(String::from).to_vec(),
        retry: RetryPolicy::default(),
        batch: BATCH,
        expires_after,
    }
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
        let events = events.to_vec();
        // Read what edits and deletions take away, then write, in one go.
        let terms = self
            .search
            .index()
            .off_async(move |index| {
                let (changes, terms) = changes_of(index, &events)?;
                index.apply(&changes)?;
                Ok(terms)
            })
            .await?;
        self.search.retire(&terms).await
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
