//! Friendships: `POST /api/v1/users/{id}/friend-request`,
//! `GET /api/v1/friend-requests`, `POST /api/v1/friend-requests/{id}/accept`,
//! `.../decline`, `DELETE /api/v1/friend-requests/{id}`,
//! `GET /api/v1/users/{id}/friends`, `DELETE /api/v1/users/{id}/friend`.

use axum::extract::{Query, State};
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity, Json, MaybeIdentity, Page, PageRequest};
use chorus_rpc::users::Profile;
use http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{ListPage, RequestId, UserId};
use crate::app::{Connections, FriendRequestView};
use crate::state::AppState;

/// Ask an account to be friends. If it asked the caller first, that request
/// is accepted instead (200, `accepted`); asking again answers the pending request (200).
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/friend-request",
    tag = "users",
    operation_id = "users_send_friend_request",
    params(("id" = String, Path, description = "The account to befriend")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 201, description = "A new pending request", body = FriendRequestView),
        (status = 200, description = "The caller's pending request, or theirs, now accepted", body = FriendRequestView),
        (status = 400, description = "Befriending oneself", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such account, or a block between the caller and it", body = ErrorBody),
        (status = 409, description = "Friends already", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, target = %target))]
pub async fn send_request(
    State(state): State<AppState>,
    identity: Identity,
    UserId(target): UserId,
) -> Result<(StatusCode, Json<FriendRequestView>), ApiError> {
    let sent = state
        .users
        .send_friend_request(identity.user_id, target)
        .await?;
    let status = match sent.created {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    Ok((status, Json(sent.request)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DirectionQuery {
    /// `incoming` (the default: requests to the caller) or `outgoing`.
    pub direction: Option<String>,
}

/// Pending friend requests to the caller, or from the caller, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/friend-requests",
    tag = "users",
    operation_id = "users_friend_requests",
    params(DirectionQuery, PageRequest),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of pending requests", body = Page<FriendRequestView>),
        (status = 400, description = "A bad `direction`, `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id))]
pub async fn requests(
    State(state): State<AppState>,
    identity: Identity,
    query: Result<Query<DirectionQuery>, axum::extract::rejection::QueryRejection>,
    ListPage(page): ListPage,
) -> Result<Json<Page<FriendRequestView>>, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::validation(rejection.body_text()))?;
    let incoming = match query.direction.as_deref() {
        None | Some("") | Some("incoming") => true,
        Some("outgoing") => false,
        Some(_) => {
            let reason = "must be incoming or outgoing";
            return Err(ApiError::invalid_field("direction", reason));
        }
    };
    let me = identity.user_id;
    Ok(Json(state.users.friend_requests(me, incoming, page).await?))
}

/// Accept a friend request addressed to the caller: they are friends, and
/// follow each other.
#[utoipa::path(
    post,
    path = "/api/v1/friend-requests/{id}/accept",
    tag = "users",
    operation_id = "users_accept_friend_request",
    params(("id" = String, Path, description = "The request")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The request, `accepted`", body = FriendRequestView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such request addressed to the caller", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, request = %request))]
pub async fn accept(
    State(state): State<AppState>,
    identity: Identity,
    RequestId(request): RequestId,
) -> Result<Json<FriendRequestView>, ApiError> {
    let me = identity.user_id;
    Ok(Json(state.users.accept_friend_request(me, request).await?))
}

/// Decline a friend request addressed to the caller.
#[utoipa::path(
    post,
    path = "/api/v1/friend-requests/{id}/decline",
    tag = "users",
    operation_id = "users_decline_friend_request",
    params(("id" = String, Path, description = "The request")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "The request is gone"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such request addressed to the caller", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, request = %request))]
pub async fn decline(
    State(state): State<AppState>,
    identity: Identity,
    RequestId(request): RequestId,
) -> Result<StatusCode, ApiError> {
    let me = identity.user_id;
    state.users.drop_friend_request(me, request, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancel a friend request the caller sent.
#[utoipa::path(
    delete,
    path = "/api/v1/friend-requests/{id}",
    tag = "users",
    operation_id = "users_cancel_friend_request",
    params(("id" = String, Path, description = "The request")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "The request is gone"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such request sent by the caller", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, request = %request))]
pub async fn cancel(
    State(state): State<AppState>,
    identity: Identity,
    RequestId(request): RequestId,
) -> Result<StatusCode, ApiError> {
    let me = identity.user_id;
    state.users.drop_friend_request(me, request, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An account's friends, newest friendship first.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/friends",
    tag = "users",
    operation_id = "users_friends",
    params(("id" = String, Path, description = "The account"), PageRequest),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of profiles", body = Page<Profile>),
        (status = 400, description = "A bad `limit` or `cursor`", body = ErrorBody),
        (status = 403, description = "A private account, and the caller does not follow it", body = ErrorBody),
        (status = 404, description = "No such account, or a block between the caller and it", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(owner = %owner))]
pub async fn friends(
    State(state): State<AppState>,
    MaybeIdentity(identity): MaybeIdentity,
    UserId(owner): UserId,
    ListPage(page): ListPage,
) -> Result<Json<Page<Profile>>, ApiError> {
    let viewer = identity.map(|i| i.user_id);
    let list = Connections::Friends;
    Ok(Json(
        state.users.connections(viewer, owner, list, page).await?,
    ))
}

/// End a friendship (both follows end with it). Idempotent.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}/friend",
    tag = "users",
    operation_id = "users_unfriend",
    params(("id" = String, Path, description = "The friend")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Not friends (any more)"),
        (status = 400, description = "Unfriending oneself", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such account, or it blocks the caller", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, friend = %friend))]
pub async fn unfriend(
    State(state): State<AppState>,
    identity: Identity,
    UserId(friend): UserId,
) -> Result<StatusCode, ApiError> {
    state.users.unfriend(identity.user_id, friend).await?;
    Ok(StatusCode::NO_CONTENT)
}
