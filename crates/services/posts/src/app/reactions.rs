//! Reactions: one per (post, user, kind), counted exactly.

use chorus_core::time::{from_micros, now, to_micros};
use chorus_core::{ApiResult, Cursor, Id, Page, PageQuery};
use chorus_ports::outbox;
use sqlx::{Any, Transaction};

use super::access::blocked;
use super::{Posts, card_map, db_error, distinct, post_not_found, sort_kinds};
use crate::domain::reaction::reaction_kind;
use crate::events;
use crate::store::{self, is_foreign_key_violation};
use crate::views::{ReactionSummary, ReactionView};

impl Posts {
    /// Adds `user`'s reaction of `kind`; doing it again changes nothing.
    pub async fn react(&self, user: Id, post: Id, kind: &str) -> ApiResult<ReactionSummary> {
        let kind = reaction_kind(kind)?;
        let post = self.visible_post(Some(user), post).await?;
        let at = from_micros(to_micros(now()));
        let mut tx = self.db().begin().await?;
        let inserted =
            store::insert_reaction(&mut *tx, post.id, user, kind, self.ids().next_id(), at)
                .await
                .map_err(|error| match is_foreign_key_violation(&error) {
                    true => post_not_found(),
                    false => db_error(error),
                })?;
        if inserted {
            store::add_to_count(&mut *tx, post.id, kind, 1)
                .await
                .map_err(db_error)?;
            outbox::enqueue(
                &mut tx,
                &events::post_reacted(self.ids(), &post, user, kind),
            )
            .await?;
        }
        let summary = summary(&mut tx, post.id, user).await?;
        tx.commit().await.map_err(db_error)?;
        if inserted {
            self.events_committed().await;
        }
        Ok(summary)
    }

    /// Takes back `user`'s reaction of `kind`; taking back none changes nothing.
    pub async fn unreact(&self, user: Id, post: Id, kind: &str) -> ApiResult<ReactionSummary> {
        let kind = reaction_kind(kind)?;
        let post = self.visible_post(Some(user), post).await?;
        let mut tx = self.db().begin().await?;
        let deleted = store::delete_reaction(&mut *tx, post.id, user, kind)
            .await
            .map_err(db_error)?;
        if deleted {
            store::add_to_count(&mut *tx, post.id, kind, -1)
                .await
                .map_err(db_error)?;
            outbox::enqueue(
                &mut tx,
                &events::post_unreacted(self.ids(), &post, user, kind),
            )
            .await?;
        }
        let summary = summary(&mut tx, post.id, user).await?;
        tx.commit().await.map_err(db_error)?;
        if deleted {
            self.events_committed().await;
        }
        Ok(summary)
    }

    /// Who reacted, newest first; users blocked either way with the viewer are left out.
    pub async fn reactions(
        &self,
        viewer: Option<Id>,
        post: Id,
        page: PageQuery,
    ) -> ApiResult<Page<ReactionView>> {
        let before = page.cursor.as_ref().map(|c| c.as_i64()).transpose()?;
        let post = self.visible_post(viewer, post).await?;
        let limit = page.limit.max(1);
        let mut rows = store::post_reactions(self.db().reader(), post.id, before, limit + 1)
            .await
            .map_err(db_error)?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = match more {
            true => rows.last().map(|last| Cursor::encode(last.id.to_string())),
            false => None,
        };
        let relations = self
            .relations(viewer, rows.iter().map(|r| r.user_id))
            .await?;
        rows.retain(|reaction| !blocked(&relations, reaction.user_id));
        let users = distinct(rows.iter().map(|r| r.user_id));
        let cards = match users.is_empty() {
            true => Default::default(),
            false => card_map(self.users().cards(&users).await?),
        };
        let items = rows
            .into_iter()
            .filter_map(|reaction| {
                Some(ReactionView {
                    user: cards.get(&reaction.user_id)?.clone(),
                    kind: reaction.kind,
                    created_at: reaction.created_at,
                })
            })
            .collect();
        Ok(Page { items, next_cursor })
    }
}

/// The post's counts and `user`'s kinds, as the transaction leaves them.
async fn summary(
    tx: &mut Transaction<'static, Any>,
    post: Id,
    user: Id,
) -> ApiResult<ReactionSummary> {
    let counts = store::counts(&mut **tx, post).await.map_err(db_error)?;
    let mut mine = store::kinds_of(&mut **tx, post, user)
        .await
        .map_err(db_error)?;
    sort_kinds(&mut mine);
    Ok(ReactionSummary { counts, mine })
}
