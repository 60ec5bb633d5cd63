//! The callers' side: `UsersApi` over gRPC to one or more users instances,
//! balanced and bounded by a deadline as [`Balancer`] does it.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chorus_core::{ApiResult, Id, IdentityKey};

use super::convert::{
    follow_state_from_wire, pair_relations_from_wire, pairs_to_wire, relations_from_wire,
};
use crate::UsersApi;
use crate::grpc::balance::Balancer;
use crate::grpc::proto::users as proto;
use crate::grpc::proto::users::users_client::UsersClient;
use crate::grpc::{ids_to_wire, limit_to_wire};
use crate::users::{FollowState, Profile, Relation, UserCard};

pub struct GrpcUsers {
    instances: Balancer,
}

impl GrpcUsers {
    /// A client for the users instances at `urls` (`http://host:port`; no
    /// TLS inside the cluster). Nothing connects until the first call. Must be
    /// called within a Tokio runtime, which the connections run on.
    pub fn new(urls: &[String], key: IdentityKey, deadline: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            instances: Balancer::new("users", urls, key, deadline)?,
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
            .instances
            .call(
                message,
                |c, r| async move { UsersClient::new(c).cards(r).await },
            )
            .await?;
        Ok(reply.cards.into_iter().map(Into::into).collect())
    }

    async fn cards_after(&self, after: Option<Id>, limit: usize) -> ApiResult<Vec<UserCard>> {
        let message = proto::CardsAfterRequest {
            after: after.map(Id::as_i64),
            limit: limit_to_wire(limit),
        };
        let reply = self
            .instances
            .call(message, |c, r| async move {
                UsersClient::new(c).cards_after(r).await
            })
            .await?;
        Ok(reply.cards.into_iter().map(Into::into).collect())
    }

    async fn relations(&self, viewer: Id, targets: &[Id]) -> ApiResult<HashMap<Id, Relation>> {
        let message = proto::RelationsRequest {
            viewer: viewer.as_i64(),
            targets: ids_to_wire(targets),
        };
        let reply = self
            .instances
            .call(message, |c, r| async move {
                UsersClient::new(c).relations(r).await
            })
            .await?;
        Ok(relations_from_wire(reply.relations))
    }

    async fn relations_among(&self, pairs: &[(Id, Id)]) -> ApiResult<HashMap<(Id, Id), Relation>> {
        let message = proto::RelationsAmongRequest {
            pairs: pairs_to_wire(pairs),
        };
        let reply = self
            .instances
            .call(message, |c, r| async move {
                UsersClient::new(c).relations_among(r).await
            })
            .await?;
        Ok(pair_relations_from_wire(reply.relations))
    }

    async fn find_by_usernames(&self, usernames: &[String]) -> ApiResult<Vec<UserCard>> {
        let message = proto::FindByUsernamesRequest {
            usernames: usernames.to_vec(),
        };
        let reply = self
            .instances
            .call(message, |c, r| async move {
                UsersClient::new(c).find_by_usernames(r).await
            })
            .await?;
        Ok(reply.cards.into_iter().map(Into::into).collect())
    }

    async fn profiles(&self, viewer: Option<Id>, ids: &[Id]) -> ApiResult<Vec<Profile>> {
        let message = proto::ProfilesRequest {
            viewer: viewer.map(Id::as_i64),
            ids: ids_to_wire(ids),
        };
        let reply = self
            .instances
            .call(message, |c, r| async move {
                UsersClient::new(c).profiles(r).await
            })
            .await?;
        Ok(reply.profiles.into_iter().map(Into::into).collect())
    }

    async fn profile(&self, viewer: Option<Id>, id_or_username: &str) -> ApiResult<Profile> {
        let message = proto::ProfileRequest {
            viewer: viewer.map(Id::as_i64),
            id_or_username: id_or_username.to_owned(),
        };
        let reply = self
            .instances
            .call(message, |c, r| async move {
                UsersClient::new(c).get_profile(r).await
            })
            .await?;
        Ok(reply.into())
    }

    async fn follow(&self, viewer: Id, target: Id) -> ApiResult<FollowState> {
        let message = proto::FollowRequest {
            viewer: viewer.as_i64(),
            target: target.as_i64(),
        };
        let reply = self
            .instances
            .call(message, |c, r| async move {
                UsersClient::new(c).follow(r).await
            })
            .await?;
        follow_state_from_wire(reply.state)
    }

    async fn unfollow(&self, viewer: Id, target: Id) -> ApiResult<()> {
        let message = proto::UnfollowRequest {
            viewer: viewer.as_i64(),
            target: target.as_i64(),
        };
        self.instances
            .call(message, |c, r| async move {
                UsersClient::new(c).unfollow(r).await
            })
            .await?;
        Ok(())
    }
}
