//! Comment changes on pub/sub, so that every instance's comments streams
//! hear of writes made on any instance.
//!
//! One channel per post (`comments.{post_id}`): Redis then delivers a
//! post's changes only to the instances streaming that post, instead of
//! every change in the network to every instance to filter; the adapter
//! subscribes a channel once per instance however many streams follow it.

use std::sync::Arc;

use bytes::Bytes;
use chorus_core::Id;
use chorus_ports::PubSub;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::views::CommentView;

/// What a comments stream is told, as it travels on pub/sub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveComment {
    /// `comment` is the comment as the comments list shows it.
    Added {
        id: Id,
        author_id: Id,
        comment: serde_json::Value,
    },
    /// `event_id` is the stream event's id, as the deletions log has it.
    Deleted { event_id: Id, id: Id, post_id: Id },
}

impl LiveComment {
    pub fn added(comment: &CommentView) -> serde_json::Result<Self> {
        Ok(Self::Added {
            id: comment.id,
            author_id: comment.author.id,
            comment: serde_json::to_value(comment)?,
        })
    }

    /// The stream event id: the comment's for an addition, the log's for a deletion.
    pub fn event_id(&self) -> Id {
        match self {
            Self::Added { id, .. } => *id,
            Self::Deleted { event_id, .. } => *event_id,
        }
    }
}

/// Publishes and follows a post's comment changes. Cheap to clone.
#[derive(Clone)]
pub struct LiveComments {
    pubsub: Arc<dyn PubSub>,
}

impl LiveComments {
    pub fn new(pubsub: Arc<dyn PubSub>) -> Self {
        Self { pubsub }
    }

    fn channel(post: Id) -> String {
        format!("comments.{post}")
    }

    /// Best effort, after the write committed: a failure costs live
    /// listeners this change (a resume replays it from storage), never the write.
    pub async fn publish(&self, post: Id, change: &LiveComment) {
        let message = match serde_json::to_vec(change) {
            Ok(message) => Bytes::from(message),
            Err(error) => {
                tracing::warn!(%error, "could not encode a comment change");
                return;
            }
        };
        if let Err(error) = self.pubsub.publish(&Self::channel(post), message).await {
            tracing::warn!(error = %format!("{error:#}"), %post, "could not publish a comment change");
        }
    }

    /// `post`'s changes from the moment this returns.
    pub async fn subscribe(&self, post: Id) -> anyhow::Result<BoxStream<'static, LiveComment>> {
        let messages = self.pubsub.subscribe(&Self::channel(post)).await?;
        Ok(messages
            .filter_map(|message| async move {
                serde_json::from_slice(&message)
                    .inspect_err(|error| tracing::warn!(%error, "unreadable comment change"))
                    .ok()
            })
            .boxed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deletion_reads_back_as_written() {
        let change = LiveComment::Deleted {
            event_id: Id(3),
            id: Id(2),
            post_id: Id(1),
        };
        let text = serde_json::to_string(&change).expect("encodes");
        assert_eq!(
            text,
            r#"{"kind":"deleted","event_id":"3","id":"2","post_id":"1"}"#
        );
        let back: LiveComment = serde_json::from_str(&text).expect("decodes");
        assert_eq!(back, change);
        assert_eq!(back.event_id(), Id(3));
    }
}
