//! `GET /api/v1/posts/{id}/comments/stream`: a post's comments live, as
//! server-sent events.

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Id, MaybeIdentity};
use futures::StreamExt;
use http::HeaderMap;
use http::header::HeaderName;
use serde_json::json;

use super::path_id;
use crate::live::LiveComment;
use crate::state::AppState;

const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");
/// Asks nginx-like proxies in front not to buffer the stream.
const X_ACCEL_BUFFERING: HeaderName = HeaderName::from_static("x-accel-buffering");

/// Follow a post's comments as they are added and deleted.
///
/// `comment_added` carries the comment as the comments list shows it, under
/// the comment's id; `comment_deleted` carries `{id, post_id}` under an event
/// id of its own. A `: heartbeat` comment line comes after each
/// `posts.sse_heartbeat_secs` of silence. Reconnecting with `Last-Event-ID`
/// first replays what happened since that event (comments still there,
/// deletions of the last 24 hours), then goes on live.
#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}/comments/stream",
    tag = "posts",
    operation_id = "posts_comments_stream",
    params(
        ("id" = String, Path, description = "The post's id"),
        ("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received, to resume after it"),
    ),
    responses(
        (status = 200, description = "An endless `text/event-stream` of `comment_added` and `comment_deleted` events", content_type = "text/event-stream", body = String),
        (status = 404, description = "No such post, or hidden from the caller", body = ErrorBody),
        (status = 503, description = "Live updates are unavailable right now", body = ErrorBody),
    )
)]
pub async fn stream(
    State(state): State<AppState>,
    MaybeIdentity(identity): MaybeIdentity,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let post = path_id(&id, "post")?;
    // Anything but an event id we sent cannot be resumed from: start afresh.
    let last_event_id = headers
        .get(LAST_EVENT_ID)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<Id>().ok());
    let viewer = identity.map(|identity| identity.user_id);
    let changes = state
        .posts
        .comment_stream(viewer, post, last_event_id)
        .await?;
    // A stream ends when the process stops taking requests, so that
    // shutdown does not wait for it; the client reconnects with Last-Event-ID.
    let events = changes
        .map(|change| Ok::<_, Infallible>(event(change)))
        .take_until(state.draining.clone().cancelled_owned());
    let keep_alive = KeepAlive::new()
        .interval(state.config.sse_heartbeat())
        .text("heartbeat");
    Ok((
        [(X_ACCEL_BUFFERING, "no")],
        Sse::new(events).keep_alive(keep_alive),
    )
        .into_response())
}

fn event(change: LiveComment) -> Event {
    match change {
        LiveComment::Added { id, comment, .. } => Event::default()
            .event("comment_added")
            .id(id.to_string())
            .data(comment.to_string()),
        LiveComment::Deleted {
            event_id,
            id,
            post_id,
        } => Event::default()
            .event("comment_deleted")
            .id(event_id.to_string())
            .data(json!({ "id": id, "post_id": post_id }).to_string()),
    }
}
