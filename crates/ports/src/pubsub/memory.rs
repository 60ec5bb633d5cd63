//! In-process pub/sub: a tokio broadcast channel per channel name.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use tokio::sync::broadcast;

use super::PubSub;

/// Messages a slow subscriber may fall behind by before it starts missing some.
const CHANNEL_CAPACITY: usize = 1024;

pub struct MemoryPubSub {
    namespace: String,
    channels: Mutex<HashMap<String, broadcast::Sender<Bytes>>>,
}

impl MemoryPubSub {
    pub fn new(namespace: &str) -> Self {
        Self {
            namespace: namespace.to_string(),
            channels: Mutex::new(HashMap::new()),
        }
    }

    fn sender(&self, channel: &str) -> broadcast::Sender<Bytes> {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        // Forget channels nobody listens to any more, so the map does not grow without bound.
        channels.retain(|_, sender| sender.receiver_count() > 0);
        channels
            .entry(format!("{}:{channel}", self.namespace))
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .clone()
    }
}

#[async_trait]
impl PubSub for MemoryPubSub {
    async fn publish(&self, channel: &str, message: Bytes) -> anyhow::Result<()> {
        let name = format!("{}:{channel}", self.namespace);
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        // No subscriber is not an error: pub/sub keeps nothing. Nor does a
        // publish create a channel nobody listens to.
        if let Some(sender) = channels.get(&name)
            && sender.send(message).is_err()
        {
            channels.remove(&name);
        }
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> anyhow::Result<BoxStream<'static, Bytes>> {
        let receiver = self.sender(channel).subscribe();
        let stream = futures::stream::unfold(receiver, |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(message) => return Some((message, receiver)),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, "pub/sub subscriber fell behind");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Ok(stream.boxed())
    }

    async fn ping(&self) -> anyhow::Result<()> {
        Ok(())
    }
}
