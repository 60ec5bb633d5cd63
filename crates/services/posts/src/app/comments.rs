//! Comments: threaded, counted exactly, visible as their post is.

use chorus_core::time::{from_micros, now, to_micros};
use chorus_core::{ApiError, ApiResult, Cursor, Id, Page, PageQuery};
use chorus_ports::outbox;

use super::access::blocked;
use super::{Posts, card_map, comment_not_found, db_error, distinct, post_not_found};
use crate::domain::content;
use crate::events;
use crate::store::{self, CommentRecord, Deletion};
use crate::views::{CommentView, NewComment};

impl Posts {
    pub async fn add_comment(
        &self,
        author: Id,
        post: Id,
        input: NewComment,
    ) -> ApiResult<CommentView> {
        let content = content::comment_content(&input.content)?;
        let post = self.visible_post(Some(author), post).await?;
        let mentions = self.resolve_mentions(&content).await?;
        let card = self.own_card(author).await?;
        let comment = CommentRecord {
            id: self.ids().next_id(),
            post_id: post.id,
            author_id: author,
            parent_id: input.parent_id,
            content,
            created_at: from_micros(to_micros(now())),
            edited_at: None,
        };

        let mut tx = self.db().begin().await?;
        // First: counts the comment and makes other comment writes on this post wait.
        if !store::add_comments(&mut *tx, post.id, 1)
            .await
            .map_err(db_error)?
        {
            return Err(post_not_found());
        }
        let parent_author = match comment.parent_id {
            None => None,
            Some(parent) => {
                let parent = store::find_comment(&mut *tx, parent)
                    .await
                    .map_err(db_error)?
                    .filter(|parent| parent.post_id == post.id)
                    .ok_or_else(|| {
                        ApiError::invalid_field("parent_id", "no such comment on this post")
                    })?;
                Some(parent.author_id)
            }
        };
        store::insert_comment(&mut *tx, &comment)
            .await
            .map_err(db_error)?;
        let event = events::comment_created(self.ids(), &comment, &post, parent_author, &mentions);
        outbox::enqueue(&mut tx, &event).await?;
        tx.commit().await.map_err(db_error)?;
        let view = comment_view(comment, card);
        self.publish_added(&view).await;
        self.events_committed().await;
        Ok(view)
    }

    /// Oldest first; comments by users blocked either way with the viewer are
    /// left out (a page may then hold fewer than `limit`).
    pub async fn comments(
        &self,
        viewer: Option<Id>,
        post: Id,
        page: PageQuery,
    ) -> ApiResult<Page<CommentView>> {
        let after = page.cursor.as_ref().map(|c| c.as_i64()).transpose()?;
        let post = self.visible_post(viewer, post).await?;
        let limit = page.limit.max(1);
        let mut rows = store::post_comments(self.db().reader(), post.id, after, limit + 1)
            .await
            .map_err(db_error)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        // From the last row read, shown or not, so that the next page goes on from there.
        let next_cursor = match more {
            true => rows.last().map(|last| Cursor::encode(last.id.to_string())),
            false => None,
        };
        let items = self.shown_comments(viewer, rows).await?;
        Ok(Page { items, next_cursor })
    }

    /// `rows` as `viewer` is shown them: without those by users blocked
    /// either way, each with its author's card.
    pub(super) async fn shown_comments(
        &self,
        viewer: Option<Id>,
        mut rows: Vec<CommentRecord>,
    ) -> ApiResult<Vec<CommentView>> {
        let relations = self
            .relations(viewer, rows.iter().map(|c| c.author_id))
            .await?;
        rows.retain(|comment| !blocked(&relations, comment.author_id));
        let authors = distinct(rows.iter().map(|c| c.author_id));
        let cards = match authors.is_empty() {
            true => Default::default(),
            false => card_map(self.users().cards(&authors).await?),
        };
        Ok(rows
            .into_iter()
            .filter_map(|comment| {
                let card = cards.get(&comment.author_id)?.clone();
                Some(comment_view(comment, card))
            })
            .collect())
    }

    /// Only the comment's author may edit it (403 to others who see the post).
    pub async fn edit_comment(
        &self,
        editor: Id,
        id: Id,
        content: String,
    ) -> ApiResult<CommentView> {
        let mut comment = self.comment_on_visible_post(editor, id).await?.0;
        if comment.author_id != editor {
            return Err(ApiError::forbidden("only its author may edit a comment"));
        }
        comment.content = content::comment_content(&content)?;
        comment.edited_at = Some(from_micros(to_micros(now())));
        let card = self.own_card(editor).await?;
        let edited_at = comment.edited_at.unwrap_or_else(now);
        let edited = store::edit_comment(self.db().writer(), id, &comment.content, edited_at)
            .await
            .map_err(db_error)?;
        if !edited {
            return Err(comment_not_found());
        }
        Ok(comment_view(comment, card))
    }

    /// The comment's author or the post's author may delete it; its replies
    /// go with it, and the post's comment count drops by as many.
    pub async fn delete_comment(&self, editor: Id, id: Id) -> ApiResult<()> {
        let (comment, post) = self.comment_on_visible_post(editor, id).await?;
        if comment.author_id != editor && post.author_id != editor {
            return Err(ApiError::forbidden(
                "only the comment's author or the post's author may delete it",
            ));
        }
        let mut tx = self.db().begin().await?;
        // First: locks the post's comments, so no reply slips in uncounted.
        if !store::add_comments(&mut *tx, post.id, 0)
            .await
            .map_err(db_error)?
        {
            return Err(comment_not_found());
        }
        let thread = store::comment_thread(&mut *tx, id)
            .await
            .map_err(db_error)?;
        if !store::delete_comment(&mut *tx, id)
            .await
            .map_err(db_error)?
        {
            return Err(comment_not_found());
        }
        store::add_comments(&mut *tx, post.id, -(thread.len() as i64))
            .await
            .map_err(db_error)?;
        let deleted_at = now();
        let mut deletions = Vec::with_capacity(thread.len());
        for removed in thread {
            // Logged for comments streams that resume after missing it.
            let deletion = Deletion {
                event_id: self.ids().next_id(),
                comment_id: removed.0,
            };
            store::log_deletion(&mut *tx, post.id, deletion, deleted_at)
                .await
                .map_err(db_error)?;
            deletions.push(deletion);
            outbox::enqueue(
                &mut tx,
                &events::comment_deleted(self.ids(), removed, &post, editor),
            )
            .await?;
        }
        tx.commit().await.map_err(db_error)?;
        for deletion in deletions {
            self.publish_deleted(post.id, deletion).await;
        }
        self.events_committed().await;
        Ok(())
    }

    /// A comment and its post, if `viewer` may see the post; 404 otherwise.
    async fn comment_on_visible_post(
        &self,
        viewer: Id,
        id: Id,
    ) -> ApiResult<(CommentRecord, store::PostRecord)> {
        let comment = store::find_comment(self.db().reader(), id)
            .await
            .map_err(db_error)?
            .ok_or_else(comment_not_found)?;
        let post = self
            .visible_post(Some(viewer), comment.post_id)
            .await
            .map_err(|error| match error.status {
                http::StatusCode::NOT_FOUND => comment_not_found(),
                _ => error,
            })?;
        Ok((comment, post))
    }
}

fn comment_view(comment: CommentRecord, author: chorus_rpc::users::UserCard) -> CommentView {
    CommentView {
        id: comment.id,
        post_id: comment.post_id,
        author,
        content: comment.content,
        parent_id: comment.parent_id,
        created_at: comment.created_at,
        edited_at: comment.edited_at,
    }
}
