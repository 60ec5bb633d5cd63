//! The feed service's side: any `FeedApi` served as gRPC routes that merge
//! into the service's own axum router (same port, as for users and posts).

use std::sync::Arc;

use axum::Router;
use chorus_core::{Cursor, Id, IdentityKey, PageQuery};
use chorus_telemetry::ServeSpanLayer;
use tonic::server::NamedService;
use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};

use crate::feed::{FeedApi, Ranking};
use crate::grpc::auth::{RequireIdentity, answer};
use crate::grpc::proto::feed as proto;
use crate::grpc::proto::feed::feed_server::{Feed, FeedServer};
use crate::grpc::to_status;

/// `api` as the `chorus.feed.v1.Feed` gRPC service, at
/// `/chorus.feed.v1.Feed/{method}`. Every call must carry an
/// `x-chorus-identity` metadata value signed by `key`; otherwise it is refused
/// with `Unauthenticated` (401 `unauthorized` on the client side).
pub fn feed_routes(api: Arc<dyn FeedApi>, key: IdentityKey) -> Router {
    let service =
        InterceptedService::new(FeedServer::new(FeedGrpc { api }), RequireIdentity { key });
    let path = format!("/{}/{{*method}}", FeedServer::<FeedGrpc>::NAME);
    // Each call in a span that continues the caller's `traceparent`.
    Router::new()
        .route_service(&path, service)
        .layer(ServeSpanLayer::grpc("feed"))
}

struct FeedGrpc {
    api: Arc<dyn FeedApi>,
}

#[tonic::async_trait]
impl Feed for FeedGrpc {
    async fn home(
        &self,
        request: Request<proto::HomeRequest>,
    ) -> Result<Response<proto::HomeReply>, Status> {
        let request = request.into_inner();
        let page = PageQuery {
            limit: request.limit,
            cursor: request.cursor.map(Cursor),
        };
        let ranking = Ranking::parse(Some(&request.ranking)).map_err(|error| to_status(&error))?;
        let home = self.api.home(Id(request.viewer), page, ranking).await;
        answer(home.map(|page| {
            proto::HomeReply {
                entries: page
                    .entries
                    .into_iter()
                    .map(|entry| proto::Entry {
                        post: entry.post.as_i64(),
                        cursor: entry.cursor,
                    })
                    .collect(),
                next_cursor: page.next_cursor,
            }
        }))
    }
}
