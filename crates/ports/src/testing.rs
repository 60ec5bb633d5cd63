//! For services' tests (feature `testing`): a [`ServiceContext`] on the
//! in-process adapters, its database a SQLite file under the data folder or
//! a schema of a PostgreSQL, so that each service's suite runs on both.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chorus_core::token::TokenKeys;
use chorus_core::{IdGenerator, IdentityKey, Secret};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::blobs::LocalBlobs;
use crate::bus::MemoryBus;
use crate::cache::MemoryCache;
use crate::pubsub::MemoryPubSub;
use crate::{Infra, InfraConfig, ServiceContext};

/// A context whose databases are SQLite files under `data_dir`, or, given
/// `postgres_url`, schemas prefixed `namespace` in that database; cache,
/// pub/sub and bus in process, blobs under `data_dir/media`; fixed test keys.
pub fn service_context(
    postgres_url: Option<&str>,
    namespace: &str,
    data_dir: PathBuf,
) -> ServiceContext {
    let mut infra_config = InfraConfig {
        namespace: namespace.to_string(),
        ..InfraConfig::default()
    };
    if let Some(url) = postgres_url {
        infra_config.store_url = url.to_string();
    }
    ServiceContext {
        infra: Infra {
            cache: Arc::new(MemoryCache::new(namespace)),
            pubsub: Arc::new(MemoryPubSub::new(namespace)),
            bus: Arc::new(MemoryBus::new()),
            blobs: Arc::new(LocalBlobs::new(&data_dir.join("media"))),
        },
        infra_config,
        data_dir,
        ids: Arc::new(IdGenerator::with_random_node()),
        identity_key: IdentityKey::new(&Secret::new("internal identity key for tests")),
        token_keys: TokenKeys::new(&Secret::new("access token secret for tests")),
        access_ttl: Duration::from_secs(900),
        draining: CancellationToken::new(),
        shutdown: CancellationToken::new(),
        tasks: TaskTracker::new(),
    }
}
