//! `GET` and `DELETE /api/v1/media/{id}`.

use axum::extract::State;
use chorus_core::error::ErrorBody;
use chorus_core::{ApiResult, Identity, Json};
use http::StatusCode;

use super::{AppState, MediaId};
use crate::views::MediaView;

/// A media: where its bytes are, their type, size and dimensions. Public.
#[utoipa::path(
    get,
    path = "/api/v1/media/{id}",
    tag = "media",
    operation_id = "media_get",
    params(("id" = String, Path, description = "The media")),
    responses(
        (status = 200, description = "The media", body = MediaView),
        (status = 404, description = "No such media", body = ErrorBody),
    )
)]
pub async fn show(
    State(state): State<AppState>,
    MediaId(id): MediaId,
) -> ApiResult<Json<MediaView>> {
    Ok(Json(state.media.get(id).await?.into()))
}

/// Deletes one of the caller's media; its URL answers 404 from then on.
#[utoipa::path(
    delete,
    path = "/api/v1/media/{id}",
    tag = "media",
    operation_id = "media_delete",
    params(("id" = String, Path, description = "The media")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Someone else's media", body = ErrorBody),
        (status = 404, description = "No such media", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    identity: Identity,
    MediaId(id): MediaId,
) -> ApiResult<StatusCode> {
    state.media.delete(identity.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
