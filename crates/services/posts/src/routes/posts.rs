//! `/api/v1/posts` and `/api/v1/users/{id}/posts`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity, Json, MaybeIdentity, Page, PageRequest};
use http::StatusCode;

use super::{page, path_id};
use crate::state::AppState;
use crate::views::{NewPost, PostEdit, PostView};

/// Write a post, or repost one (`repost_of`).
#[utoipa::path(
    post,
    path = "/api/v1/posts",
    tag = "posts",
    operation_id = "posts_create",
    security(("bearer" = []), ("cookie" = [])),
    request_body = NewPost,
    responses(
        (status = 201, description = "The post, as its author sees it", body = PostView),
        (status = 400, description = "Empty or too long content, unknown visibility, more than 10 media, a media that is not the author's, a repost of a post that is not public", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "The reposted post does not exist or is hidden", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    identity: Identity,
    Json(input): Json<NewPost>,
) -> Result<(StatusCode, Json<PostView>), ApiError> {
    let post = state.posts.create_post(identity.user_id, input).await?;
    Ok((StatusCode::CREATED, Json(post)))
}

/// A post, if the caller may see it.
#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}",
    tag = "posts",
    operation_id = "posts_get",
    params(("id" = String, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post", body = PostView),
        (status = 404, description = "No such post, or hidden from the caller", body = ErrorBody),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    MaybeIdentity(identity): MaybeIdentity,
    Path(id): Path<String>,
) -> Result<Json<PostView>, ApiError> {
    let id = path_id(&id, "post")?;
    let viewer = identity.map(|i| i.user_id);
    Ok(Json(state.posts.get_post(viewer, id).await?))
}

/// Change a post's content or visibility (its author only).
#[utoipa::path(
    patch,
    path = "/api/v1/posts/{id}",
    tag = "posts",
    operation_id = "posts_edit",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, description = "The post's id")),
    request_body = PostEdit,
    responses(
        (status = 200, description = "The edited post", body = PostView),
        (status = 400, description = "Empty or too long content, unknown visibility", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not the author", body = ErrorBody),
        (status = 404, description = "No such post, or hidden from the caller", body = ErrorBody),
    )
)]
pub async fn edit(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
    Json(edit): Json<PostEdit>,
) -> Result<Json<PostView>, ApiError> {
    let id = path_id(&id, "post")?;
    Ok(Json(
        state.posts.edit_post(identity.user_id, id, edit).await?,
    ))
}

/// Delete a post with its comments and reactions (its author only).
#[utoipa::path(
    delete,
    path = "/api/v1/posts/{id}",
    tag = "posts",
    operation_id = "posts_delete",
    security(("bearer" = []), ("cookie" = [])),
    params(("id" = String, Path, description = "The post's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not the author", body = ErrorBody),
        (status = 404, description = "No such post, or hidden from the caller", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    identity: Identity,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "post")?;
    state.posts.delete_post(identity.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A user's posts, newest first, as the caller may see them.
#[utoipa::path(
    get,
    path = "/api/v1/users/{id}/posts",
    tag = "posts",
    operation_id = "posts_user_timeline",
    params(("id" = String, Path, description = "The user's id"), PageRequest),
    responses(
        (status = 200, description = "A page of posts", body = Page<PostView>),
        (status = 400, description = "A bad limit or a cursor this list did not give out", body = ErrorBody),
        (status = 404, description = "No such user, or hidden from the caller", body = ErrorBody),
    )
)]
pub async fn user_posts(
    State(state): State<AppState>,
    MaybeIdentity(identity): MaybeIdentity,
    Path(id): Path<String>,
    query: Result<Query<PageRequest>, QueryRejection>,
) -> Result<Json<Page<PostView>>, ApiError> {
    let author = path_id(&id, "user")?;
    let page = page(query)?;
    let viewer = identity.map(|i| i.user_id);
    Ok(Json(state.posts.user_posts(viewer, author, page).await?))
}
