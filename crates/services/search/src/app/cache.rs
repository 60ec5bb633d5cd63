//! Cached results for popular queries, retired when a matching post comes
//! or goes.
//!
//! Every term has a version in the cache (`search:v:<term>`), bumped when a
//! post holding the term is created, edited or deleted. A cached result
//! remembers the versions of its query's terms; read back, it counts only
//! if they are unchanged. Both are read in one round trip, and a post
//! retires exactly the queries it could change, not every cached query.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chorus_ports::Cache;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Versions outlive any cached result by far.
const VERSION_TTL: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone)]
pub struct ResultCache {
    cache: Arc<dyn Cache>,
    ttl: Duration,
}

/// What a lookup found: the value if still valid, and the versions to
/// store a fresh one with.
pub struct Lookup<T> {
    pub value: Option<T>,
    pub versions: Vec<i64>,
}

#[derive(Serialize, Deserialize)]
struct Entry<T> {
    versions: Vec<i64>,
    /// Unix milliseconds when it was stored.
    stored_ms: i64,
    value: T,
}

impl ResultCache {
    pub fn new(cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        Self { cache, ttl }
    }

    /// The value under `key`, if the versions of `terms` are those it was
    /// stored with. A cache that fails is a miss, never an error.
    pub async fn get<T: DeserializeOwned>(&self, key: &str, terms: &[String]) -> Lookup<T> {
        self.get_recent(key, terms, Duration::ZERO).await
    }

    /// Like [`get`](Self::get), but a value stored less than `fresh_for`
    /// ago counts even if a term changed since: at most one recomputation
    /// per `fresh_for` however fast posts come.
    pub async fn get_recent<T: DeserializeOwned>(
        &self,
        key: &str,
        terms: &[String],
        fresh_for: Duration,
    ) -> Lookup<T> {
        let mut keys: Vec<String> = terms.iter().map(|t| version_key(t)).collect();
        keys.push(key.to_string());
        let Ok(mut values) = self.cache.get_many(&keys).await else {
            return Lookup {
                value: None,
                versions: vec![0; terms.len()],
            };
        };
        let entry = values.pop().flatten();
        let versions: Vec<i64> = values
            .iter()
            .map(|value| {
                value
                    .as_ref()
                    .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
                    .unwrap_or(0)
            })
            .collect();
        let value = entry
            .and_then(|bytes| serde_json::from_slice::<Entry<T>>(&bytes).ok())
            .filter(|entry| {
                entry.versions == versions
                    || now_ms() - entry.stored_ms < fresh_for.as_millis() as i64
            })
            .map(|entry| entry.value);
        Lookup { value, versions }
    }

    /// Stores `value` under `key` with the versions its lookup read.
    pub async fn put<T: Serialize>(&self, key: &str, versions: Vec<i64>, value: &T) {
        let entry = Entry {
            versions,
            stored_ms: now_ms(),
            value,
        };
        let Ok(bytes) = serde_json::to_vec(&entry) else {
            return;
        };
        if let Err(error) = self.cache.set(key, Bytes::from(bytes), self.ttl).await {
            tracing::debug!(%error, "could not cache search results");
        }
    }

    /// Retires every cached result whose query holds one of `terms`.
    pub async fn bump(&self, terms: &[String]) -> anyhow::Result<()> {
        let bumps = terms.iter().map(|term| {
            let key = version_key(term);
            async move { self.cache.increment(&key, 1, VERSION_TTL).await }
        });
        futures::future::try_join_all(bumps).await?;
        Ok(())
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn version_key(term: &str) -> String {
    format!("search:v:{term}")
}
