//! In-process pub/sub: a bounded queue per subscriber, filled by publishers.

use std::sync::{Arc, Weak};

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;

use super::PubSub;
use super::fanout::{Fanout, Subscription};

pub struct MemoryPubSub {
    namespace: String,
    /// Streams hold it weakly: dropping the adapter ends them.
    fanout: Arc<Fanout>,
}

impl MemoryPubSub {
    pub fn new(namespace: &str) -> Self {
        Self {
            namespace: namespace.to_string(),
            fanout: Arc::new(Fanout::default()),
        }
    }

    fn channel(&self, channel: &str) -> String {
        format!("{}:{channel}", self.namespace)
    }
}

/// Takes a stream out of the fan-out when it is dropped, so that channels
/// nobody listens to any more are forgotten even if nothing is published on
/// them again.
struct Leave {
    fanout: Weak<Fanout>,
    channel: String,
    id: u64,
}

impl Drop for Leave {
    fn drop(&mut self) {
        if let Some(fanout) = self.fanout.upgrade() {
            fanout.leave(&self.channel, self.id);
        }
    }
}

#[async_trait]
impl PubSub for MemoryPubSub {
    async fn publish(&self, channel: &str, message: Bytes) -> anyhow::Result<()> {
        // No subscriber is not an error: pub/sub keeps nothing. Nor does a
        // publish create a channel nobody listens to.
        self.fanout.send(&self.channel(channel), [message]);
        Ok(())
    }

    async fn publish_all(&self, channel: &str, messages: Vec<Bytes>) -> anyhow::Result<()> {
        self.fanout.send(&self.channel(channel), messages);
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> anyhow::Result<BoxStream<'static, Bytes>> {
        let channel = self.channel(channel);
        let (id, queue) = self.fanout.join(&channel);
        let leave = Leave {
            fanout: Arc::downgrade(&self.fanout),
            channel,
            id,
        };
        Ok(Subscription::new(queue, leave).boxed())
    }

    async fn ping(&self) -> anyhow::Result<()> {
        Ok(())
    }
}
