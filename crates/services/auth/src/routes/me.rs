//! `GET /api/v1/auth/me`: the caller's account. A hot path: one cache read,
//! no query and no serialization when the user is cached.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity};
use http::HeaderValue;
use http::header::CONTENT_TYPE;

use super::UserView;
use crate::state::AppState;

/// The signed-in account.
#[utoipa::path(
    get,
    path = "/api/v1/auth/me",
    tag = "auth",
    operation_id = "auth_me",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The caller's account", body = UserView),
        (status = 401, description = "Not signed in, or the account no longer exists", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id))]
pub async fn me(State(state): State<AppState>, identity: Identity) -> Result<Response, ApiError> {
    let user = state
        .users
        .get(identity.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthorized("this account no longer exists"))?;
    Ok((
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        user.into_string(),
    )
        .into_response())
}
