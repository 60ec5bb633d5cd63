//! `GET /api/v1/users/{id_or_username}`, `GET|PATCH /api/v1/users/me`.

use axum::extract::State;
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity, Json, MaybeIdentity};
use chorus_rpc::users::Profile;

use super::Segment;
use crate::app::ProfileEdit;
use crate::state::AppState;

/// A profile by id, or by username when the segment names no id (`12345`
/// may be a username). `relationship` is there when signed in.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id_or_username}",
    tag = "users",
    operation_id = "users_get_profile",
    params(("id_or_username" = String, Path, description = "An account's id, or its username (any case)")),
    security((), ("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The profile", body = Profile),
        (status = 404, description = "No such account, or a block between the caller and it", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn profile(
    State(state): State<AppState>,
    MaybeIdentity(identity): MaybeIdentity,
    Segment(id_or_username): Segment,
) -> Result<Json<Profile>, ApiError> {
    let viewer = identity.map(|i| i.user_id);
    Ok(Json(state.users.profile(viewer, &id_or_username).await?))
}

/// The caller's own profile.
#[utoipa::path(
    get,
    path = "/api/v1/users/me",
    tag = "users",
    operation_id = "users_get_me",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller's profile", body = Profile),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 503, description = "The profile of a brand-new account is not set up yet", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id))]
pub async fn me(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<Profile>, ApiError> {
    let me = identity.user_id;
    Ok(Json(state.users.own_profile(me).await?))
}

/// Edit the caller's profile; absent fields stay as they are. Turning
/// `is_private` off approves the follow requests waiting.
#[utoipa::path(
    patch,
    path = "/api/v1/users/me",
    tag = "users",
    operation_id = "users_update_me",
    security(("bearer" = []), ("cookie" = [])),
    request_body = ProfileEdit,
    responses(
        (status = 200, description = "The profile as it is now", body = Profile),
        (status = 400, description = "A field is not acceptable (`details.field` names it)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
        (status = 503, description = "The profile of a brand-new account is not set up yet", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id))]
pub async fn update_me(
    State(state): State<AppState>,
    identity: Identity,
    Json(edit): Json<ProfileEdit>,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(
        state.users.update_profile(identity.user_id, edit).await?,
    ))
}
