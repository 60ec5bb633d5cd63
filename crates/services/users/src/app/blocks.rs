//! Blocking: each of the two is hidden from the other, and whatever tied
//! them (follows, requests, friendship) is undone.

use chorus_core::{ApiResult, Id};

use super::failure::{Attempt, retrying};
use super::{Users, stored_now};
use crate::events;
use crate::store::{blocks, follow_requests, friends};

const BLOCK_SELF: &str = "you cannot block yourself";

impl Users {
    /// Idempotent; events only when the block is new.
    pub async fn block(&self, me: Id, target: Id) -> ApiResult<()> {
        retrying(|| self.try_block(me, target)).await
    }

    async fn try_block(&self, me: Id, target: Id) -> Attempt<()> {
        let mut tx = self.begin().await?;
        self.lock_pair(&mut tx, me, target, BLOCK_SELF).await?;
        if !blocks::insert(&mut *tx, me, target, stored_now()).await? {
            return Ok(());
        }
        // The implied events first, `user.blocked` last.
        self.remove_follow(&mut tx, me, me, target).await?;
        self.remove_follow(&mut tx, me, target, me).await?;
        follow_requests::delete_pair(&mut *tx, me, target).await?;
        follow_requests::delete_pair(&mut *tx, target, me).await?;
        friends::delete_requests_between(&mut *tx, me, target).await?;
        if friends::delete_friendship(&mut *tx, me, target).await? {
            let event = events::friend_removed(self.ids(), me, target);
            self.emit(&mut tx, event).await?;
        }
        let event = events::user_blocked(self.ids(), me, target);
        self.emit(&mut tx, event).await?;
        self.commit(tx).await
    }

    /// Idempotent; `user.unblocked` only when a block was lifted.
    pub async fn unblock(&self, me: Id, target: Id) -> ApiResult<()> {
        retrying(|| self.try_unblock(me, target)).await
    }

    async fn try_unblock(&self, me: Id, target: Id) -> Attempt<()> {
        let mut tx = self.begin().await?;
        self.lock_pair(&mut tx, me, target, BLOCK_SELF).await?;
        if !blocks::delete(&mut *tx, me, target).await? {
            return Ok(());
        }
        let event = events::user_unblocked(self.ids(), me, target);
        self.emit(&mut tx, event).await?;
        self.commit(tx).await
    }
}
