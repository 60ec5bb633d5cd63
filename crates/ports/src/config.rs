//! Which adapter each port uses, picked once at start from config.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::bus::{EventBus, MemoryBus, RabbitBus};
use crate::cache::{Cache, MemoryCache, RedisCache};
use crate::pubsub::{MemoryPubSub, PubSub, RedisPubSub};
use crate::store::DbTarget;

/// `[infra]` in `chorus.toml`; `CHORUS_INFRA__STORE_URL` and so on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InfraConfig {
    /// `sqlite` (a file per service under the data folder) or a `postgres://` URL.
    pub store_url: String,
    /// `memory` or a `redis://` URL.
    pub cache_url: String,
    /// `memory` or a `redis://` URL.
    pub pubsub_url: String,
    /// `memory` or an `amqp://` URL.
    pub bus_url: String,
    /// Prefix of every key, channel, exchange, queue and PostgreSQL schema,
    /// so that several deployments (or test runs) share servers safely.
    pub namespace: String,
}

impl Default for InfraConfig {
    fn default() -> Self {
        Self {
            store_url: "sqlite".into(),
            cache_url: "memory".into(),
            pubsub_url: "memory".into(),
            bus_url: "memory".into(),
            namespace: "chorus".into(),
        }
    }
}

impl InfraConfig {
    /// Checks every URL names an adapter we have, naming the setting that does not.
    pub fn validate(&self) -> anyhow::Result<()> {
        let check = |setting: &str, value: &str, embedded: &str, schemes: &[&str]| {
            anyhow::ensure!(
                value == embedded || schemes.iter().any(|s| value.starts_with(s)),
                "setting infra.{setting} = {value:?} must be {embedded:?} or a URL starting with {}",
                schemes.join(" or ")
            );
            Ok(())
        };
        check(
            "store_url",
            &self.store_url,
            "sqlite",
            &["postgres://", "postgresql://"],
        )?;
        check("cache_url", &self.cache_url, "memory", &["redis://"])?;
        check("pubsub_url", &self.pubsub_url, "memory", &["redis://"])?;
        check("bus_url", &self.bus_url, "memory", &["amqp://"])?;
        anyhow::ensure!(
            !self.namespace.is_empty()
                && self
                    .namespace
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "setting infra.namespace = {:?} must be lowercase letters, digits and underscores",
            self.namespace
        );
        Ok(())
    }

    pub fn is_embedded(&self) -> bool {
        self.store_url == "sqlite"
            && self.cache_url == "memory"
            && self.pubsub_url == "memory"
            && self.uses_in_process_bus()
    }

    /// Is the event bus the in-process one (reaching only this process's consumers)?
    pub fn uses_in_process_bus(&self) -> bool {
        self.bus_url == "memory"
    }

    /// Where `service` keeps its tables: its own SQLite file, or its own
    /// PostgreSQL schema (`<namespace>_<service>`).
    pub fn db_target(&self, service: &str, data_dir: &Path) -> DbTarget {
        if self.store_url == "sqlite" {
            DbTarget::SqliteFile(data_dir.join(format!("{service}.db")))
        } else {
            DbTarget::Postgres {
                url: self.store_url.clone(),
                schema: format!("{}_{service}", self.namespace),
            }
        }
    }
}

/// The shared ports of one process, built once from config.
#[derive(Clone)]
pub struct Infra {
    pub cache: Arc<dyn Cache>,
    pub pubsub: Arc<dyn PubSub>,
    pub bus: Arc<dyn EventBus>,
}

impl Infra {
    pub async fn connect(config: &InfraConfig) -> anyhow::Result<Self> {
        config.validate()?;
        let ns = &config.namespace;
        let cache: Arc<dyn Cache> = if config.cache_url == "memory" {
            Arc::new(MemoryCache::new(ns))
        } else {
            Arc::new(
                RedisCache::connect(&config.cache_url, ns)
                    .await
                    .context("setting infra.cache_url: cannot reach Redis")?,
            )
        };
        let pubsub: Arc<dyn PubSub> = if config.pubsub_url == "memory" {
            Arc::new(MemoryPubSub::new(ns))
        } else {
            Arc::new(
                RedisPubSub::connect(&config.pubsub_url, ns)
                    .await
                    .context("setting infra.pubsub_url: cannot reach Redis")?,
            )
        };
        let bus: Arc<dyn EventBus> = if config.uses_in_process_bus() {
            Arc::new(MemoryBus::new())
        } else {
            Arc::new(
                RabbitBus::connect(&config.bus_url, ns)
                    .await
                    .context("setting infra.bus_url: cannot reach RabbitMQ")?,
            )
        };
        Ok(Self { cache, pubsub, bus })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_url_is_refused_naming_the_setting() {
        let config = InfraConfig {
            bus_url: "kafka://x".into(),
            ..Default::default()
        };
        let error = config.validate().expect_err("refused").to_string();
        assert!(error.contains("infra.bus_url"), "{error}");
    }

    #[test]
    fn defaults_are_embedded() {
        assert!(InfraConfig::default().is_embedded());
        InfraConfig::default().validate().expect("valid");
    }
}
