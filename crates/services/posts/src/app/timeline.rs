//! A user's timeline: their posts, newest first, as the viewer may see them.

use chorus_core::{ApiError, ApiResult, Id, Page, PageQuery};

use super::access::blocked;
use super::{Posts, db_error};
use crate::domain::Visibility;
use crate::store;
use crate::views::PostView;

impl Posts {
    /// 404 when the author does not exist or a block hides them; otherwise
    /// the posts `viewer` may see, `page.limit` at a time (cursor: last post id).
    pub async fn user_posts(
        &self,
        viewer: Option<Id>,
        author: Id,
        page: PageQuery,
    ) -> ApiResult<Page<PostView>> {
        let before = page.cursor.as_ref().map(|c| c.as_i64()).transpose()?;
        let cards = self.users().cards(&[author]).await?;
        if !cards.iter().any(|card| card.id == author) {
            return Err(ApiError::not_found("no such user"));
        }
        let relations = self.relations(viewer, [author]).await?;
        if blocked(&relations, author) {
            return Err(ApiError::not_found("no such user"));
        }
        let relation = viewer.map(|_| relations.get(&author).copied().unwrap_or_default());
        let visible = Visibility::visible_set(viewer, author, relation);

        let limit = page.limit.max(1);
        let mut rows = store::author_posts(self.db().reader(), author, &visible, before, limit + 1)
            .await
            .map_err(db_error)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = match more {
            true => rows
                .last()
                .map(|last| chorus_core::Cursor::encode(last.id.to_string())),
            false => None,
        };
        let items = self.hydrate_with(viewer, rows, cards).await?;
        Ok(Page { items, next_cursor })
    }
}
