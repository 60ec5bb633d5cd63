//! `/api/v1/posts/{id}/reactions`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity, Json, MaybeIdentity, Page, PageRequest};

use super::{page, path_id};
use crate::state::AppState;
use crate::views::{ReactionSummary, ReactionView};

/// React to a post; reacting again with the same kind changes nothing.
#[utoipa::path(
    put,
    path = "/api/v1/posts/{id}/reactions/{kind}",
    tag = "posts",
    operation_id = "posts_react",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("id" = String, Path, description = "The post's id"),
        ("kind" = String, Path, description = "like, love, haha, wow, sad, angry, fire or clap"),
    ),
    responses(
        (status = 200, description = "The post's reactions now", body = ReactionSummary),
        (status = 400, description = "An unknown kind", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such post, or hidden from the caller", body = ErrorBody),
    )
)]
pub async fn react(
    State(state): State<AppState>,
    identity: Identity,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Json<ReactionSummary>, ApiError> {
    let post = path_id(&id, "post")?;
    Ok(Json(
        state.posts.react(identity.user_id, post, &kind).await?,
    ))
}

/// Take a reaction back; taking back one that is not there changes nothing.
#[utoipa::path(
    delete,
    path = "/api/v1/posts/{id}/reactions/{kind}",
    tag = "posts",
    operation_id = "posts_unreact",
    security(("bearer" = []), ("cookie" = [])),
    params(
        ("id" = String, Path, description = "The post's id"),
        ("kind" = String, Path, description = "like, love, haha, wow, sad, angry, fire or clap"),
    ),
    responses(
        (status = 200, description = "The post's reactions now", body = ReactionSummary),
        (status = 400, description = "An unknown kind", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such post, or hidden from the caller", body = ErrorBody),
    )
)]
pub async fn unreact(
    State(state): State<AppState>,
    identity: Identity,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Json<ReactionSummary>, ApiError> {
    let post = path_id(&id, "post")?;
    Ok(Json(
        state.posts.unreact(identity.user_id, post, &kind).await?,
    ))
}

/// Who reacted to a post, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}/reactions",
    tag = "posts",
    operation_id = "posts_reactions",
    params(("id" = String, Path, description = "The post's id"), PageRequest),
    responses(
        (status = 200, description = "A page of reactions", body = Page<ReactionView>),
        (status = 400, description = "A bad limit or cursor", body = ErrorBody),
        (status = 404, description = "No such post, or hidden from the caller", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    MaybeIdentity(identity): MaybeIdentity,
    Path(id): Path<String>,
    query: Result<Query<PageRequest>, QueryRejection>,
) -> Result<Json<Page<ReactionView>>, ApiError> {
    let post = path_id(&id, "post")?;
    let page = page(query)?;
    let viewer = identity.map(|i| i.user_id);
    Ok(Json(state.posts.reactions(viewer, post, page).await?))
}
