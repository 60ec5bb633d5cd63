//! `/api/v1/conversations` and `/api/v1/conversations/{id}`.

use axum::extract::State;
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Id, Identity, Json, Page, PageRequest};
use http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{AppState, ConversationId, ListPage};
use crate::app::views::ConversationView;

/// `{member_ids, title?}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversation {
    /// The other members (the caller is added).
    #[schema(value_type = Vec<String>)]
    pub member_ids: Vec<Id>,
    /// A group's name; with one other member and no title the conversation is direct.
    #[serde(default)]
    pub title: Option<String>,
}

/// Start a conversation: direct with one other member and no title (asking
/// again answers the same one, 200), a group otherwise.
#[utoipa::path(
    post,
    path = "/api/v1/conversations",
    tag = "chat",
    operation_id = "chat_create_conversation",
    security(("bearer" = []), ("cookie" = [])),
    request_body = NewConversation,
    responses(
        (status = 201, description = "Created", body = ConversationView),
        (status = 200, description = "The pair's existing direct conversation", body = ConversationView),
        (status = 400, description = "No other member, too many, or a title too long", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "A member does not exist, or a block stands between you", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id))]
pub async fn create(
    State(state): State<AppState>,
    identity: Identity,
    Json(input): Json<NewConversation>,
) -> Result<(StatusCode, Json<ConversationView>), ApiError> {
    let (conversation, created) = state
        .chat
        .start_conversation(identity.user_id, &input.member_ids, input.title.as_deref())
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(conversation)))
}

/// The caller's conversations, most recent activity first.
#[utoipa::path(
    get,
    path = "/api/v1/conversations",
    tag = "chat",
    operation_id = "chat_list_conversations",
    params(PageRequest),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of conversations", body = Page<ConversationView>),
        (status = 400, description = "A bad `limit` or `cursor`", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id))]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
    ListPage(page): ListPage,
) -> Result<Json<Page<ConversationView>>, ApiError> {
    Ok(Json(
        state.chat.conversations(identity.user_id, page).await?,
    ))
}

/// One of the caller's conversations.
#[utoipa::path(
    get,
    path = "/api/v1/conversations/{id}",
    tag = "chat",
    operation_id = "chat_get_conversation",
    params(("id" = String, Path, description = "The conversation's id")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The conversation", body = ConversationView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such conversation, or not a member", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, conversation = %id))]
pub async fn get(
    State(state): State<AppState>,
    identity: Identity,
    ConversationId(id): ConversationId,
) -> Result<Json<ConversationView>, ApiError> {
    Ok(Json(state.chat.conversation(identity.user_id, id).await?))
}
