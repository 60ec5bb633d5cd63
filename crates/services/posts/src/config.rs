//! `[posts]` in `chorus.toml`; `CHORUS_POSTS__SSE_HEARTBEAT_SECS` and so on.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct PostsConfig {
    /// Seconds of silence after which a comments stream sends a `: heartbeat`
    /// comment line, so proxies and clients see the connection is alive.
    pub sse_heartbeat_secs: u64,
}

impl Default for PostsConfig {
    fn default() -> Self {
        Self {
            sse_heartbeat_secs: 15,
        }
    }
}

impl PostsConfig {
    /// Checks the values, naming the setting that is wrong.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=3_600).contains(&self.sse_heartbeat_secs),
            "setting posts.sse_heartbeat_secs must be between 1 and 3600"
        );
        Ok(())
    }

    pub fn sse_heartbeat(&self) -> Duration {
        Duration::from_secs(self.sse_heartbeat_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        let config = PostsConfig::default();
        assert!(config.validate().is_ok());
        assert_eq!(config.sse_heartbeat(), Duration::from_secs(15));
    }

    #[test]
    fn a_zero_heartbeat_is_refused() {
        let config = PostsConfig {
            sse_heartbeat_secs: 0,
        };
        assert!(config.validate().is_err());
    }
}
