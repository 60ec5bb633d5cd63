//! Configuration: defaults, then `chorus.toml` (or the file `--config` names),
//! then `CHORUS_*` environment variables, where `__` separates sections:
//! `CHORUS_LISTEN`, `CHORUS_INFRA__STORE_URL`, `CHORUS_GATEWAY__UPSTREAMS`…
//!
//! A wrong or missing setting stops the start with a message that names it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chorus_auth::AuthConfig;
use chorus_chat::ChatConfig;
use chorus_core::Secret;
use chorus_feed::FeedConfig;
use chorus_gateway::GatewayConfig;
use chorus_media::MediaConfig;
use chorus_ports::InfraConfig;
use chorus_posts::PostsConfig;
use chorus_search::SearchConfig;
use chorus_telemetry::LogFormat;
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where the public listener (the gateway; everything in `chorus up`) listens.
    pub listen: String,
    /// Where embedded adapters keep their files (SQLite databases, secrets).
    pub data_dir: PathBuf,
    /// Tells instances apart in generated ids (0–1023); random when unset.
    pub node_id: Option<u16>,
    /// Seconds in-flight requests get to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    pub log: LogConfig,
    pub security: SecurityConfig,
    pub infra: InfraConfig,
    pub gateway: GatewayConfig,
    pub auth: AuthConfig,
    pub feed: FeedConfig,
    pub posts: PostsConfig,
    pub chat: ChatConfig,
    pub media: MediaConfig,
    pub search: SearchConfig,
    /// Per service: where it listens when it runs without the gateway in its
    /// process, and where other processes reach its instances for internal
    /// calls: `[services.users] listen = "…", urls = ["http://…"]`.
    pub services: BTreeMap<String, ServiceConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    pub format: LogFormat,
    /// `tracing` filter directives, e.g. `info,chorus_gateway=debug`.
    pub filter: String,
    /// Where spans go, over OTLP/HTTP: `http://collector:4318`. Unset, none
    /// are exported (an incoming `traceparent` is still passed on).
    pub otlp_endpoint: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Signs access tokens. `chorus up` generates one under the data folder when unset.
    pub jwt_secret: Secret,
    /// Signs the identity header the gateway passes to services.
    pub internal_key: Secret,
    /// Lifetime of an access token, in seconds.
    pub access_ttl_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceConfig {
    /// Its own listener (public routes, internal gRPC, `/health`…). Required
    /// without a gateway in the process; optional beside one, where it lets
    /// other processes call this instance.
    pub listen: Option<String>,
    /// Its instances' base URLs, for services in other processes that call it.
    pub urls: Vec<String>,
    /// Deadline of one internal call to it, in milliseconds.
    pub call_timeout_ms: u64,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            listen: None,
            urls: Vec::new(),
            call_timeout_ms: 2_000,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./data"),
            node_id: None,
            shutdown_grace_secs: 20,
            log: LogConfig::default(),
            security: SecurityConfig::default(),
            infra: InfraConfig::default(),
            gateway: GatewayConfig::default(),
            auth: AuthConfig::default(),
            feed: FeedConfig::default(),
            posts: PostsConfig::default(),
            chat: ChatConfig::default(),
            media: MediaConfig::default(),
            search: SearchConfig::default(),
            services: BTreeMap::new(),
        }
    }
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            jwt_secret: Secret::default(),
            internal_key: Secret::default(),
            access_ttl_secs: 900,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Text,
            filter: "info".into(),
            otlp_endpoint: None,
        }
    }
}

/// Top-level settings an environment variable may set. Other `CHORUS_*`
/// variables (test switches, say) are not settings and are left alone.
const SECTIONS: &[&str] = &[
    "listen",
    "data_dir",
    "node_id",
    "shutdown_grace_secs",
    "log",
    "security",
    "infra",
    "gateway",
    "auth",
    "feed",
    "posts",
    "chat",
    "media",
    "search",
    "services",
];

impl Config {
    /// Loads defaults, then the file (`chorus.toml` unless told; a missing
    /// default file is fine, a missing named file is not), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        // Defaults come from `#[serde(default)]`, not from serializing
        // `Config::default()`: secrets serialize as "[redacted]", which would
        // then pass for a configured secret.
        let mut figment = Figment::new();
        let file = match file {
            Some(path) => {
                anyhow::ensure!(
                    path.exists(),
                    "config file {} does not exist",
                    path.display()
                );
                Some(path)
            }
            // Only this folder's: figment's `Toml::file` would also search parent folders.
            None => Some(Path::new("chorus.toml")).filter(|default| default.exists()),
        };
        if let Some(path) = file {
            figment = figment.merge(Toml::file_exact(path));
        }
        let env = Env::prefixed("CHORUS_").split("__").filter(|key| {
            let section = key.as_str().split('.').next().unwrap_or("");
            SECTIONS
                .iter()
                .any(|known| section.eq_ignore_ascii_case(known))
        });
        let config: Config = figment
            .merge(env)
            .extract()
            .map_err(|error| anyhow::anyhow!(describe(error)))?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(!self.listen.trim().is_empty(), "setting listen is empty");
        anyhow::ensure!(
            self.listen
                .rsplit_once(':')
                .is_some_and(|(_, port)| port.parse::<u16>().is_ok()),
            "setting listen = {:?} must be host:port, e.g. 127.0.0.1:8080",
            self.listen
        );
        if let Some(node) = self.node_id {
            anyhow::ensure!(node < 1024, "setting node_id = {node} must be 0 to 1023");
        }
        anyhow::ensure!(
            self.security.access_ttl_secs >= 30,
            "setting security.access_ttl_secs = {} is too short (at least 30)",
            self.security.access_ttl_secs
        );
        self.infra.validate()?;
        self.feed.validate()?;
        self.posts.validate()?;
        self.chat.validate()?;
        self.media.validate()?;
        self.search.validate()?;
        Ok(())
    }

    /// Fills missing secrets: `chorus up` keeps generated ones under the data
    /// folder so tokens survive a restart; `chorus serve` refuses to guess,
    /// since every process of a deployment must share them.
    pub fn resolve_secrets(&mut self, generate: bool) -> anyhow::Result<()> {
        let missing = |s: &Secret| s.is_empty();
        if !missing(&self.security.jwt_secret) && !missing(&self.security.internal_key) {
            return Ok(());
        }
        if !generate {
            let name = if missing(&self.security.jwt_secret) {
                "security.jwt_secret (CHORUS_SECURITY__JWT_SECRET)"
            } else {
                "security.internal_key (CHORUS_SECURITY__INTERNAL_KEY)"
            };
            anyhow::bail!("setting {name} is missing: every process of a deployment must share it");
        }
        let stored = crate::secrets::load_or_create(&self.data_dir)?;
        if missing(&self.security.jwt_secret) {
            self.security.jwt_secret = stored.jwt_secret;
        }
        if missing(&self.security.internal_key) {
            self.security.internal_key = stored.internal_key;
        }
        Ok(())
    }

    /// The effective configuration as TOML, secrets and URL passwords masked.
    pub fn to_redacted_toml(&self) -> anyhow::Result<String> {
        let mut value = toml::Value::try_from(self).context("rendering the configuration")?;
        mask_url_passwords(&mut value);
        toml::to_string_pretty(&value).context("rendering the configuration")
    }
}

fn mask_url_passwords(value: &mut toml::Value) {
    match value {
        toml::Value::String(text) => *text = chorus_ports::store::redact(text),
        toml::Value::Table(table) => table.iter_mut().for_each(|(_, v)| mask_url_passwords(v)),
        toml::Value::Array(items) => items.iter_mut().for_each(mask_url_passwords),
        _ => {}
    }
}

/// figment's errors, reworded to lead with the setting's name.
fn describe(error: figment::Error) -> String {
    error
        .into_iter()
        .map(|e| {
            let setting = if e.path.is_empty() {
                "configuration".to_string()
            } else {
                format!("setting {}", e.path.join("."))
            };
            let source = e
                .metadata
                .as_ref()
                .map(|m| format!(" (from {})", m.name))
                .unwrap_or_default();
            format!("{setting}: {}{source}", e.kind)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_can_come_from_the_environment() {
        let defaults = serde_json::to_value(Config::default()).expect("serializes");
        let fields = defaults.as_object().expect("a table");
        for field in fields.keys() {
            assert!(
                SECTIONS.contains(&field.as_str()),
                "setting {field} is missing from SECTIONS: CHORUS_{}__* would be ignored",
                field.to_uppercase()
            );
        }
    }

    #[test]
    fn defaults_leave_the_secrets_empty_so_they_are_generated_or_required() {
        let config = Config::load(None).expect("defaults load");
        assert!(config.security.jwt_secret.is_empty());
        assert!(config.security.internal_key.is_empty());
        assert_eq!(config.security.access_ttl_secs, 900);
        assert_eq!(config.listen, "127.0.0.1:8080");
    }

    #[test]
    fn secrets_and_url_passwords_never_print() {
        let mut config = Config::default();
        config.security.jwt_secret = Secret::new("s3cret-value");
        config.infra.store_url = "postgres://root:hunter2@db/test".into();
        let text = config.to_redacted_toml().expect("renders");
        assert!(!text.contains("s3cret-value"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}
