//! The callers' side: `PostsApi` over gRPC to one or more posts instances,
//! balanced and bounded by a deadline as [`Balancer`] does it.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chorus_core::{ApiResult, Id, IdentityKey};

use super::convert::reactions_from_wire;
use crate::PostsApi;
use crate::grpc::balance::Balancer;
use crate::grpc::proto::posts as proto;
use crate::grpc::proto::posts::posts_client::PostsClient;
use crate::grpc::{ids_to_wire, limit_to_wire};
use crate::posts::PostBody;

pub struct GrpcPosts {
    instances: Balancer,
}

impl GrpcPosts {
    /// A client for the posts instances at `urls` (`http://host:port`; no
    /// TLS inside the cluster). Nothing connects until the first call. Must be
    /// called within a Tokio runtime, which the connections run on.
    pub fn new(urls: &[String], key: IdentityKey, deadline: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            instances: Balancer::new("posts", urls, key, deadline)?,
        })
    }
}

#[async_trait]
impl PostsApi for GrpcPosts {
    async fn bodies(&self, ids: &[Id]) -> ApiResult<Vec<PostBody>> {
        let message = proto::BodiesRequest {
            ids: ids_to_wire(ids),
        };
        let reply = self
            .instances
            .call(message, |c, r| async move {
                PostsClient::new(c).bodies(r).await
            })
            .await?;
        Ok(reply.posts.into_iter().map(Into::into).collect())
    }

    async fn bodies_after(&self, after: Option<Id>, limit: usize) -> ApiResult<Vec<PostBody>> {
        let message = proto::BodiesAfterRequest {
            after: after.map(Id::as_i64),
            limit: limit_to_wire(limit),
        };
        let reply = self
            .instances
            .call(message, |c, r| async move {
                PostsClient::new(c).bodies_after(r).await
            })
            .await?;
        Ok(reply.posts.into_iter().map(Into::into).collect())
    }

    async fn reactions_of(&self, viewer: Id, posts: &[Id]) -> ApiResult<HashMap<Id, Vec<String>>> {
        let message = proto::ReactionsOfRequest {
            viewer: viewer.as_i64(),
            posts: ids_to_wire(posts),
        };
        let reply = self
            .instances
            .call(message, |c, r| async move {
                PostsClient::new(c).reactions_of(r).await
            })
            .await?;
        Ok(reactions_from_wire(reply.reactions))
    }
}
