//! The callers' side: `UsersApi` over gRPC to one or more users instances.
//!
//! One lazily connected channel per URL; calls take turns over them. A call
//! that fails before reaching the service logic (refused connection, reset)
//! moves on to the next instance (every `UsersApi` method is idempotent); the
//! whole call, tries included, fits in one deadline. Whatever cannot be
//! answered in time becomes 503 `unavailable`, never a hang.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::{ApiError, ApiResult, Id, Identity, IdentityKey};
use tokio::time::Instant;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Response, Status};

use super::convert::{follow_state_from_wire, ids_to_wire, relations_from_wire};
use super::proto;
use super::proto::users_client::UsersClient;
use super::status::{from_status, is_transport_failure};
use crate::UsersApi;
use crate::users::{FollowState, Profile, Relation, UserCard};

/// Who a service signs as when it calls another service for itself.
const SERVICE_CALLER: Identity = Identity {
    user_id: Id(0),
    session_id: Id(0),
};

pub struct GrpcUsers {
    instances: Vec<Instance>,
    next: AtomicUsize,
    key: IdentityKey,
    deadline: Duration,
}

struct Instance {
    url: String,
    channel: Channel,
}

impl GrpcUsers {
    /// A client for the users instances at `urls` (`http://host:port`; no
    /// TLS inside the cluster). Nothing connects until the first call. Must be
    /// called within a Tokio runtime, which the connections run on.
    pub fn new(urls: &[String], key: IdentityKey, deadline: Duration) -> anyhow::Result<Self> {
        anyhow::ensure!(!urls.is_empty(), "no users service URL given");
        anyhow::ensure!(!deadline.is_zero(), "the users call deadline must be > 0");
        tokio::runtime::Handle::try_current()
            .context("GrpcUsers::new needs a Tokio runtime for its connections")?;
        let instances = urls
            .iter()
            .map(|url| Instance::connect_lazy(url, deadline))
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            instances,
            next: AtomicUsize::new(0),
            key,
            deadline,
        })
    }

    /// Sends one call, taking turns over the instances and moving on from one
    /// that cannot be reached, all within the deadline.
    async fn call<M, R, F, Fut>(&self, message: M, send: F) -> ApiResult<R>
    where
        M: Clone,
        F: Fn(UsersClient<Channel>, Request<M>) -> Fut,
        Fut: Future<Output = Result<Response<R>, Status>>,
    {
        let deadline = Instant::now() + self.deadline;
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        let mut failure = None;
        for turn in 0..self.instances.len() {
            let instance = &self.instances[(first + turn) % self.instances.len()];
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                break;
            }
            let request = self.request(message.clone(), remaining)?;
            let client = UsersClient::new(instance.channel.clone());
            match tokio::time::timeout_at(deadline, send(client, request)).await {
                Ok(Ok(reply)) => return Ok(reply.into_inner()),
                Ok(Err(status)) if is_transport_failure(&status) => {
                    if Instant::now() >= deadline {
                        break; // tonic's own timer for the same deadline
                    }
                    tracing::warn!(url = %instance.url, error = %status, "users instance unreachable");
                    failure = Some(status);
                }
                Ok(Err(status)) => return Err(from_status(&status)),
                Err(_elapsed) => break,
            }
        }
        Err(match failure {
            Some(status) if Instant::now() < deadline => from_status(&status),
            _ => {
                tracing::warn!(deadline = ?self.deadline, "users service did not answer in time");
                ApiError::unavailable("the users service did not answer in time")
            }
        })
    }

    /// A request signed as a service caller, telling the server its deadline.
    fn request<M>(&self, message: M, timeout: Duration) -> ApiResult<Request<M>> {
        let identity =
            MetadataValue::try_from(self.key.sign(SERVICE_CALLER)).map_err(ApiError::internal)?;
        let mut request = Request::new(message);
        request.metadata_mut().insert(IDENTITY_HEADER, identity);
        request.set_timeout(timeout);
        Ok(request)
    }
}

impl Instance {
    fn connect_lazy(url: &str, deadline: Duration) -> anyhow::Result<Self> {
        let endpoint = Endpoint::from_shared(url.to_owned())
            .with_context(|| format!("users service URL {url:?} is not a URI"))?;
        anyhow::ensure!(
            endpoint.uri().scheme_str() == Some("http") && endpoint.uri().host().is_some(),
            "users service URL {url:?} must be http://host:port"
        );
        let channel = endpoint
            .connect_timeout(deadline)
            .tcp_nodelay(true)
            .connect_lazy();
        Ok(Self {
            url: url.to_owned(),
            channel,
        })
    }
}

#[async_trait]
impl UsersApi for GrpcUsers {
    async fn cards(&self, ids: &[Id]) -> ApiResult<Vec<UserCard>> {
        let message = proto::CardsRequest {
            ids: ids_to_wire(ids),
        };
        let reply = self
            .call(message, |mut c, r| async move { c.cards(r).await })
            .await?;
        Ok(reply.cards.into_iter().map(Into::into).collect())
    }

    async fn relations(&self, viewer: Id, targets: &[Id]) -> ApiResult<HashMap<Id, Relation>> {
        let message = proto::RelationsRequest {
            viewer: viewer.as_i64(),
            targets: ids_to_wire(targets),
        };
        let reply = self
            .call(message, |mut c, r| async move { c.relations(r).await })
            .await?;
        Ok(relations_from_wire(reply.relations))
    }

    async fn find_by_usernames(&self, usernames: &[String]) -> ApiResult<Vec<UserCard>> {
        let message = proto::FindByUsernamesRequest {
            usernames: usernames.to_vec(),
        };
        let reply = self
            .call(
                message,
                |mut c, r| async move { c.find_by_usernames(r).await },
            )
            .await?;
        Ok(reply.cards.into_iter().map(Into::into).collect())
    }

    async fn profiles(&self, viewer: Option<Id>, ids: &[Id]) -> ApiResult<Vec<Profile>> {
        let message = proto::ProfilesRequest {
            viewer: viewer.map(Id::as_i64),
            ids: ids_to_wire(ids),
        };
        let reply = self
            .call(message, |mut c, r| async move { c.profiles(r).await })
            .await?;
        Ok(reply.profiles.into_iter().map(Into::into).collect())
    }

    async fn profile(&self, viewer: Option<Id>, id_or_username: &str) -> ApiResult<Profile> {
        let message = proto::ProfileRequest {
            viewer: viewer.map(Id::as_i64),
            id_or_username: id_or_username.to_owned(),
        };
        let reply = self
            .call(message, |mut c, r| async move { c.get_profile(r).await })
            .await?;
        Ok(reply.into())
    }

    async fn follow(&self, viewer: Id, target: Id) -> ApiResult<FollowState> {
        let message = proto::FollowRequest {
            viewer: viewer.as_i64(),
            target: target.as_i64(),
        };
        let reply = self
            .call(message, |mut c, r| async move { c.follow(r).await })
            .await?;
        follow_state_from_wire(reply.state)
    }

    async fn unfollow(&self, viewer: Id, target: Id) -> ApiResult<()> {
        let message = proto::UnfollowRequest {
            viewer: viewer.as_i64(),
            target: target.as_i64(),
        };
        self.call(message, |mut c, r| async move { c.unfollow(r).await })
            .await?;
        Ok(())
    }
}
