//! The users service's side: any `UsersApi` served as gRPC routes that merge
//! into the service's own axum router (same port: axum speaks HTTP/1 and h2c).

use std::sync::Arc;

use axum::Router;
use chorus_core::{Id, IdentityKey};
use chorus_telemetry::ServeSpanLayer;
use tonic::server::NamedService;
use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};

use super::convert::{
    follow_state_to_wire, pair_relations_to_wire, pairs_from_wire, relations_to_wire,
};
use crate::UsersApi;
use crate::grpc::auth::{RequireIdentity, answer};
use crate::grpc::proto::users as proto;
use crate::grpc::proto::users::users_server::{Users, UsersServer};
use crate::grpc::{ids_from_wire, limit_from_wire};

/// `api` as the `chorus.users.v1.Users` gRPC service, at
/// `/chorus.users.v1.Users/{method}`. Every call must carry an
/// `x-chorus-identity` metadata value signed by `key`; otherwise it is refused
/// with `Unauthenticated` (401 `unauthorized` on the client side).
///
/// The router has no fallback of its own, so it merges into a router that has
/// one (axum refuses to merge two fallbacks).
pub fn users_routes(api: Arc<dyn UsersApi>, key: IdentityKey) -> Router {
    let service =
        InterceptedService::new(UsersServer::new(UsersGrpc { api }), RequireIdentity { key });
    let path = format!("/{}/{{*method}}", UsersServer::<UsersGrpc>::NAME);
    // Each call in a span that continues the caller's `traceparent`.
    Router::new()
        .route_service(&path, service)
        .layer(ServeSpanLayer::grpc("users"))
}

struct UsersGrpc {
    api: Arc<dyn UsersApi>,
}

#[tonic::async_trait]
impl Users for UsersGrpc {
    async fn cards(
        &self,
        request: Request<proto::CardsRequest>,
    ) -> Result<Response<proto::CardsReply>, Status> {
        let ids = ids_from_wire(&request.into_inner().ids);
        answer(self.api.cards(&ids).await.map(|cards| proto::CardsReply {
            cards: cards.into_iter().map(Into::into).collect(),
        }))
    }

    async fn cards_after(
        &self,
        request: Request<proto::CardsAfterRequest>,
    ) -> Result<Response<proto::CardsReply>, Status> {
        let request = request.into_inner();
        let limit = limit_from_wire(request.limit);
        let cards = self.api.cards_after(request.after.map(Id), limit).await;
        answer(cards.map(|cards| proto::CardsReply {
            cards: cards.into_iter().map(Into::into).collect(),
        }))
    }

    async fn relations(
        &self,
        request: Request<proto::RelationsRequest>,
    ) -> Result<Response<proto::RelationsReply>, Status> {
        let request = request.into_inner();
        let targets = ids_from_wire(&request.targets);
        let relations = self.api.relations(Id(request.viewer), &targets).await;
        answer(relations.map(|relations| proto::RelationsReply {
            relations: relations_to_wire(relations),
        }))
    }

    async fn relations_among(
        &self,
        request: Request<proto::RelationsAmongRequest>,
    ) -> Result<Response<proto::RelationsAmongReply>, Status> {
        let pairs = pairs_from_wire(&request.into_inner().pairs);
        let relations = self.api.relations_among(&pairs).await;
        answer(relations.map(|relations| proto::RelationsAmongReply {
            relations: pair_relations_to_wire(relations),
        }))
    }

    async fn find_by_usernames(
        &self,
        request: Request<proto::FindByUsernamesRequest>,
    ) -> Result<Response<proto::CardsReply>, Status> {
        let usernames = request.into_inner().usernames;
        let cards = self.api.find_by_usernames(&usernames).await;
        answer(cards.map(|cards| proto::CardsReply {
            cards: cards.into_iter().map(Into::into).collect(),
        }))
    }

    async fn profiles(
        &self,
        request: Request<proto::ProfilesRequest>,
    ) -> Result<Response<proto::ProfilesReply>, Status> {
        let request = request.into_inner();
        let ids = ids_from_wire(&request.ids);
        let profiles = self.api.profiles(request.viewer.map(Id), &ids).await;
        answer(profiles.map(|profiles| proto::ProfilesReply {
            profiles: profiles.into_iter().map(Into::into).collect(),
        }))
    }

    async fn get_profile(
        &self,
        request: Request<proto::ProfileRequest>,
    ) -> Result<Response<proto::Profile>, Status> {
        let request = request.into_inner();
        let viewer = request.viewer.map(Id);
        let profile = self.api.profile(viewer, &request.id_or_username).await;
        answer(profile.map(Into::into))
    }

    async fn follow(
        &self,
        request: Request<proto::FollowRequest>,
    ) -> Result<Response<proto::FollowReply>, Status> {
        let request = request.into_inner();
        let state = self
            .api
            .follow(Id(request.viewer), Id(request.target))
            .await;
        answer(state.map(|state| proto::FollowReply {
            state: follow_state_to_wire(state).into(),
        }))
    }

    async fn unfollow(
        &self,
        request: Request<proto::UnfollowRequest>,
    ) -> Result<Response<proto::UnfollowReply>, Status> {
        let request = request.into_inner();
        let done = self
            .api
            .unfollow(Id(request.viewer), Id(request.target))
            .await;
        answer(done.map(|()| proto::UnfollowReply {}))
    }
}
