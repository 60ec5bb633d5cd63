//! The pub/sub port: fire-and-forget fan-out to every subscriber of a channel,
//! in every instance (realtime pushes, SSE, cache invalidation). Unlike the
//! event bus it keeps nothing: a subscriber that is not listening misses it.
//!
//! Adapters: [`memory::MemoryPubSub`] (in process) and [`redis::RedisPubSub`]
//! (Redis PUBLISH/SUBSCRIBE, resubscribing after a reconnect). Channel names
//! are namespaced like cache keys. Both hand messages to their local
//! subscribers through one bounded queue per subscriber, so a subscriber that
//! falls more than [`SUBSCRIBER_BACKLOG`] messages behind misses some, and
//! only that one.

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

mod fanout;
pub mod memory;
pub mod redis;

pub use memory::MemoryPubSub;
pub use redis::RedisPubSub;

/// Messages one local subscriber may fall behind by before it starts missing
/// some. Large enough for a whole burst (a committed batch of pushes is
/// published at once) to wait for a subscriber that is busy elsewhere, and
/// cheap while unused: tokio's mpsc allocates its buffer in small blocks as
/// messages arrive and frees them as they are read, unlike a broadcast
/// channel, which preallocates every slot (and there is a queue per SSE
/// viewer of each post). A queue that fills up holds at most this many
/// `Bytes` handles plus their payloads.
pub const SUBSCRIBER_BACKLOG: usize = 65_536;

#[async_trait]
pub trait PubSub: Send + Sync + 'static {
    /// Sends `message` to every current subscriber of `channel`.
    async fn publish(&self, channel: &str, message: Bytes) -> anyhow::Result<()>;

    /// Sends `messages` on `channel`, in order, in as few round trips as the
    /// adapter can (a batch of pushes). Stops at the first failure.
    async fn publish_all(&self, channel: &str, messages: Vec<Bytes>) -> anyhow::Result<()> {
        for message in messages {
            self.publish(channel, message).await?;
        }
        Ok(())
    }

    /// Messages published on `channel` from now on, until the stream is dropped.
    async fn subscribe(&self, channel: &str) -> anyhow::Result<BoxStream<'static, Bytes>>;

    async fn ping(&self) -> anyhow::Result<()>;
}
