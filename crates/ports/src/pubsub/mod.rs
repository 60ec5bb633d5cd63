//! The pub/sub port: fire-and-forget fan-out to every subscriber of a channel,
//! in every instance (realtime pushes, SSE, cache invalidation). Unlike the
//! event bus it keeps nothing: a subscriber that is not listening misses it.
//!
//! Adapters: [`memory::MemoryPubSub`] (tokio broadcast) and
//! [`redis::RedisPubSub`] (Redis PUBLISH/SUBSCRIBE, resubscribing after a
//! reconnect). Channel names are namespaced like cache keys.

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

pub mod memory;
pub mod redis;

pub use memory::MemoryPubSub;
pub use redis::RedisPubSub;

#[async_trait]
pub trait PubSub: Send + Sync + 'static {
    /// Sends `message` to every current subscriber of `channel`.
    async fn publish(&self, channel: &str, message: Bytes) -> anyhow::Result<()>;

    /// Messages published on `channel` from now on, until the stream is dropped.
    async fn subscribe(&self, channel: &str) -> anyhow::Result<BoxStream<'static, Bytes>>;

    async fn ping(&self) -> anyhow::Result<()>;
}
