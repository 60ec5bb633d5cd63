//! `GET /api/v1/search` and `GET /api/v1/trends`.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, IdentityKey, Json, MaybeIdentity, Page, PageRequest};
use chorus_rpc::posts::PostView;
use chorus_rpc::users::Profile;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::Search;
use crate::query::SearchQuery;
use crate::views::{HashtagView, TrendView};

pub const SEARCH: &str = "/api/v1/search";
pub const TRENDS: &str = "/api/v1/trends";

#[derive(Clone)]
pub struct AppState {
    pub search: Search,
    pub identity_key: IdentityKey,
}

impl axum::extract::FromRef<AppState> for IdentityKey {
    fn from_ref(state: &AppState) -> Self {
        state.identity_key.clone()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(SEARCH, get(search))
        .route(TRENDS, get(trends))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .with_state(state)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchRequest {
    /// What to look for (1 to 256 characters): words (all must match),
    /// `"exact phrases"`, `#hashtags`, `-excluded` words. For users, the
    /// beginning of a username or of a word of the display name; for
    /// hashtags, the beginning of the tag.
    pub q: Option<String>,
    /// `posts` (default), `users` or `hashtags`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<String>,
    /// 1 to 100, default 20.
    pub limit: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of results, of the kind asked for.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum SearchPage {
    Posts(Page<PostView>),
    Users(Page<Profile>),
    Hashtags(Page<HashtagView>),
}

/// Full-text search of posts (relevance with recency), users (by prefix)
/// or hashtags (by prefix), showing only what the caller may see.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    tag = "search",
    operation_id = "search",
    security((), ("bearer" = []), ("cookie" = [])),
    params(SearchRequest),
    responses(
        (status = 200, description = "A page of posts, profiles or hashtags, best first", body = SearchPage),
        (status = 400, description = "No query, one over 256 characters, syntax this search does not take, an unknown type, a bad limit or cursor", body = ErrorBody),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    MaybeIdentity(identity): MaybeIdentity,
    query: Result<Query<SearchRequest>, QueryRejection>,
) -> Result<Json<SearchPage>, ApiError> {
    let Query(request) = query.map_err(|rejection| ApiError::malformed(rejection.body_text()))?;
    let kind = request.kind.as_deref().unwrap_or("posts");
    if !["posts", "users", "hashtags"].contains(&kind) {
        return Err(ApiError::invalid_field(
            "type",
            "must be posts, users or hashtags",
        ));
    }
    let query = SearchQuery::parse(request.q.as_deref())?;
    let page = PageRequest {
        limit: request.limit,
        cursor: request.cursor,
    }
    .parse()?;
    let viewer = identity.map(|identity| identity.user_id);
    let search = &state.search;
    Ok(Json(match kind {
        "users" => SearchPage::Users(search.users(viewer, &query, page).await?),
        "hashtags" => SearchPage::Hashtags(search.hashtags(&query, page).await?),
        _ => SearchPage::Posts(search.posts(viewer, &query, page).await?),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendsRequest {
    /// 1 to 100, default 20.
    pub limit: Option<String>,
}

/// Hashtags trending now: those whose use in public posts rose most in the
/// current window against their usual rate (acceleration, not volume).
#[utoipa::path(
    get,
    path = "/api/v1/trends",
    tag = "search",
    operation_id = "search_trends",
    security((), ("bearer" = []), ("cookie" = [])),
    params(TrendsRequest),
    responses(
        (status = 200, description = "Trending hashtags, fastest rising first; `next_cursor` is always null", body = Page<TrendView>),
        (status = 400, description = "A bad limit", body = ErrorBody),
    )
)]
pub async fn trends(
    State(state): State<AppState>,
    query: Result<Query<TrendsRequest>, QueryRejection>,
) -> Result<Json<Page<TrendView>>, ApiError> {
    let Query(request) = query.map_err(|rejection| ApiError::malformed(rejection.body_text()))?;
    let limit = PageRequest {
        limit: request.limit,
        cursor: None,
    }
    .limit()?;
    Ok(Json(state.search.trends(limit as usize).await?))
}
