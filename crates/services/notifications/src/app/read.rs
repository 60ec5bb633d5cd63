//! What a recipient reads and marks: the list, the unread count, read
//! marks. Pages are cut on `(updated_at, id)`, newest activity first.

use chorus_core::{ApiError, ApiResult, Cursor, Id, Page, PageQuery};

use super::{NotificationView, Notifications, now_micros};
use crate::store::Position;
use crate::store::notifications::{self, NotificationRow};

fn bad_cursor() -> ApiError {
    ApiError::invalid_field("cursor", "not a cursor this list gave out")
}

fn no_such_notification() -> ApiError {
    ApiError::not_found("no such notification")
}

/// `"{updated_at µs}:{id}"`.
fn position(page: &PageQuery) -> ApiResult<Position> {
    let Some(Cursor(raw)) = &page.cursor else {
        return Ok(Position::START);
    };
    let (at, id) = raw.split_once(':').ok_or_else(bad_cursor)?;
    Ok(Position {
        at: at.parse().map_err(|_| bad_cursor())?,
        id: id.parse().map_err(|_| bad_cursor())?,
    })
}

impl Notifications {
    /// `me`'s notifications (only unread ones with `unread_only`).
    pub async fn list(
        &self,
        me: Id,
        unread_only: bool,
        page: PageQuery,
    ) -> ApiResult<Page<NotificationView>> {
        let after = position(&page)?;
        let rows = notifications::page(self.db().reader(), me, unread_only, after, page.limit + 1)
            .await
            .map_err(ApiError::internal)?;
        let rows = Page::from_overfetch(rows, page.limit, |row: &NotificationRow| {
            format!("{}:{}", row.updated_at, row.id)
        });
        Ok(Page {
            items: self.hydrate(rows.items).await?,
            next_cursor: rows.next_cursor,
        })
    }

    pub async fn unread_count(&self, me: Id) -> ApiResult<i64> {
        notifications::unread_count(self.db().reader(), me)
            .await
            .map_err(ApiError::internal)
    }

    /// Marks one of `me`'s notifications read (again is fine); 404 if it is
    /// not theirs.
    pub async fn mark_read(&self, me: Id, id: Id) -> ApiResult<NotificationView> {
        let writer = self.db().writer();
        notifications::mark_read(writer, me, id, now_micros())
            .await
            .map_err(ApiError::internal)?;
        let row = notifications::find_for(writer, me, id)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(no_such_notification)?;
        self.hydrate(vec![row])
            .await?
            .pop()
            .ok_or_else(no_such_notification)
    }

    /// Marks all of `me`'s notifications read: how many were unread.
    pub async fn mark_all_read(&self, me: Id) -> ApiResult<u64> {
        notifications::mark_all_read(self.db().writer(), me, now_micros())
            .await
            .map_err(ApiError::internal)
    }
}
