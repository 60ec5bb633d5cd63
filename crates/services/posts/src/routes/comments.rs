//! `/api/v1/posts/{id}/comments` and `/api/v1/comments/{id}`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity, Json, MaybeIdentity, Page, PageRequest};
use http::StatusCode;

use super::{page, path_id};
use crate::state::AppState;
use crate::views::{CommentEdit, CommentView, NewComment};

/// Comment on a post, or answer a comment (`parent_id`).
#[utoipa::path(
    post,
    path = "/api/v1/posts/{id}/comments",
    tag = "posts",
    operation_id = "posts_comment",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, description = "The post's id")),
    request_body = NewComment,
    responses(
        (status = 201, description = "The comment", body = CommentView),
        (status = 400, description = "Empty or too long content; a parent that is not a comment of this post", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such post, or hidden from the caller", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
    Json(input): Json<NewComment>,
) -> Result<(StatusCode, Json<CommentView>), ApiError> {
    let post = path_id(&id, "post")?;
    let comment = state
        .posts
        .add_comment(identity.user_id, post, input)
        .await?;
    Ok((StatusCode::CREATED, Json(comment)))
}

/// A post's comments, oldest first; replies carry `parent_id`.
#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}/comments",
    tag = "posts",
    operation_id = "posts_comments",
    params(("id" = String, Path, description = "The post's id"), PageRequest),
    responses(
        (status = 200, description = "A page of comments", body = Page<CommentView>),
        (status = 400, description = "A bad limit or cursor", body = ErrorBody),
        (status = 404, description = "No such post, or hidden from the caller", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    MaybeIdentity(identity): MaybeIdentity,
    Path(id): Path<String>,
    query: Result<Query<PageRequest>, QueryRejection>,
) -> Result<Json<Page<CommentView>>, ApiError> {
    let post = path_id(&id, "post")?;
    let page = page(query)?;
    let viewer = identity.map(|i| i.user_id);
    Ok(Json(state.posts.comments(viewer, post, page).await?))
}

/// Change a comment's text (its author only).
#[utoipa::path(
    patch,
    path = "/api/v1/comments/{id}",
    tag = "posts",
    operation_id = "posts_comment_edit",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, description = "The comment's id")),
    request_body = CommentEdit,
    responses(
        (status = 200, description = "The edited comment", body = CommentView),
        (status = 400, description = "Empty or too long content", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not the comment's author", body = ErrorBody),
        (status = 404, description = "No such comment, or its post is hidden from the caller", body = ErrorBody),
    )
)]
pub async fn edit(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
    Json(edit): Json<CommentEdit>,
) -> Result<Json<CommentView>, ApiError> {
    let id = path_id(&id, "comment")?;
    let comment = state
        .posts
        .edit_comment(identity.user_id, id, edit.content)
        .await?;
    Ok(Json(comment))
}

/// Delete a comment and its replies (its author or the post's author).
#[utoipa::path(
    delete,
    path = "/api/v1/comments/{id}",
    tag = "posts",
    operation_id = "posts_comment_delete",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, description = "The comment's id")),
    responses(
        (status = 204, description = "Deleted, with its replies"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Neither the comment's nor the post's author", body = ErrorBody),
        (status = 404, description = "No such comment, or its post is hidden from the caller", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "comment")?;
    state.posts.delete_comment(identity.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
