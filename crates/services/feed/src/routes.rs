//! `GET /api/v1/feed`.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity, IdentityKey, Json, Page, PageRequest};
use chorus_rpc::posts::PostView;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::app::{Feed, Ranking};

pub const FEED: &str = "/api/v1/feed";

#[derive(Clone)]
pub struct AppState {
    pub feed: Feed,
    pub identity_key: IdentityKey,
}

impl axum::extract::FromRef<AppState> for IdentityKey {
    fn from_ref(state: &AppState) -> Self {
        state.identity_key.clone()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(FEED, get(home))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .with_state(state)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedRequest {
    /// 1 to 100, default 20.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `latest` (default: newest first) or `top` (engagement and age).
    pub ranking: Option<String>,
}

/// The caller's home timeline: their own posts and those of everyone they
/// follow that they may see.
#[utoipa::path(
    get,
    path = "/api/v1/feed",
    tag = "feed",
    operation_id = "feed_home",
    security(("bearer" = []), ("cookie" = [])),
    params(FeedRequest),
    responses(
        (status = 200, description = "A page of posts, newest first (or ranked with `ranking=top`)", body = Page<PostView>),
        (status = 400, description = "A bad limit or ranking, or a cursor this list did not give out", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub async fn home(
    State(state): State<AppState>,
    identity: Identity,
    query: Result<Query<FeedRequest>, QueryRejection>,
) -> Result<Json<Page<PostView>>, ApiError> {
    let Query(request) = query.map_err(|rejection| ApiError::malformed(rejection.body_text()))?;
    let ranking = Ranking::parse(request.ranking.as_deref())?;
    let page = PageRequest {
        limit: request.limit,
        cursor: request.cursor,
    }
    .parse()?;
    Ok(Json(
        state
            .feed
            .home_page(identity.user_id, page, ranking)
            .await?,
    ))
}
