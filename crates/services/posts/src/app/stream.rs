//! A post's comments as they happen: what `GET /api/v1/posts/{id}/comments/stream`
//! sends.
//!
//! Gapless resume: the stream subscribes to the post's pub/sub channel
//! first, then reads what it missed from storage (comments still there,
//! deletions from the log), then goes live; a live change that the replay
//! already showed is skipped by its event id.

use std::collections::{HashMap, HashSet};

use chorus_core::{ApiError, ApiResult, Id};
use futures::StreamExt;
use futures::stream::{self, BoxStream};

use super::access::blocked;
use super::{Posts, db_error};
use crate::live::LiveComment;
use crate::store::{self, Deletion};
use crate::views::CommentView;

/// Rows read per query while replaying.
const REPLAY_PAGE: u32 = 500;

impl Posts {
    /// `viewer`'s stream of `post`'s comment changes, after replaying those
    /// since `last_event_id`. 404 if `viewer` may not see the post.
    pub async fn comment_stream(
        &self,
        viewer: Option<Id>,
        post: Id,
        last_event_id: Option<Id>,
    ) -> ApiResult<BoxStream<'static, LiveComment>> {
        let post = self.visible_post(viewer, post).await?.id;
        let changes = self.live().subscribe(post).await.map_err(|error| {
            tracing::warn!(error = %format!("{error:#}"), "cannot follow a post's comments");
            let mut error = ApiError::unavailable("live comments are unavailable right now");
            error.retry_after = Some(1);
            error
        })?;
        let replay = match last_event_id {
            Some(after) => self.replay(viewer, post, after).await?,
            None => Vec::new(),
        };
        let live = Live {
            posts: self.clone(),
            viewer,
            changes,
            replayed: replay.iter().map(LiveComment::event_id).collect(),
            hidden: HashMap::new(),
        };
        let live = stream::unfold(live, |mut live| async move {
            let change = live.next().await?;
            Some((change, live))
        });
        Ok(stream::iter(replay).chain(live).boxed())
    }

    /// What happened on `post` after event `after`, in event id order:
    /// comments still there (as the comments list shows them to `viewer`),
    /// and deletions of comments the client may have seen.
    async fn replay(&self, viewer: Option<Id>, post: Id, after: Id) -> ApiResult<Vec<LiveComment>> {
        let mut changes = Vec::new();
        let mut cursor = after;
        loop {
            let rows =
                store::post_comments(self.db().reader(), post, Some(cursor.as_i64()), REPLAY_PAGE)
                    .await
                    .map_err(db_error)?;
            let done = rows.len() < REPLAY_PAGE as usize;
            let Some(last) = rows.last() else { break };
            cursor = last.id;
            let shown = self.shown_comments(viewer, rows).await?;
            let added = shown.iter().map(added).collect::<ApiResult<Vec<_>>>()?;
            changes.extend(added);
            if done {
                break;
            }
        }
        let mut cursor = after;
        loop {
            let rows = store::deletions_after(self.db().reader(), post, cursor, REPLAY_PAGE)
                .await
                .map_err(db_error)?;
            let done = rows.len() < REPLAY_PAGE as usize;
            let Some(last) = rows.last() else { break };
            cursor = last.event_id;
            // A comment made after `after` and gone since was never seen: nothing to take back.
            changes.extend(
                rows.into_iter()
                    .filter(|deletion| deletion.comment_id <= after)
                    .map(|deletion| deleted(post, deletion)),
            );
            if done {
                break;
            }
        }
        changes.sort_by_key(LiveComment::event_id);
        Ok(changes)
    }

    /// After a new comment committed: to every stream of its post.
    pub(super) async fn publish_added(&self, comment: &CommentView) {
        match LiveComment::added(comment) {
            Ok(change) => self.live().publish(comment.post_id, &change).await,
            Err(error) => tracing::warn!(%error, "could not encode a new comment"),
        }
    }

    /// After a deletion committed: to every stream of its post.
    pub(super) async fn publish_deleted(&self, post: Id, deletion: Deletion) {
        self.live().publish(post, &deleted(post, deletion)).await;
    }
}

fn added(comment: &CommentView) -> ApiResult<LiveComment> {
    LiveComment::added(comment).map_err(ApiError::internal)
}

fn deleted(post: Id, deletion: Deletion) -> LiveComment {
    LiveComment::Deleted {
        event_id: deletion.event_id,
        id: deletion.comment_id,
        post_id: post,
    }
}

/// The live part of one stream.
struct Live {
    posts: Posts,
    viewer: Option<Id>,
    changes: BoxStream<'static, LiveComment>,
    /// Event ids the replay sent; each is skipped once if it also arrives live.
    replayed: HashSet<Id>,
    /// Whether each author met so far is hidden from the viewer by a block.
    hidden: HashMap<Id, bool>,
}

impl Live {
    async fn next(&mut self) -> Option<LiveComment> {
        loop {
            let change = self.changes.next().await?;
            if self.replayed.remove(&change.event_id()) {
                continue;
            }
            if let LiveComment::Added { author_id, .. } = &change
                && self.hides(*author_id).await
            {
                continue;
            }
            return Some(change);
        }
    }

    /// Is `author` blocked either way with the viewer? As the comments list,
    /// asked once per author for the stream's life. When users cannot say,
    /// the comment is left out (and the author asked again next time).
    async fn hides(&mut self, author: Id) -> bool {
        let Some(viewer) = self.viewer.filter(|viewer| *viewer != author) else {
            return false;
        };
        if let Some(hidden) = self.hidden.get(&author) {
            return *hidden;
        }
        match self.posts.users().relations(viewer, &[author]).await {
            Ok(relations) => {
                let hidden = blocked(&relations, author);
                self.hidden.insert(author, hidden);
                hidden
            }
            Err(error) => {
                tracing::warn!(error = %error.message, "cannot check a comment's author; left out of the stream");
                true
            }
        }
    }
}
