//! The callers' side: `FeedApi` over gRPC to one or more feed instances,
//! balanced and bounded by a deadline as [`Balancer`] does it.

use std::time::Duration;

use async_trait::async_trait;
use chorus_core::{ApiResult, Id, IdentityKey, PageQuery};

use crate::feed::{FeedApi, FeedEntry, FeedPage, Ranking};
use crate::grpc::balance::Balancer;
use crate::grpc::proto::feed as proto;
use crate::grpc::proto::feed::feed_client::FeedClient;

pub struct GrpcFeed {
    instances: Balancer,
}

impl GrpcFeed {
    /// A client for the feed instances at `urls` (`http://host:port`; no
    /// TLS inside the cluster). Nothing connects until the first call. Must be
    /// called within a Tokio runtime, which the connections run on.
    pub fn new(urls: &[String], key: IdentityKey, deadline: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            instances: Balancer::new("feed", urls, key, deadline)?,
        })
    }
}

#[async_trait]
impl FeedApi for GrpcFeed {
    async fn home(&self, viewer: Id, page: PageQuery, ranking: Ranking) -> ApiResult<FeedPage> {
        let message = proto::HomeRequest {
            viewer: viewer.as_i64(),
            limit: page.limit,
            cursor: page.cursor.map(|cursor| cursor.0),
            ranking: ranking.as_str().to_string(),
        };
        let reply = self
            .instances
            .call(
                message,
                |c, r| async move { FeedClient::new(c).home(r).await },
            )
            .await?;
        Ok(FeedPage {
            entries: reply
                .entries
                .into_iter()
                .map(|entry| FeedEntry {
                    post: Id(entry.post),
                    cursor: entry.cursor,
                })
                .collect(),
            next_cursor: reply.next_cursor,
        })
    }
}
