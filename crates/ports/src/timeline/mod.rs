//! The timelines port: materialized home timelines, a capped set of post ids
//! per user, newest first, kept up to date by fan-out on write.
//!
//! Adapters: [`memory::MemoryTimelines`] (in process, lost on restart) and
//! [`redis::RedisTimelines`]. Either may lose a timeline at any time (restart,
//! eviction), so readers treat "absent" as "rebuild from storage", never as
//! "empty".

use async_trait::async_trait;
use chorus_core::Id;

pub mod memory;
pub mod redis;

pub use memory::MemoryTimelines;
pub use redis::RedisTimelines;

/// Materialized home timelines: per user, a capped set of post ids, newest first.
/// A timeline is either materialized (built from storage, then kept up to date by
/// fan-out) or absent (never built, evicted, or lost with an in-memory store):
/// readers rebuild an absent one with `replace`.
#[async_trait]
pub trait Timelines: Send + Sync + 'static {
    /// Replaces `user`'s timeline by `posts` (any order, duplicates allowed; the
    /// newest `cap` kept) and marks it materialized. An empty list is a
    /// materialized, empty timeline.
    async fn replace(&self, user: Id, posts: &[Id]) -> anyhow::Result<()>;

    /// Adds `post` to the timeline of each of `users` that is materialized (absent
    /// ones are skipped: they will be rebuilt from storage), trimming each to the
    /// newest `cap`. Idempotent. One round trip per ~1,000 users (pipelined).
    async fn push(&self, users: &[Id], post: Id) -> anyhow::Result<()>;

    /// Adds `posts` to `user`'s timeline if materialized, trimming to `cap`.
    async fn add(&self, user: Id, posts: &[Id]) -> anyhow::Result<()>;

    /// Removes `posts` from the timelines of `users` (absent ones untouched).
    async fn remove(&self, users: &[Id], posts: &[Id]) -> anyhow::Result<()>;

    /// Up to `limit` post ids strictly older (smaller) than `before` (newest when
    /// `None`), newest first; `None` when the timeline is not materialized.
    async fn range(
        &self,
        user: Id,
        before: Option<Id>,
        limit: usize,
    ) -> anyhow::Result<Option<Vec<Id>>>;

    /// Entries in `user`'s timeline, `None` when not materialized.
    async fn len(&self, user: Id) -> anyhow::Result<Option<usize>>;

    /// Forgets `user`'s timeline (it becomes absent).
    async fn drop_timeline(&self, user: Id) -> anyhow::Result<()>;

    /// The most entries a timeline keeps.
    fn cap(&self) -> usize;

    /// Does the store answer? (for `/ready`)
    async fn ping(&self) -> anyhow::Result<()>;
}

/// The newest `cap` distinct ids of `posts`, ascending: all of a batch that
/// can survive trimming, so adapters never store what they would drop at once.
fn newest(posts: &[Id], cap: usize) -> Vec<Id> {
    let mut posts = posts.to_vec();
    posts.sort_unstable();
    posts.dedup();
    let excess = posts.len().saturating_sub(cap);
    posts.drain(..excess);
    posts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_keeps_the_largest_distinct_ids_ascending() {
        let ids = |v: &[i64]| v.iter().copied().map(Id).collect::<Vec<_>>();
        assert_eq!(newest(&ids(&[5, 1, 9, 5, 7]), 3), ids(&[5, 7, 9]));
        assert_eq!(newest(&ids(&[2, 1]), 10), ids(&[1, 2]));
        assert_eq!(newest(&ids(&[2, 1]), 0), ids(&[]));
    }
}
