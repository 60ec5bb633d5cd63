//! Which types of notification the caller wants.

use axum::extract::State;
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity, Json};

use super::AppState;
use crate::app::{PreferencesChange, PreferencesView};

/// Every notification type and whether the caller gets it (all on by default).
#[utoipa::path(
    get,
    path = "/api/v1/notifications/preferences",
    tag = "notifications",
    operation_id = "notifications_preferences",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The preferences", body = PreferencesView),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<PreferencesView>, ApiError> {
    Ok(Json(
        state.notifications.preferences(identity.user_id).await?,
    ))
}

/// Switches types on or off; types not listed stay as they are. A type
/// switched off is neither stored nor pushed from then on.
#[utoipa::path(
    patch,
    path = "/api/v1/notifications/preferences",
    tag = "notifications",
    operation_id = "notifications_update_preferences",
    request_body = PreferencesChange,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The preferences now", body = PreferencesView),
        (status = 400, description = "An unknown type, or a value that is not true or false", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id))]
pub async fn change(
    State(state): State<AppState>,
    identity: Identity,
    Json(change): Json<PreferencesChange>,
) -> Result<Json<PreferencesView>, ApiError> {
    Ok(Json(
        state
            .notifications
            .set_preferences(identity.user_id, change)
            .await?,
    ))
}
