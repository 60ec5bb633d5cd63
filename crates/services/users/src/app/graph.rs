//! The steps every change of the graph is made of, inside a transaction.

use chorus_core::time::Timestamp;
use chorus_core::{ApiError, Envelope, Id};
use chorus_ports::outbox;
use sqlx::{Any, AnyConnection, Transaction};

use super::failure::Attempt;
use super::{Users, no_such_user};
use crate::events;
use crate::store::blocks::{self, Blocks};
use crate::store::{counts, follow_requests, follows, profiles};

/// Two accounts locked for a change between them: `me` acts on `them`.
pub struct Pair {
    /// `me` has a profile (`them` has one, or locking failed with 404).
    pub me_exists: bool,
    /// `a` is `me`, `b` is `them`.
    pub blocks: Blocks,
}

impl Users {
    pub(super) async fn begin(&self) -> Attempt<Transaction<'static, Any>> {
        Ok(self.db().begin().await?)
    }

    /// Commits, then hands the events to the relay (in one process, waits
    /// until their consumers have applied them).
    pub(super) async fn commit(&self, tx: Transaction<'static, Any>) -> Attempt<()> {
        tx.commit().await?;
        self.after_commit().run(self.db()).await;
        Ok(())
    }

    pub(super) async fn emit(&self, conn: &mut AnyConnection, event: Envelope) -> Attempt<()> {
        outbox::enqueue(conn, &event).await?;
        Ok(())
    }

    /// Locks both profiles, the smaller id first (the order every transaction
    /// here takes), and reads the blocks between them. 404 if `them` does not
    /// exist; `myself` is the refusal when both are the same account.
    pub(super) async fn lock_pair(
        &self,
        conn: &mut AnyConnection,
        me: Id,
        them: Id,
        myself: &str,
    ) -> Attempt<Pair> {
        if me == them {
            return Err(ApiError::validation(myself.to_string()).into());
        }
        let (first, second) = (me.min(them), me.max(them));
        let first_exists = profiles::lock(&mut *conn, first).await?;
        let second_exists = profiles::lock(&mut *conn, second).await?;
        let (me_exists, them_exists) = match me == first {
            true => (first_exists, second_exists),
            false => (second_exists, first_exists),
        };
        if !them_exists {
            return Err(no_such_user().into());
        }
        Ok(Pair {
            me_exists,
            blocks: blocks::between(&mut *conn, me, them).await?,
        })
    }

    /// `follower` follows `followee` unless they already do: the row, both
    /// counters, the end of any request for it, and `user.followed`.
    pub(super) async fn add_follow(
        &self,
        conn: &mut AnyConnection,
        actor: Id,
        follower: Id,
        followee: Id,
        at: Timestamp,
    ) -> Attempt<bool> {
        follow_requests::delete_pair(&mut *conn, follower, followee).await?;
        if !follows::insert(&mut *conn, follower, followee, at).await? {
            return Ok(false);
        }
        counts::count_follow(&mut *conn, follower, followee, 1).await?;
        let event = events::user_followed(self.ids(), actor, follower, followee);
        self.emit(conn, event).await?;
        Ok(true)
    }

    /// Undoes a follow if there is one: the row, both counters, and `user.unfollowed`.
    pub(super) async fn remove_follow(
        &self,
        conn: &mut AnyConnection,
        actor: Id,
        follower: Id,
        followee: Id,
    ) -> Attempt<bool> {
        if !follows::delete(&mut *conn, follower, followee).await? {
            return Ok(false);
        }
        counts::count_follow(&mut *conn, follower, followee, -1).await?;
        let event = events::user_unfollowed(self.ids(), actor, follower, followee);
        self.emit(conn, event).await?;
        Ok(true)
    }
}
