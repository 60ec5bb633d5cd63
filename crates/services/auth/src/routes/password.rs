//! `POST /api/v1/auth/password`: change the caller's password.

use axum::extract::State;
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity, Json};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

use crate::domain::{Password, password};
use crate::state::AppState;
use crate::store::{self, Login};
use crate::tokens::{self, RevokeReason};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[schema(format = Password, example = "correct horse battery")]
    pub current_password: String,
    /// 8 to 128 characters, different from the current one.
    #[schema(format = Password, min_length = 8, max_length = 128, example = "staple battery horse correct")]
    pub new_password: String,
}

/// Change the caller's password. Every other session of the account is
/// revoked; the caller's own stays signed in.
#[utoipa::path(
    post,
    path = "/api/v1/auth/password",
    tag = "auth",
    operation_id = "auth_change_password",
    security(("bearer" = []), ("cookie" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Password changed; other sessions signed out"),
        (status = 400, description = "The new password is not acceptable", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The current password is wrong", body = ErrorBody),
        (status = 415, description = "The body is not JSON", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id))]
pub async fn change_password(
    State(state): State<AppState>,
    identity: Identity,
    Json(request): Json<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let new_password = Password::parse("new_password", request.new_password)?;
    if new_password.expose() == request.current_password {
        return Err(ApiError::invalid_field(
            "new_password",
            "must differ from the current password",
        ));
    }
    let wrong_current = || {
        ApiError::forbidden("the current password is wrong")
            .with_details(json!({ "field": "current_password" }))
    };
    // No password that long can be the current one: refused without hashing.
    if request
        .current_password
        .chars()
        .take(password::MAX_LEN + 1)
        .count()
        > password::MAX_LEN
    {
        return Err(wrong_current());
    }

    let credentials = store::find_credentials(state.db.reader(), Login::Id(identity.user_id))
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::unauthorized("this account no longer exists"))?;
    let stored = Some(credentials.password_hash.as_str());
    if !state
        .hasher
        .verify(&request.current_password, stored)
        .await?
    {
        return Err(wrong_current());
    }

    let password_hash = state.hasher.hash(&new_password).await?;
    let mut tx = state.db.begin().await?;
    store::set_password_hash(
        &mut *tx,
        identity.user_id,
        &password_hash,
        chorus_core::time::now(),
    )
    .await
    .map_err(ApiError::internal)?;
    let revoked = tokens::revoke_others(
        &mut tx,
        &state,
        identity.user_id,
        identity.session_id,
        RevokeReason::PasswordChanged,
    )
    .await?;
    tx.commit().await.map_err(ApiError::internal)?;
    tokens::after_revoking(&state, &revoked).await?;

    tracing::info!(sessions_revoked = revoked.len(), "password changed");
    Ok(StatusCode::NO_CONTENT)
}
