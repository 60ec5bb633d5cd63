//! The posts service's side: any `PostsApi` served as gRPC routes that merge
//! into the service's own axum router (same port, as for users).

use std::sync::Arc;

use axum::Router;
use chorus_core::{Id, IdentityKey};
use chorus_telemetry::ServeSpanLayer;
use tonic::server::NamedService;
use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};

use super::convert::reactions_to_wire;
use crate::PostsApi;
use crate::grpc::auth::{RequireIdentity, answer};
use crate::grpc::proto::posts as proto;
use crate::grpc::proto::posts::posts_server::{Posts, PostsServer};
use crate::grpc::{ids_from_wire, limit_from_wire};

/// `api` as the `chorus.posts.v1.Posts` gRPC service, at
/// `/chorus.posts.v1.Posts/{method}`. Every call must carry an
/// `x-chorus-identity` metadata value signed by `key`; otherwise it is refused
/// with `Unauthenticated` (401 `unauthorized` on the client side).
///
/// No fallback of its own: it merges into the service's router, which has one.
pub fn posts_routes(api: Arc<dyn PostsApi>, key: IdentityKey) -> Router {
    let service =
        InterceptedService::new(PostsServer::new(PostsGrpc { api }), RequireIdentity { key });
    let path = format!("/{}/{{*method}}", PostsServer::<PostsGrpc>::NAME);
    // Each call in a span that continues the caller's `traceparent`.
    Router::new()
        .route_service(&path, service)
        .layer(ServeSpanLayer::grpc("posts"))
}

struct PostsGrpc {
    api: Arc<dyn PostsApi>,
}

#[tonic::async_trait]
impl Posts for PostsGrpc {
    async fn bodies(
        &self,
        request: Request<proto::BodiesRequest>,
    ) -> Result<Response<proto::BodiesReply>, Status> {
        let ids = ids_from_wire(&request.into_inner().ids);
        answer(self.api.bodies(&ids).await.map(|posts| proto::BodiesReply {
            posts: posts.into_iter().map(Into::into).collect(),
        }))
    }

    async fn bodies_after(
        &self,
        request: Request<proto::BodiesAfterRequest>,
    ) -> Result<Response<proto::BodiesReply>, Status> {
        let request = request.into_inner();
        let limit = limit_from_wire(request.limit);
        let posts = self.api.bodies_after(request.after.map(Id), limit).await;
        answer(posts.map(|posts| proto::BodiesReply {
            posts: posts.into_iter().map(Into::into).collect(),
        }))
    }

    async fn reactions_of(
        &self,
        request: Request<proto::ReactionsOfRequest>,
    ) -> Result<Response<proto::ReactionsOfReply>, Status> {
        let request = request.into_inner();
        let posts = ids_from_wire(&request.posts);
        let reactions = self.api.reactions_of(Id(request.viewer), &posts).await;
        answer(reactions.map(|reactions| proto::ReactionsOfReply {
            reactions: reactions_to_wire(reactions),
        }))
    }
}
