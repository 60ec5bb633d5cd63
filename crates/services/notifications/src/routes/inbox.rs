//! The list, the unread count and read marks.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chorus_core::error::ErrorBody;
use chorus_core::{ApiError, Identity, Json, Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{AppState, NotificationId};
use crate::app::NotificationView;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListRequest {
    /// Items per page: 1 to 100, default 20.
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `true`: unread ones only.
    pub unread: Option<String>,
}

/// `{"count": n}`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = UnreadNotificationCount)]
pub struct UnreadCount {
    pub count: i64,
}

/// `{"updated": n}`: how many were unread.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = NotificationsMarkedRead)]
pub struct ReadAll {
    pub updated: u64,
}

fn unread_only(raw: Option<&str>) -> Result<bool, ApiError> {
    match raw {
        None | Some("") | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(ApiError::invalid_field("unread", "must be true or false")),
    }
}

/// The caller's notifications, newest activity first; a group moves up
/// when someone joins it.
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    tag = "notifications",
    operation_id = "notifications_list",
    params(ListRequest),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "A page of notifications", body = Page<NotificationView>),
        (status = 400, description = "A bad `limit`, `unread` or `cursor`", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id))]
pub async fn list(
    State(state): State<AppState>,
    identity: Identity,
    query: Result<Query<ListRequest>, QueryRejection>,
) -> Result<Json<Page<NotificationView>>, ApiError> {
    let Query(request) = query.map_err(|rejection| ApiError::validation(rejection.body_text()))?;
    let unread = unread_only(request.unread.as_deref())?;
    let page = PageRequest {
        limit: request.limit,
        cursor: request.cursor,
    }
    .parse()?;
    let notifications = &state.notifications;
    Ok(Json(
        notifications.list(identity.user_id, unread, page).await?,
    ))
}

/// How many of the caller's notifications are unread.
#[utoipa::path(
    get,
    path = "/api/v1/notifications/unread-count",
    tag = "notifications",
    operation_id = "notifications_unread_count",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The count", body = UnreadCount),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
pub async fn unread_count(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<UnreadCount>, ApiError> {
    let count = state.notifications.unread_count(identity.user_id).await?;
    Ok(Json(UnreadCount { count }))
}

/// Marks one notification read (again is fine): the notification.
#[utoipa::path(
    post,
    path = "/api/v1/notifications/{id}/read",
    tag = "notifications",
    operation_id = "notifications_read",
    params(("id" = String, Path, description = "The notification")),
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "Read", body = NotificationView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such notification of the caller's", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id, id = %id))]
pub async fn read(
    State(state): State<AppState>,
    identity: Identity,
    NotificationId(id): NotificationId,
) -> Result<Json<NotificationView>, ApiError> {
    Ok(Json(
        state.notifications.mark_read(identity.user_id, id).await?,
    ))
}

/// Marks every notification of the caller read.
#[utoipa::path(
    post,
    path = "/api/v1/notifications/read-all",
    tag = "notifications",
    operation_id = "notifications_read_all",
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "How many were unread", body = ReadAll),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %identity.user_id))]
pub async fn read_all(
    State(state): State<AppState>,
    identity: Identity,
) -> Result<Json<ReadAll>, ApiError> {
    let updated = state.notifications.mark_all_read(identity.user_id).await?;
    Ok(Json(ReadAll { updated }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_takes_true_or_false_only() {
        assert_eq!(unread_only(None).ok(), Some(false));
        assert_eq!(unread_only(Some("true")).ok(), Some(true));
        assert_eq!(unread_only(Some("false")).ok(), Some(false));
        assert!(unread_only(Some("yes")).is_err());
    }
}
