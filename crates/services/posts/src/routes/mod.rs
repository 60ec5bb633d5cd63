//! The posts routes, one file per resource, over [`crate::app::Posts`].

pub mod comments;
pub mod posts;
pub mod reactions;
pub mod stream;

use axum::Router;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::routing::{get, patch, post, put};
use chorus_core::{ApiError, ApiResult, Id, PageQuery, PageRequest};

use crate::state::AppState;

pub const POSTS: &str = "/api/v1/posts";
pub const POST: &str = "/api/v1/posts/{id}";
pub const USER_POSTS: &str = "/api/v1/users/{id}/posts";
pub const POST_COMMENTS: &str = "/api/v1/posts/{id}/comments";
pub const POST_COMMENTS_STREAM: &str = "/api/v1/posts/{id}/comments/stream";
pub const COMMENT: &str = "/api/v1/comments/{id}";
pub const POST_REACTION: &str = "/api/v1/posts/{id}/reactions/{kind}";
pub const POST_REACTIONS: &str = "/api/v1/posts/{id}/reactions";

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(POSTS, post(posts::create))
        .route(
            POST,
            get(posts::get).patch(posts::edit).delete(posts::delete),
        )
        .route(USER_POSTS, get(posts::user_posts))
        .route(POST_COMMENTS, post(comments::create).get(comments::list))
        .route(POST_COMMENTS_STREAM, get(stream::stream))
        .route(COMMENT, patch(comments::edit).delete(comments::delete))
        .route(
            POST_REACTION,
            put(reactions::react).delete(reactions::unreact),
        )
        .route(POST_REACTIONS, get(reactions::list))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .with_state(state)
}

/// An id from the path: anything that is not one names nothing (404).
fn path_id(raw: &str, what: &str) -> ApiResult<Id> {
    raw.parse()
        .map_err(|_| ApiError::not_found(format!("no such {what}")))
}

/// `?limit=&cursor=`, checked; a query string that does not parse is a 400.
fn page(query: Result<Query<PageRequest>, QueryRejection>) -> ApiResult<PageQuery> {
    let Query(request) = query.map_err(|rejection| ApiError::malformed(rejection.body_text()))?;
    request.parse()
}
