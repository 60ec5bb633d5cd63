//! The REST routes: thin handlers over the application layer
//! ([`crate::app::Notifications`]), and the extractors they share. Every
//! route needs a signed-in caller and answers only about their own
//! notifications.

pub mod inbox;
pub mod preferences;

use axum::extract::{FromRef, FromRequestParts, Path};
use axum::routing::{get, post};
use axum::{Router, middleware};
use chorus_core::private::private_answers;
use chorus_core::{ApiError, Id, IdentityKey};
use http::request::Parts;

use crate::app::Notifications;

pub const NOTIFICATIONS: &str = "/api/v1/notifications";
pub const UNREAD_COUNT: &str = "/api/v1/notifications/unread-count";
pub const READ: &str = "/api/v1/notifications/{id}/read";
pub const READ_ALL: &str = "/api/v1/notifications/read-all";
pub const PREFERENCES: &str = "/api/v1/notifications/preferences";

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub notifications: Notifications,
    pub identity_key: IdentityKey,
}

impl FromRef<AppState> for IdentityKey {
    fn from_ref(state: &AppState) -> Self {
        state.identity_key.clone()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(NOTIFICATIONS, get(inbox::list))
        .route(UNREAD_COUNT, get(inbox::unread_count))
        .route(READ, post(inbox::read))
        .route(READ_ALL, post(inbox::read_all))
        .route(
            PREFERENCES,
            get(preferences::show).patch(preferences::change),
        )
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(middleware::map_response(private_answers))
        .with_state(state)
}

/// The `{id}` of a notification in a path; whatever is not an id names nothing: 404.
pub struct NotificationId(pub Id);

impl<S: Send + Sync> FromRequestParts<S> for NotificationId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let not_found = || ApiError::not_found("no such notification");
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found())?;
        raw.parse().map(NotificationId).map_err(|_| not_found())
    }
}
