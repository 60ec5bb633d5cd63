//! `[search]` in `chorus.toml`; `CHORUS_SEARCH__CACHE_TTL_SECS` and so on.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct SearchConfig {
    /// How long cached results live at most; a post created or deleted
    /// that matches a cached query retires its entry sooner.
    pub cache_ttl_secs: u64,
    /// The window trends are measured over.
    pub trend_window_secs: u64,
    /// Windows before the current one that make a hashtag's usual rate.
    pub trend_history_windows: u32,
    /// Fewer public posts than this in the window is never a trend.
    pub trend_min_posts: u64,
}

impl Default for SearchConfig {
    fn default() -> Self {
        Self {
            cache_ttl_secs: 60,
            trend_window_secs: 3_600,
            trend_history_windows: 6,
            trend_min_posts: 1,
        }
    }
}

impl SearchConfig {
    /// Checks the values, naming the setting that is wrong.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.cache_ttl_secs > 0,
            "setting search.cache_ttl_secs must be greater than 0"
        );
        anyhow::ensure!(
            self.trend_window_secs >= 60,
            "setting search.trend_window_secs must be at least 60"
        );
        anyhow::ensure!(
            (1..=168).contains(&self.trend_history_windows),
            "setting search.trend_history_windows must be between 1 and 168"
        );
        anyhow::ensure!(
            self.trend_min_posts >= 1,
            "setting search.trend_min_posts must be at least 1"
        );
        Ok(())
    }

    pub fn cache_ttl(&self) -> Duration {
        Duration::from_secs(self.cache_ttl_secs)
    }
}
