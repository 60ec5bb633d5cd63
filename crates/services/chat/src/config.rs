//! `[chat]` in `chorus.toml`; `CHORUS_CHAT__MAX_MESSAGE_CHARS` and so on.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ChatConfig {
    /// The longest message, in characters.
    pub max_message_chars: usize,
    /// The most members a group conversation may have, its creator included.
    pub max_group_members: usize,
    /// The longest group title, in characters.
    pub max_title_chars: usize,
    /// Messages one Socket.IO connection may send per second, sustained.
    pub rate_limit_per_sec: u32,
    /// Messages one connection may send in a burst above that rate.
    pub rate_limit_burst: u32,
    /// Events of any kind one connection may send per second, sustained (a
    /// looser guard than the message limit, against floods of joins,
    /// typing or signaling).
    pub event_rate_limit_per_sec: u32,
    /// Events of any kind one connection may send in a burst.
    pub event_rate_limit_burst: u32,
    /// How many messages `join_room` answers with (`message_history`).
    pub history_size: u32,
    /// How long a presence entry lives in the cache without being refreshed:
    /// the users of a crashed instance look offline after at most this long.
    pub presence_ttl_secs: u64,
    /// How many chat instances presence can tell apart: each running
    /// instance holds one of these slots.
    pub presence_slots: u32,
    /// Engine.IO heartbeat: kept below the gateway's upstream timeout, since
    /// a long-polling request is held open for up to this long.
    pub ping_interval_secs: u64,
    /// How long a client may take to answer a heartbeat before it is dropped.
    pub ping_timeout_secs: u64,
    /// How long a call may ring unanswered before it counts as missed.
    pub call_ring_timeout_secs: u64,
    /// The STUN/TURN servers handed to clients by `GET /api/v1/calls/ice-servers`.
    pub ice_servers: Vec<IceServer>,
}

/// One entry of WebRTC's `iceServers`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

impl Default for ChatConfig {
    fn default() -> Self {
        Self {
            max_message_chars: 4_000,
            max_group_members: 1_000,
            max_title_chars: 100,
            rate_limit_per_sec: 10,
            rate_limit_burst: 20,
            event_rate_limit_per_sec: 50,
            event_rate_limit_burst: 200,
            history_size: 50,
            presence_ttl_secs: 30,
            presence_slots: 16,
            ping_interval_secs: 8,
            ping_timeout_secs: 20,
            call_ring_timeout_secs: 45,
            ice_servers: vec![IceServer {
                urls: vec!["stun:stun.l.google.com:19302".into()],
                username: None,
                credential: None,
            }],
        }
    }
}

impl ChatConfig {
    /// Checks the values, naming the setting that is wrong.
    pub fn validate(&self) -> anyhow::Result<()> {
        let at_least_one = [
            ("max_message_chars", self.max_message_chars as u64),
            ("max_title_chars", self.max_title_chars as u64),
            ("rate_limit_per_sec", u64::from(self.rate_limit_per_sec)),
            ("rate_limit_burst", u64::from(self.rate_limit_burst)),
            (
                "event_rate_limit_per_sec",
                u64::from(self.event_rate_limit_per_sec),
            ),
            (
                "event_rate_limit_burst",
                u64::from(self.event_rate_limit_burst),
            ),
            ("history_size", u64::from(self.history_size)),
            ("presence_slots", u64::from(self.presence_slots)),
            ("ping_interval_secs", self.ping_interval_secs),
            ("ping_timeout_secs", self.ping_timeout_secs),
            ("call_ring_timeout_secs", self.call_ring_timeout_secs),
        ];
        for (name, value) in at_least_one {
            anyhow::ensure!(value >= 1, "setting chat.{name} must be at least 1");
        }
        anyhow::ensure!(
            self.max_group_members >= 2,
            "setting chat.max_group_members must be at least 2"
        );
        anyhow::ensure!(
            self.history_size <= chorus_core::page::MAX_LIMIT,
            "setting chat.history_size must be at most {}",
            chorus_core::page::MAX_LIMIT
        );
        anyhow::ensure!(
            self.presence_ttl_secs >= 3,
            "setting chat.presence_ttl_secs must be at least 3 (it is refreshed every third of it)"
        );
        anyhow::ensure!(
            self.presence_slots <= 1_024,
            "setting chat.presence_slots must be at most 1024"
        );
        for (index, server) in self.ice_servers.iter().enumerate() {
            anyhow::ensure!(
                !server.urls.is_empty() && server.urls.iter().all(|url| !url.trim().is_empty()),
                "setting chat.ice_servers[{index}].urls must list at least one URL"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        ChatConfig::default().validate().expect("valid");
    }

    #[test]
    fn a_bad_value_is_refused_naming_the_setting() {
        let config = ChatConfig {
            rate_limit_burst: 0,
            ..ChatConfig::default()
        };
        let error = config.validate().expect_err("refused").to_string();
        assert!(error.contains("chat.rate_limit_burst"), "{error}");

        let config = ChatConfig {
            ice_servers: vec![IceServer {
                urls: vec![],
                username: None,
                credential: None,
            }],
            ..ChatConfig::default()
        };
        let error = config.validate().expect_err("refused").to_string();
        assert!(error.contains("chat.ice_servers[0]"), "{error}");
    }
}
