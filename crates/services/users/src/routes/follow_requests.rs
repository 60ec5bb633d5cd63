//! Requests to follow a private account: `GET /api/v1/follow-requests`,
//! `POST /api/v1/follow-requests/{id}/approve`, `.../reject`.

use axum::extract::State;
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity, Json, Page, PageRequest};
use http::StatusCode;

use super::{ListPage, RequestId};
use crate::app::{FollowRequestView, FollowStateView};
use crate::state::AppState;

/// Requests to follow the caller, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/follow-requests",
    tag = "users",
    operation_id = "users_follow_requests",
    params(PageRequest),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of requests", body = Page<FollowRequestView>),
        (status = 400, description = "A bad `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id))]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
    ListPage(page): ListPage,
) -> Result<Json<Page<FollowRequestView>>, ApiError> {
    Ok(Json(
        state.users.follow_requests(identity.user_id, page).await?,
    ))
}

/// Approve a request to follow the caller.
#[utoipa::path(
    post,
    path = "/api/v1/follow-requests/{id}/approve",
    tag = "users",
    operation_id = "users_approve_follow_request",
    params(("id" = String, Path, description = "The request")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The requester follows the caller now", body = FollowStateView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such request addressed to the caller", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, request = %request))]
pub async fn approve(
    State(state): State<AppState>,
    identity: Identity,
    RequestId(request): RequestId,
) -> Result<Json<FollowStateView>, ApiError> {
    let me = identity.user_id;
    let state = state.users.approve_follow_request(me, request).await?;
    Ok(Json(FollowStateView { state }))
}

/// Turn down a request to follow the caller.
#[utoipa::path(
    post,
    path = "/api/v1/follow-requests/{id}/reject",
    tag = "users",
    operation_id = "users_reject_follow_request",
    params(("id" = String, Path, description = "The request")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "The request is gone"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such request addressed to the caller", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, request = %request))]
pub async fn reject(
    State(state): State<AppState>,
    identity: Identity,
    RequestId(request): RequestId,
) -> Result<StatusCode, ApiError> {
    let me = identity.user_id;
    state.users.reject_follow_request(me, request).await?;
    Ok(StatusCode::NO_CONTENT)
}
