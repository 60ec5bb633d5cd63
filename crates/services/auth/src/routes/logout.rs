//! `POST /api/v1/auth/logout`: end the caller's session.

use axum::extract::State;
use axum_extra::extract::CookieJar;
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity};
use http::StatusCode;

use super::cookies::{self, SetCookies};
use crate::state::AppState;
use crate::tokens::{self, RevokeReason};

/// Revoke the caller's session: its access and refresh tokens stop working at
/// once, and the session cookies, if any, are cleared.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    operation_id = "auth_logout",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, session_id = %identity.session_id))]
pub async fn logout(
    State(state): State<AppState>,
    identity: Identity,
    jar: CookieJar,
) -> Result<(StatusCode, SetCookies), ApiError> {
    let mut tx = state.db.begin().await?;
    tokens::revoke(&mut tx, &state, identity.session_id, RevokeReason::Logout).await?;
    tx.commit().await.map_err(ApiError::internal)?;
    // Marked even when it was revoked already, so that a retried logout repairs a lost mark.
    tokens::after_revoking(&state, &[identity.session_id]).await?;

    tracing::info!("signed out");
    Ok((StatusCode::NO_CONTENT, cookies::clear(&state, &jar)))
}
