//! Following: `POST|DELETE /api/v1/users/{id}/follow`, and the lists
//! `GET /api/v1/users/{id}/followers`, `.../following`.

use axum::extract::State;
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity, Json, MaybeIdentity, Page, PageRequest};
use chorus_rpc::users::Profile;
use http::StatusCode;

use super::{ListPage, UserId};
use crate::app::{Connections, FollowStateView};
use crate::state::AppState;

/// Follow an account; a private one must approve first (`requested`).
/// Idempotent: a repeat answers the current state.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/follow",
    tag = "users",
    operation_id = "users_follow",
    params(("id" = String, Path, description = "The account to follow")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "`following`, or `requested` for a private account", body = FollowStateView),
        (status = 400, description = "Following oneself", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller blocks this account: unblock it first", body = ErrorBody),
        (status = 404, description = "No such account, or it blocks the caller", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, target = %target))]
pub async fn follow(
    State(state): State<AppState>,
    identity: Identity,
    UserId(target): UserId,
) -> Result<Json<FollowStateView>, ApiError> {
    let state = state.users.follow(identity.user_id, target).await?;
    Ok(Json(FollowStateView { state }))
}

/// Stop following an account, or withdraw a pending request. Idempotent.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}/follow",
    tag = "users",
    operation_id = "users_unfollow",
    params(("id" = String, Path, description = "The account to stop following")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Not following (any more)"),
        (status = 400, description = "Unfollowing oneself", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such account, or it blocks the caller", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, target = %target))]
pub async fn unfollow(
    State(state): State<AppState>,
    identity: Identity,
    UserId(target): UserId,
) -> Result<StatusCode, ApiError> {
    state.users.unfollow(identity.user_id, target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who follows an account, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/followers",
    tag = "users",
    operation_id = "users_followers",
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
pub async fn followers(
    State(state): State<AppState>,
    MaybeIdentity(identity): MaybeIdentity,
    UserId(owner): UserId,
    ListPage(page): ListPage,
) -> Result<Json<Page<Profile>>, ApiError> {
    let viewer = identity.map(|i| i.user_id);
    let list = Connections::Followers;
    Ok(Json(
        state.users.connections(viewer, owner, list, page).await?,
    ))
}

/// Whom an account follows, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/following",
    tag = "users",
    operation_id = "users_following",
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
pub async fn following(
    State(state): State<AppState>,
    MaybeIdentity(identity): MaybeIdentity,
    UserId(owner): UserId,
    ListPage(page): ListPage,
) -> Result<Json<Page<Profile>>, ApiError> {
    let viewer = identity.map(|i| i.user_id);
    let list = Connections::Following;
    Ok(Json(
        state.users.connections(viewer, owner, list, page).await?,
    ))
}
