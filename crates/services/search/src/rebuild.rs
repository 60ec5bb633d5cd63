//! Filling an index from the owning services: at a new instance's first
//! start (catching up by itself), after a schema change, and for
//! `chorus reindex`.
//!
//! Posts and accounts are read in id order, a page at a time, while events
//! keep coming: the consumer runs alongside, and a post it deletes during
//! the rebuild is not written back by a page read before the deletion.

use std::time::Instant;

use chorus_core::Id;
use chorus_rpc::{PostsApi, UsersApi};

use crate::index::{Change, PostDoc, SearchIndex, UserDoc, Visibility};

/// Items read per call to the owning services.
const PAGE: usize = 1_000;

/// Pages between intermediate commits (a crash resumes from scratch, but
/// searches see progress).
const PAGES_PER_COMMIT: usize = 50;

/// What a rebuild did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rebuilt {
    pub posts: u64,
    pub users: u64,
}

/// Reads every post and account into `index` and marks it complete.
/// With `from_scratch`, what it held before goes first.
pub async fn rebuild(
    index: &std::sync::Arc<SearchIndex>,
    posts: &dyn PostsApi,
    users: &dyn UsersApi,
    from_scratch: bool,
) -> anyhow::Result<Rebuilt> {
    let started = Instant::now();
    if from_scratch {
        index.off_async(|index| index.clear()).await?;
    }
    index.track_deletions(true);
    let result = copy_all(index, posts, users).await;
    index.track_deletions(false);
    let rebuilt = result?;
    index.off_async(|index| index.commit(true)).await?;
    tracing::info!(
        slot = index.slot,
        posts = rebuilt.posts,
        users = rebuilt.users,
        seconds = started.elapsed().as_secs_f64(),
        "search index rebuilt"
    );
    Ok(rebuilt)
}

async fn copy_all(
    index: &std::sync::Arc<SearchIndex>,
    posts: &dyn PostsApi,
    users: &dyn UsersApi,
) -> anyhow::Result<Rebuilt> {
    let mut rebuilt = Rebuilt::default();
    let mut after: Option<Id> = None;
    let mut pages = 0;
    loop {
        let cards = users.cards_after(after, PAGE).await?;
        let Some(last) = cards.last() else { break };
        after = Some(last.id);
        rebuilt.users += cards.len() as u64;
        let changes: Vec<Change> = cards
            .into_iter()
            .map(|card| {
                Change::UpsertUser(UserDoc {
                    id: card.id,
                    username: card.username,
                    display_name: card.display_name,
                })
            })
            .collect();
        index.off_async(move |index| index.write(&changes)).await?;
    }
    after = None;
    loop {
        let bodies = posts.bodies_after(after, PAGE).await?;
        let Some(last) = bodies.last() else { break };
        after = Some(last.id);
        rebuilt.posts += bodies.len() as u64;
        let docs: Vec<PostDoc> = bodies
            .into_iter()
            .map(|body| PostDoc {
                id: body.id,
                author_id: body.author_id,
                visibility: Visibility::parse(&body.visibility).unwrap_or(Visibility::Private),
                content: body.content,
                hashtags: body.hashtags,
                created_at_ms: body.created_at.timestamp_millis(),
            })
            .collect();
        index
            .off_async(move |index| index.write_rebuilt_posts(docs))
            .await?;
        pages += 1;
        if pages % PAGES_PER_COMMIT == 0 {
            index.off_async(|index| index.commit(false)).await?;
        }
    }
    Ok(rebuilt)
}
