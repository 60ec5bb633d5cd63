//! Taking notifications back: a deleted post or comment, a block. What a
//! deleted comment or repost added to a group is withdrawn from it; a
//! notification left with no actor is deleted.

use chorus_core::Id;
use sqlx::AnyConnection;

use super::Notifications;
use crate::domain::{MAX_SHOWN_ACTORS, Subject};
use crate::store::{actors, notifications};

impl Notifications {
    /// `post.deleted`: every notification about the post or its comments,
    /// and its part in others (a repost in a repost group).
    pub(super) async fn forget_post(
        &self,
        conn: &mut AnyConnection,
        post: Id,
    ) -> anyhow::Result<()> {
        let deleted = notifications::delete_about_post(&mut *conn, post).await?;
        withdraw_source(conn, post).await?;
        tracing::debug!(post_id = %post, deleted, "notifications about a deleted post");
        Ok(())
    }

    /// `comment.deleted`: what the comment caused (a reply, mentions, its
    /// place in a comment group).
    pub(super) async fn forget_comment(
        &self,
        conn: &mut AnyConnection,
        comment: Id,
    ) -> anyhow::Result<()> {
        withdraw_source(conn, comment).await
    }

    /// `user.blocked`: each stops seeing what the other did.
    pub(super) async fn forget_between(
        &self,
        conn: &mut AnyConnection,
        blocker: Id,
        blocked: Id,
    ) -> anyhow::Result<()> {
        for (actor, recipient) in [(blocked, blocker), (blocker, blocked)] {
            let touched = actors::between(&mut *conn, actor, recipient).await?;
            actors::remove_between(&mut *conn, actor, recipient).await?;
            for notification in touched {
                refresh(&mut *conn, notification).await?;
            }
        }
        Ok(())
    }
}

async fn withdraw_source(conn: &mut AnyConnection, source: Id) -> anyhow::Result<()> {
    let touched = actors::with_source(&mut *conn, source).await?;
    actors::remove_source(&mut *conn, source).await?;
    for notification in touched {
        refresh(conn, notification).await?;
    }
    Ok(())
}

/// After actors were taken out: the notification shows who is left, or is
/// deleted when nobody is. A comment group points at its newest comment left.
async fn refresh(conn: &mut AnyConnection, notification: Id) -> anyhow::Result<()> {
    let newest = actors::newest(&mut *conn, notification, MAX_SHOWN_ACTORS).await?;
    let Some(&(_, newest_source)) = newest.first() else {
        notifications::delete(&mut *conn, notification).await?;
        return Ok(());
    };
    let Some(row) = notifications::find(&mut *conn, notification).await? else {
        return Ok(());
    };
    let mut subject = Subject::from_json(&row.subject)?;
    if subject.comment_id.is_some() && newest_source.is_some() {
        subject.comment_id = newest_source;
    }
    let shown: Vec<Id> = newest.iter().map(|(actor, _)| *actor).collect();
    let count = actors::count(&mut *conn, notification).await?;
    notifications::set_actors(&mut *conn, notification, &shown, count, &subject).await?;
    Ok(())
}
