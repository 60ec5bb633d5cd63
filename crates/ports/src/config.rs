//! Which adapter each port uses, picked once at start from config.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::blobs::{BlobStore, LocalBlobs, S3Blobs, S3Url};
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
    /// Where blobs (media files) go: `local` (the `media` folder under the
    /// data folder), a `file:///absolute/folder` URL, or an S3-compatible
    /// bucket: `s3://bucket[/prefix][?endpoint=http://host:port&region=…]`,
    /// credentials from `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`
    /// (see [`S3Url`]).
    pub blobs_url: String,
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
            blobs_url: "local".into(),
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
        self.blobs_target(Path::new("."))?;
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
            && self.blobs_url == "local"
    }

    /// Where blobs go, `data_dir` being the data folder.
    pub fn blobs_target(&self, data_dir: &Path) -> anyhow::Result<BlobsTarget> {
        let url = self.blobs_url.as_str();
        if url == "local" {
            return Ok(BlobsTarget::Folder(data_dir.join("media")));
        }
        if let Some(path) = url.strip_prefix("file://") {
            anyhow::ensure!(
                path.starts_with('/'),
                "setting infra.blobs_url = {url:?} must name an absolute folder: file:///srv/chorus/media"
            );
            return Ok(BlobsTarget::Folder(PathBuf::from(path)));
        }
        if url.starts_with("s3://") {
            return Ok(BlobsTarget::S3(S3Url::parse(url)?));
        }
        if url.starts_with("http://") || url.starts_with("https://") {
            anyhow::bail!(
                "setting infra.blobs_url: an S3-compatible server is named by its bucket, with the server as an option: s3://bucket?endpoint=http://host:port"
            );
        }
        // Not quoted: an unknown URL may hold a secret.
        anyhow::bail!("setting infra.blobs_url must be \"local\", a file:/// URL or an s3:// URL")
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

/// Where `infra.blobs_url` sends blobs.
#[derive(Debug, Clone)]
pub enum BlobsTarget {
    Folder(PathBuf),
    S3(S3Url),
}

/// The shared ports of one process, built once from config.
#[derive(Clone)]
pub struct Infra {
    pub cache: Arc<dyn Cache>,
    pub pubsub: Arc<dyn PubSub>,
    pub bus: Arc<dyn EventBus>,
    pub blobs: Arc<dyn BlobStore>,
}

impl Infra {
    /// The adapters `config` names; embedded ones keep their files under `data_dir`.
    pub async fn connect(config: &InfraConfig, data_dir: &Path) -> anyhow::Result<Self> {
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
        let blobs: Arc<dyn BlobStore> = match config.blobs_target(data_dir)? {
            BlobsTarget::Folder(folder) => Arc::new(LocalBlobs::new(&folder)),
            BlobsTarget::S3(url) => Arc::new(S3Blobs::new(&url)?),
        };
        Ok(Self {
            cache,
            pubsub,
            bus,
            blobs,
        })
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
    fn blobs_go_to_the_data_folder_a_named_one_or_a_bucket() {
        let data = Path::new("/srv/data");
        let target = |url: &str| {
            InfraConfig {
                blobs_url: url.into(),
                ..Default::default()
            }
            .blobs_target(data)
            .expect(url)
        };
        assert!(matches!(target("local"), BlobsTarget::Folder(f) if f == data.join("media")));
        assert!(
            matches!(target("file:///mnt/media"), BlobsTarget::Folder(f) if f == Path::new("/mnt/media"))
        );
        let BlobsTarget::S3(bucket) = target("s3://media/prod?endpoint=http://127.0.0.1:8333")
        else {
            panic!("an s3:// URL names a bucket");
        };
        assert_eq!(bucket.to_string(), "s3://media/prod");
        for (url, says) in [
            ("s3://", "bucket is missing"),
            ("s3://bucket/media?nonsense=1", "nonsense"),
            ("http://127.0.0.1:8333/bucket", "endpoint="),
            ("file://relative/media", "absolute"),
            ("ftp://x", "s3:// URL"),
        ] {
            let config = InfraConfig {
                blobs_url: url.into(),
                ..Default::default()
            };
            let error = config.validate().expect_err(url).to_string();
            assert!(error.contains(says), "{url}: {error}");
            assert!(error.contains("infra.blobs_url"), "{url}: {error}");
        }
    }

    #[test]
    fn defaults_are_embedded() {
        assert!(InfraConfig::default().is_embedded());
        InfraConfig::default().validate().expect("valid");
    }
}
