//! The REST routes: thin handlers over the application layer
//! ([`crate::app::Chat`]), one file per area, and the extractors they share.

pub mod calls;
pub mod conversations;
pub mod messages;

use axum::extract::{FromRef, FromRequestParts, Path};
use axum::routing::{get, post};
use axum::{Router, middleware};
pub use chorus_core::ListPage;
use chorus_core::private::private_answers;
use chorus_core::{ApiError, Id, IdentityKey};
use http::request::Parts;

use crate::app::Chat;

pub const CONVERSATIONS: &str = "/api/v1/conversations";
pub const CONVERSATION: &str = "/api/v1/conversations/{id}";
pub const MESSAGES: &str = "/api/v1/conversations/{id}/messages";
pub const READ: &str = "/api/v1/conversations/{id}/read";
pub const CALLS: &str = "/api/v1/conversations/{id}/calls";
pub const ICE_SERVERS: &str = "/api/v1/calls/ice-servers";

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub chat: Chat,
    pub identity_key: IdentityKey,
}

impl FromRef<AppState> for IdentityKey {
    fn from_ref(state: &AppState) -> Self {
        state.identity_key.clone()
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            CONVERSATIONS,
            post(conversations::create).get(conversations::list),
        )
        .route(CONVERSATION, get(conversations::get))
        .route(MESSAGES, get(messages::list).post(messages::send))
        .route(READ, post(messages::mark_read))
        .route(CALLS, get(calls::list))
        .route(ICE_SERVERS, get(calls::ice_servers))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(middleware::map_response(private_answers))
        .with_state(state)
}

/// The `{id}` of a conversation in a path. Whatever is not an id names nothing: 404.
pub struct ConversationId(pub Id);

impl<S: Send + Sync> FromRequestParts<S> for ConversationId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let not_found = crate::app::no_such_conversation;
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| not_found())?;
        raw.parse().map(ConversationId).map_err(|_| not_found())
    }
}
