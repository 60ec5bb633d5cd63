//! The cache port: bytes under string keys, each with a time to live.
//!
//! Adapters: [`memory::MemoryCache`] (moka, in process) and
//! [`redis::RedisCache`]. Both prefix every key with a namespace so that
//! tests, and several deployments on one Redis, never see each other's keys.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

pub mod memory;
pub mod read_through;
pub mod redis;

pub use memory::MemoryCache;
pub use read_through::ReadThrough;
pub use redis::RedisCache;

#[async_trait]
pub trait Cache: Send + Sync + 'static {
    async fn get(&self, key: &str) -> anyhow::Result<Option<Bytes>>;

    /// The values under `keys`, in their order (`None` where missing). This
    /// default asks for one key after the other; adapters with a round trip
    /// per call answer in one.
    async fn get_many(&self, keys: &[String]) -> anyhow::Result<Vec<Option<Bytes>>> {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.get(key).await?);
        }
        Ok(values)
    }

    /// Stores `value` under `key` for `ttl`, replacing any earlier value.
    async fn set(&self, key: &str, value: Bytes, ttl: Duration) -> anyhow::Result<()>;

    async fn delete(&self, key: &str) -> anyhow::Result<()>;

    /// Atomically adds `by` to the integer at `key` and returns the new value.
    /// A missing key starts at 0 and gets `ttl`; an existing key keeps its expiry.
    async fn increment(&self, key: &str, by: i64, ttl: Duration) -> anyhow::Result<i64>;

    /// Does the cache answer? (for `/ready`)
    async fn ping(&self) -> anyhow::Result<()>;
}
