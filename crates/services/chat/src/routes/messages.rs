//! `/api/v1/conversations/{id}/messages` and `…/read`.

use axum::extract::State;
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Id, Identity, Json, Page, PageRequest};
use http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{AppState, ConversationId, ListPage};
use crate::app::views::MessageView;

/// `{content}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    /// Trimmed; 1 to `chat.max_message_chars` (4000) characters.
    pub content: String,
}

/// `{message_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadUpTo {
    /// The newest message the caller has read.
    #[schema(value_type = String)]
    pub message_id: Id,
}

/// A conversation's messages, newest first; `next_cursor` leads to older ones.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{id}/messages",
    tag = "chat",
    operation_id = "chat_list_messages",
    params(("id" = String, Path, description = "The conversation's id"), PageRequest),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of messages", body = Page<MessageView>),
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
) -> Result<Json<Page<MessageView>>, ApiError> {
    Ok(Json(state.chat.messages(identity.user_id, id, page).await?))
}

/// Send a message: stored, then delivered live (`new_message`) to the
/// conversation's Socket.IO room.
#[utoipa::path(
    post,
    path = "/api/v1/conversations/{id}/messages",
    tag = "chat",
    operation_id = "chat_send_message",
    params(("id" = String, Path, description = "The conversation's id")),
    security(("bearer" = []), ("cookie" = [])),
    request_body = NewMessage,
    responses(
        (status = 201, description = "The message", body = MessageView),
        (status = 400, description = "Empty or too long", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "A direct conversation across a block", body = ErrorBody),
        (status = 404, description = "No such conversation, or not a member", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, conversation = %id))]
pub async fn send(
    State(state): State<AppState>,
    identity: Identity,
    ConversationId(id): ConversationId,
    Json(input): Json<NewMessage>,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let message = state
        .chat
        .send_message(identity.user_id, id, &input.content)
        .await?;
    Ok((StatusCode::CREATED, Json(message)))
}

/// Mark the conversation read up to a message (receipts never move back);
/// the room hears `message_read`.
#[utoipa::path(
    post,
    path = "/api/v1/conversations/{id}/read",
    tag = "chat",
    operation_id = "chat_mark_read",
    params(("id" = String, Path, description = "The conversation's id")),
    security(("bearer" = []), ("cookie" = [])),
    request_body = ReadUpTo,
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "A malformed `message_id`", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such conversation or message, or not a member", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, conversation = %id))]
pub async fn mark_read(
    State(state): State<AppState>,
    identity: Identity,
    ConversationId(id): ConversationId,
    Json(input): Json<ReadUpTo>,
) -> Result<StatusCode, ApiError> {
    state
        .chat
        .mark_read(identity.user_id, id, input.message_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
