//! In-process timelines: per user a sorted `Vec<Id>` (8 bytes an entry), in
//! shards behind plain mutexes. Every operation is a short, synchronous
//! critical section, so no lock is ever held across an `.await`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;
use chorus_core::Id;

use super::{Timelines, newest};

/// Enough shards that fan-out writers and readers rarely meet on one lock.
const SHARDS: usize = 64;

type Shard = HashMap<Id, Vec<Id>>;

pub struct MemoryTimelines {
    cap: usize,
    /// Each timeline ascending (oldest first), at most `cap` long.
    shards: Vec<Mutex<Shard>>,
}

impl MemoryTimelines {
    pub fn new(cap: usize) -> Self {
        Self {
            cap,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    fn shard(&self, user: Id) -> MutexGuard<'_, Shard> {
        // Snowflake ids share their low bits (sequence 0 for most users), so
        // mix them before picking a shard: the top bits of a Fibonacci hash.
        let hash = (user.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let index = usize::try_from(hash >> 58).unwrap_or(0) % SHARDS;
        self.shards[index].lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Inserts `post` into the ascending `timeline`, keeping the newest `cap`.
fn insert(timeline: &mut Vec<Id>, post: Id, cap: usize) {
    let Err(at) = timeline.binary_search(&post) else {
        return; // already there
    };
    if timeline.len() < cap {
        if timeline.len() == timeline.capacity() {
            // Grow by a quarter, not the default doubling: timelines are many
            // and mostly full, so spare capacity is memory wasted per user.
            let more = (timeline.len() / 4).max(8).min(cap - timeline.len());
            timeline.reserve_exact(more);
        }
        timeline.insert(at, post);
    } else if at > 0 {
        // Full: the oldest entry makes room, in one shift. A post older than
        // every kept one (`at == 0`) would be trimmed at once: it never enters.
        timeline.copy_within(1..at, 0);
        timeline[at - 1] = post;
    }
}

#[async_trait]
impl Timelines for MemoryTimelines {
    async fn replace(&self, user: Id, posts: &[Id]) -> anyhow::Result<()> {
        let mut timeline = newest(posts, self.cap);
        timeline.shrink_to_fit();
        self.shard(user).insert(user, timeline);
        Ok(())
    }

    async fn push(&self, users: &[Id], post: Id) -> anyhow::Result<()> {
        for &user in users {
            if let Some(timeline) = self.shard(user).get_mut(&user) {
                insert(timeline, post, self.cap);
            }
        }
        Ok(())
    }

    async fn add(&self, user: Id, posts: &[Id]) -> anyhow::Result<()> {
        let posts = newest(posts, self.cap);
        if let Some(timeline) = self.shard(user).get_mut(&user) {
            for &post in &posts {
                insert(timeline, post, self.cap);
            }
        }
        Ok(())
    }

    async fn remove(&self, users: &[Id], posts: &[Id]) -> anyhow::Result<()> {
        for &user in users {
            if let Some(timeline) = self.shard(user).get_mut(&user) {
                for post in posts {
                    if let Ok(at) = timeline.binary_search(post) {
                        timeline.remove(at);
                    }
                }
            }
        }
        Ok(())
    }

    async fn range(
        &self,
        user: Id,
        before: Option<Id>,
        limit: usize,
    ) -> anyhow::Result<Option<Vec<Id>>> {
        let shard = self.shard(user);
        let Some(timeline) = shard.get(&user) else {
            return Ok(None);
        };
        let end = match before {
            Some(before) => timeline.partition_point(|&post| post < before),
            None => timeline.len(),
        };
        let start = end.saturating_sub(limit);
        Ok(Some(timeline[start..end].iter().rev().copied().collect()))
    }

    async fn len(&self, user: Id) -> anyhow::Result<Option<usize>> {
        Ok(self.shard(user).get(&user).map(Vec::len))
    }

    async fn drop_timeline(&self, user: Id) -> anyhow::Result<()> {
        self.shard(user).remove(&user);
        Ok(())
    }

    fn cap(&self) -> usize {
        self.cap
    }

    async fn ping(&self) -> anyhow::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[i64]) -> Vec<Id> {
        v.iter().copied().map(Id).collect()
    }

    #[test]
    fn inserting_keeps_order_and_the_newest_cap() {
        let mut timeline = Vec::new();
        for post in [5, 1, 3, 3, 9] {
            insert(&mut timeline, Id(post), 3);
        }
        assert_eq!(timeline, ids(&[3, 5, 9]));
        insert(&mut timeline, Id(2), 3);
        assert_eq!(timeline, ids(&[3, 5, 9]), "older than all kept: dropped");
        insert(&mut timeline, Id(4), 3);
        assert_eq!(timeline, ids(&[4, 5, 9]));
        insert(&mut timeline, Id(10), 3);
        assert_eq!(timeline, ids(&[5, 9, 10]));
    }

    #[test]
    fn a_full_timeline_does_not_grow_its_allocation() {
        let mut timeline = Vec::new();
        for post in 0..1000 {
            insert(&mut timeline, Id(post), 800);
        }
        assert_eq!(timeline.len(), 800);
        assert!(timeline.capacity() <= 800, "{}", timeline.capacity());
        assert_eq!(timeline.first(), Some(&Id(200)));
    }

    #[test]
    fn a_zero_cap_keeps_nothing() {
        let mut timeline = Vec::new();
        insert(&mut timeline, Id(1), 0);
        assert!(timeline.is_empty());
    }
}
