//! The REST routes: thin handlers over the application layer
//! ([`crate::app::Users`]), one file per area, and the extractors they share.

pub mod blocks;
pub mod follow_requests;
pub mod follows;
pub mod friends;
pub mod profiles;

use axum::extract::{FromRequestParts, Path};
use axum::routing::{delete, get, post};
use axum::{Router, middleware};
pub use chorus_core::ListPage;
use chorus_core::private::private_answers;
use chorus_core::{ApiError, Id};
use http::request::Parts;

use crate::state::AppState;

pub const PROFILE: &str = "/api/v1/users/{id_or_username}";
pub const ME: &str = "/api/v1/users/me";
pub const FOLLOW: &str = "/api/v1/users/{id}/follow";
pub const FOLLOWERS: &str = "/api/v1/users/{id}/followers";
pub const FOLLOWING: &str = "/api/v1/users/{id}/following";
pub const FOLLOW_REQUESTS: &str = "/api/v1/follow-requests";
pub const APPROVE: &str = "/api/v1/follow-requests/{id}/approve";
pub const REJECT: &str = "/api/v1/follow-requests/{id}/reject";
pub const FRIEND_REQUEST: &str = "/api/v1/users/{id}/friend-request";
pub const FRIEND_REQUESTS: &str = "/api/v1/friend-requests";
pub const FRIEND_REQUEST_BY_ID: &str = "/api/v1/friend-requests/{id}";
pub const ACCEPT: &str = "/api/v1/friend-requests/{id}/accept";
pub const DECLINE: &str = "/api/v1/friend-requests/{id}/decline";
pub const FRIENDS: &str = "/api/v1/users/{id}/friends";
pub const FRIEND: &str = "/api/v1/users/{id}/friend";
pub const BLOCK: &str = "/api/v1/users/{id}/block";
pub const BLOCKS: &str = "/api/v1/blocks";

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(PROFILE, get(profiles::profile))
        .route(ME, get(profiles::me).patch(profiles::update_me))
        .route(FOLLOW, post(follows::follow).delete(follows::unfollow))
        .route(FOLLOWERS, get(follows::followers))
        .route(FOLLOWING, get(follows::following))
        .route(FOLLOW_REQUESTS, get(follow_requests::list))
        .route(APPROVE, post(follow_requests::approve))
        .route(REJECT, post(follow_requests::reject))
        .route(FRIEND_REQUEST, post(friends::send_request))
        .route(FRIEND_REQUESTS, get(friends::requests))
        .route(FRIEND_REQUEST_BY_ID, delete(friends::cancel))
        .route(ACCEPT, post(friends::accept))
        .route(DECLINE, post(friends::decline))
        .route(FRIENDS, get(friends::friends))
        .route(FRIEND, delete(friends::unfriend))
        .route(BLOCK, post(blocks::block).delete(blocks::unblock))
        .route(BLOCKS, get(blocks::list))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(middleware::map_response(private_answers))
        .with_state(state)
}

/// The one path segment of a route, raw; 404 if it cannot be read.
pub struct Segment(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Segment {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::not_found("no such user"))?;
        Ok(Segment(raw))
    }
}

/// The `{id}` of an account in a path. Whatever is not an id names nothing: 404.
pub struct UserId(pub Id);

/// The `{id}` of a follow or friend request in a path; 404 when it is not an id.
pub struct RequestId(pub Id);

async fn path_id<S: Send + Sync>(parts: &mut Parts, state: &S, what: &str) -> Result<Id, ApiError> {
    let not_found = || ApiError::not_found(format!("no such {what}"));
    let Path(raw) = Path::<String>::from_request_parts(parts, state)
        .await
        .map_err(|_| not_found())?;
    raw.parse().map_err(|_| not_found())
}

impl<S: Send + Sync> FromRequestParts<S> for UserId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        path_id(parts, state, "user").await.map(UserId)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        path_id(parts, state, "request").await.map(RequestId)
    }
}
