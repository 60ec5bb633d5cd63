//! In-process cache on moka, with a time to live per entry.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use moka::Expiry;
use moka::future::Cache as Moka;

use super::Cache;

#[derive(Clone)]
struct Entry {
    value: Bytes,
    /// Absolute, so that an `increment` keeps the key's original expiry.
    expires_at: Instant,
}

struct PerEntryTtl;

impl Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(&self, _key: &String, entry: &Entry, now: Instant) -> Option<Duration> {
        Some(entry.expires_at.saturating_duration_since(now))
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Entry,
        now: Instant,
        _current: Option<Duration>,
    ) -> Option<Duration> {
        Some(entry.expires_at.saturating_duration_since(now))
    }
}

/// When an entry written now with `ttl` expires; a TTL too long to add to
/// `Instant` (such as `Duration::MAX`) means about a century.
fn expiry(ttl: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(ttl)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

pub struct MemoryCache {
    namespace: String,
    entries: Moka<String, Entry>,
    /// Serializes `increment` so concurrent adds are never lost.
    counters: tokio::sync::Mutex<()>,
}

impl MemoryCache {
    /// A cache bounded to about 256 MiB of values.
    pub fn new(namespace: &str) -> Self {
        Self {
            namespace: namespace.to_string(),
            entries: Moka::builder()
                .weigher(|key: &String, entry: &Entry| {
                    (key.len() + entry.value.len())
                        .try_into()
                        .unwrap_or(u32::MAX)
                })
                .max_capacity(256 * 1024 * 1024)
                .expire_after(PerEntryTtl)
                .build(),
            counters: tokio::sync::Mutex::new(()),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{key}", self.namespace)
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> anyhow::Result<Option<Bytes>> {
        Ok(self.entries.get(&self.key(key)).await.map(|e| e.value))
    }

    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> anyhow::Result<()> {
        let expires_at = expiry(ttl);
        self.entries
            .insert(self.key(key), Entry { value, expires_at })
            .await;
        Ok(())
    }

    async fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.entries.invalidate(&self.key(key)).await;
        Ok(())
    }

    async fn increment(&self, key: &str, by: i64, ttl: Duration) -> anyhow::Result<i64> {
        let _guard = self.counters.lock().await;
        let key = self.key(key);
        let (current, expires_at) = match self.entries.get(&key).await {
            Some(entry) => (
                std::str::from_utf8(&entry.value)?.parse::<i64>()?,
                entry.expires_at,
            ),
            None => (0, expiry(ttl)),
        };
        // Like Redis: an overflow is an error, not a wrap-around (or a panic).
        let next = current
            .checked_add(by)
            .ok_or_else(|| anyhow::anyhow!("incrementing {key} by {by} would overflow"))?;
        let value = Bytes::from(next.to_string());
        self.entries.insert(key, Entry { value, expires_at }).await;
        Ok(next)
    }

    async fn ping(&self) -> anyhow::Result<()> {
        Ok(())
    }
}
