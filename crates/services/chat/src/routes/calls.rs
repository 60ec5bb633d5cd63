//! `/api/v1/conversations/{id}/calls` and `/api/v1/calls/ice-servers`.

use axum::extract::State;
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity, Json, Page, PageRequest};

use super::{AppState, ConversationId, ListPage};
use crate::app::views::{CallView, IceServers};

/// A conversation's call sessions, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{id}/calls",
    tag = "chat",
    operation_id = "chat_list_calls",
    params(("id" = String, Path, description = "The conversation's id"), PageRequest),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of call sessions", body = Page<CallView>),
        (status = 400, description = "A bad `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such conversation, or not a member", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, conversation = %id))]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
    ConversationId(id): ConversationId,
    ListPage(page): ListPage,
) -> Result<Json<Page<CallView>>, ApiError> {
    Ok(Json(state.chat.calls(identity.user_id, id, page).await?))
}

/// The STUN/TURN servers a client hands to WebRTC (`iceServers`).
#[utoipa::path(
    get,
    path = "/api/v1/calls/ice-servers",
    tag = "chat",
    operation_id = "chat_ice_servers",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The configured servers", body = IceServers),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub async fn ice_servers(
    State(state): State<AppState>,
    _identity: Identity,
) -> Result<Json<IceServers>, ApiError> {
    Ok(Json(IceServers {
        ice_servers: state.chat.config().ice_servers.clone(),
    }))
}
