//! `[feed]` in `chorus.toml`; `CHORUS_FEED__TIMELINE_CAP` and so on.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct FeedConfig {
    /// Entries a materialized timeline keeps (Twitter kept about 800); older
    /// pages are read from storage.
    pub timeline_cap: usize,
    /// Accounts with more followers than this are not fanned out on write:
    /// their recent posts are merged into their followers' timelines at read.
    pub celebrity_threshold: i64,
    /// How many of an account's recent posts a new follow brings into the
    /// follower's timeline.
    pub backfill: usize,
    /// How long cached posts, authors and graphs live (events invalidate
    /// them sooner; this bounds what a lost event can leave stale).
    pub cache_ttl_secs: u64,
    /// Newest visible posts `?ranking=top` ranks.
    pub top_window: usize,
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self {
            timeline_cap: 800,
            celebrity_threshold: 10_000,
            backfill: 100,
            cache_ttl_secs: 60,
            top_window: 200,
        }
    }
}

impl FeedConfig {
    /// Checks the values, naming the setting that is wrong.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.timeline_cap >= 20,
            "setting feed.timeline_cap must be at least 20"
        );
        anyhow::ensure!(
            self.celebrity_threshold >= 0,
            "setting feed.celebrity_threshold must not be negative"
        );
        anyhow::ensure!(
            self.cache_ttl_secs > 0,
            "setting feed.cache_ttl_secs must be greater than 0"
        );
        anyhow::ensure!(
            (1..=1_000).contains(&self.top_window),
            "setting feed.top_window must be between 1 and 1000"
        );
        Ok(())
    }

    pub fn cache_ttl(&self) -> Duration {
        Duration::from_secs(self.cache_ttl_secs)
    }
}
