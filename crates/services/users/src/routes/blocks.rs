//! Blocks: `POST|DELETE /api/v1/users/{id}/block`, `GET /api/v1/blocks`.

use axum::extract::State;
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity, Json, Page, PageRequest};
use chorus_rpc::users::UserCard;
use http::StatusCode;

use super::{ListPage, UserId};
use crate::state::AppState;

/// Block an account: each is hidden from the other, and follows, requests
/// and friendship between them end. Idempotent.
#[utoipa::path(
    post,
    path = "/api/v1/users/{id}/block",
    tag = "users",
    operation_id = "users_block",
    params(("id" = String, Path, description = "The account to block")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Blocked"),
        (status = 400, description = "Blocking oneself", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, target = %target))]
pub async fn block(
    State(state): State<AppState>,
    identity: Identity,
    UserId(target): UserId,
) -> Result<StatusCode, ApiError> {
    state.users.block(identity.user_id, target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift a block. Idempotent.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{id}/block",
    tag = "users",
    operation_id = "users_unblock",
    params(("id" = String, Path, description = "The blocked account")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Not blocked (any more)"),
        (status = 400, description = "Unblocking oneself", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, target = %target))]
pub async fn unblock(
    State(state): State<AppState>,
    identity: Identity,
    UserId(target): UserId,
) -> Result<StatusCode, ApiError> {
    state.users.unblock(identity.user_id, target).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The accounts the caller blocks, newest block first.
#[utoipa::path(
    get,
    path = "/api/v1/blocks",
    tag = "users",
    operation_id = "users_blocks",
    params(PageRequest),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of accounts", body = Page<UserCard>),
        (status = 400, description = "A bad `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id))]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
    ListPage(page): ListPage,
) -> Result<Json<Page<UserCard>>, ApiError> {
    Ok(Json(state.users.blocks(identity.user_id, page).await?))
}
