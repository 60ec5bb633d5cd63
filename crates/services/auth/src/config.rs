//! `[auth]` in `chorus.toml`; `CHORUS_AUTH__REFRESH_TTL_SECS` and so on.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// How long a refresh token stays usable; each refresh issues a fresh one.
    pub refresh_ttl_secs: u64,
    /// Cost of password hashing (argon2id).
    pub argon2: Argon2Config,
    /// Passwords hashed at once at most; 0 means one per CPU core. Further
    /// sign-ups and logins wait their turn instead of starving the process.
    pub hashing_concurrency: usize,
    /// Marks the session cookies `Secure` (set it whenever clients use HTTPS).
    pub cookie_secure: bool,
    /// How long a user stays in the cache behind `GET /auth/me`.
    pub user_cache_ttl_secs: u64,
    /// How often recently revoked sessions are marked again in the cache (so
    /// that a cache emptied by a restart forgets none), and expired refresh
    /// tokens are deleted. 0 turns this off; the marking at start still runs.
    pub maintenance_interval_secs: u64,
}

/// argon2id parameters; the defaults are OWASP's recommendation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Argon2Config {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            refresh_ttl_secs: 30 * 24 * 60 * 60,
            argon2: Argon2Config::default(),
            hashing_concurrency: 0,
            cookie_secure: false,
            user_cache_ttl_secs: 300,
            maintenance_interval_secs: 60,
        }
    }
}

impl Default for Argon2Config {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl AuthConfig {
    /// Checks the values, naming the setting that is wrong.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.refresh_ttl_secs > 0,
            "setting auth.refresh_ttl_secs must be greater than 0"
        );
        anyhow::ensure!(
            self.user_cache_ttl_secs > 0,
            "setting auth.user_cache_ttl_secs must be greater than 0"
        );
        self.argon2.params().map_err(|error| {
            anyhow::anyhow!(
                "settings auth.argon2.{{memory_kib, iterations, parallelism}} = {{{}, {}, {}}} are not valid argon2 parameters: {error}",
                self.argon2.memory_kib,
                self.argon2.iterations,
                self.argon2.parallelism
            )
        })?;
        Ok(())
    }

    pub fn refresh_ttl(&self) -> Duration {
        Duration::from_secs(self.refresh_ttl_secs)
    }

    pub fn user_cache_ttl(&self) -> Duration {
        Duration::from_secs(self.user_cache_ttl_secs)
    }

    /// The number of hashes that may run at once.
    pub fn hashing_permits(&self) -> usize {
        match self.hashing_concurrency {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

impl AuthConfig {
    /// The configured argon2id parameters (what the service hashes with).
    pub fn argon2_params(&self) -> anyhow::Result<argon2::Params> {
        self.argon2
            .params()
            .map_err(|error| anyhow::anyhow!("invalid auth.argon2 settings: {error}"))
    }
}

impl Argon2Config {
    pub fn params(&self) -> Result<argon2::Params, argon2::Error> {
        argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_follow_owasp() {
        let config = AuthConfig::default();
        config.validate().expect("valid");
        assert_eq!(config.argon2.memory_kib, 19_456);
        assert_eq!(config.argon2.iterations, 2);
        assert_eq!(config.argon2.parallelism, 1);
        assert_eq!(config.refresh_ttl(), Duration::from_secs(2_592_000));
        assert!(config.hashing_permits() >= 1);
    }

    #[test]
    fn impossible_argon2_parameters_are_refused_naming_the_setting() {
        let config = AuthConfig {
            argon2: Argon2Config {
                memory_kib: 1,
                ..Argon2Config::default()
            },
            ..AuthConfig::default()
        };
        let error = config.validate().expect_err("refused").to_string();
        assert!(error.contains("auth.argon2"), "{error}");
    }

    #[test]
    fn unknown_settings_are_refused() {
        let parsed = serde_json::from_str::<AuthConfig>(r#"{"refresh_ttl": 5}"#);
        assert!(parsed.is_err());
    }

    #[test]
    fn missing_settings_take_their_defaults() {
        let parsed: AuthConfig =
            serde_json::from_str(r#"{"argon2": {"memory_kib": 4096}}"#).expect("parses");
        assert_eq!(parsed.argon2.memory_kib, 4096);
        assert_eq!(parsed.argon2.iterations, 2);
        assert_eq!(
            parsed.refresh_ttl_secs,
            AuthConfig::default().refresh_ttl_secs
        );
    }
}
