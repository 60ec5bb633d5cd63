//! Friend requests and friendships. Friends follow each other: accepting
//! creates both follows, unfriending removes both.

use chorus_core::time::Timestamp;
use chorus_core::{ApiError, ApiResult, Id};
use sqlx::AnyConnection;

use super::failure::{Attempt, retrying};
use super::views::{FriendRequestStatus, FriendRequestView, card};
use super::{Users, no_such_user, profile_not_ready, stored_now};
use crate::events;
use crate::store::friends::{self, FriendRequestRecord};
use crate::store::profiles;

const BEFRIEND_SELF: &str = "you cannot befriend yourself";

fn no_such_request() -> ApiError {
    ApiError::not_found("no such friend request")
}

/// What sending a friend request did.
pub struct Sent {
    pub request: FriendRequestView,
    /// A new request (201), rather than one found pending or accepted (200).
    pub created: bool,
}

impl Users {
    /// `me` asks `target` to be friends. Idempotent; if `target` asked first,
    /// that request is accepted instead.
    pub async fn send_friend_request(&self, me: Id, target: Id) -> ApiResult<Sent> {
        retrying(|| self.try_send(me, target)).await
    }

    async fn try_send(&self, me: Id, target: Id) -> Attempt<Sent> {
        let mut tx = self.begin().await?;
        let pair = self.lock_pair(&mut tx, me, target, BEFRIEND_SELF).await?;
        if pair.blocks.either() {
            return Err(no_such_user().into());
        }
        if !pair.me_exists {
            return Err(profile_not_ready().into());
        }
        if friends::are_friends(&mut *tx, me, target).await? {
            return Err(ApiError::conflict("you are friends already").into());
        }
        if let Some(mine) = friends::find_request_pair(&mut *tx, me, target).await? {
            let request = self
                .view(&mut tx, &mine, FriendRequestStatus::Pending)
                .await?;
            return Ok(Sent {
                request,
                created: false,
            });
        }
        if let Some(theirs) = friends::find_request_pair(&mut *tx, target, me).await? {
            self.accept_locked(&mut tx, &theirs, stored_now()).await?;
            let request = self
                .view(&mut tx, &theirs, FriendRequestStatus::Accepted)
                .await?;
            self.commit(tx).await?;
            return Ok(Sent {
                request,
                created: false,
            });
        }
        let request = FriendRequestRecord {
            id: self.ids().next_id(),
            from_id: me,
            to_id: target,
            created_at: stored_now(),
        };
        friends::insert_request(&mut *tx, &request).await?;
        let event = events::friend_requested(self.ids(), request.id, me, target);
        self.emit(&mut tx, event).await?;
        let view = self
            .view(&mut tx, &request, FriendRequestStatus::Pending)
            .await?;
        self.commit(tx).await?;
        Ok(Sent {
            request: view,
            created: true,
        })
    }

    /// The addressee accepts: friendship, and both follow each other.
    pub async fn accept_friend_request(&self, me: Id, request: Id) -> ApiResult<FriendRequestView> {
        retrying(|| self.try_accept(me, request)).await
    }

    async fn try_accept(&self, me: Id, request_id: Id) -> Attempt<FriendRequestView> {
        let mut tx = self.begin().await?;
        let request = match friends::find_request(&mut *tx, request_id).await? {
            Some(request) if request.to_id == me => request,
            _ => return Err(no_such_request().into()),
        };
        self.lock_pair(&mut tx, me, request.from_id, BEFRIEND_SELF)
            .await?;
        self.accept_locked(&mut tx, &request, stored_now()).await?;
        let view = self
            .view(&mut tx, &request, FriendRequestStatus::Accepted)
            .await?;
        self.commit(tx).await?;
        Ok(view)
    }

    /// Accepts `request` once both profiles are locked; 404 if it went away
    /// (cancelled, or a block) before the lock was taken.
    async fn accept_locked(
        &self,
        conn: &mut AnyConnection,
        request: &FriendRequestRecord,
        at: Timestamp,
    ) -> Attempt<()> {
        let (from, to) = (request.from_id, request.to_id);
        if !friends::delete_request(&mut *conn, request.id).await? {
            return Err(no_such_request().into());
        }
        friends::delete_requests_between(&mut *conn, from, to).await?;
        friends::insert_friendship(&mut *conn, from, to, at).await?;
        self.add_follow(conn, to, from, to, at).await?;
        self.add_follow(conn, to, to, from, at).await?;
        let event = events::friend_accepted(self.ids(), request.id, from, to);
        self.emit(conn, event).await
    }

    /// The addressee declines (`by_sender` false), or the sender cancels (true).
    pub async fn drop_friend_request(&self, me: Id, request: Id, by_sender: bool) -> ApiResult<()> {
        retrying(|| self.try_drop(me, request, by_sender)).await
    }

    async fn try_drop(&self, me: Id, request_id: Id, by_sender: bool) -> Attempt<()> {
        let mut tx = self.begin().await?;
        let request = friends::find_request(&mut *tx, request_id).await?;
        let allowed = request.is_some_and(|r| match by_sender {
            true => r.from_id == me,
            false => r.to_id == me,
        });
        if !allowed || !friends::delete_request(&mut *tx, request_id).await? {
            return Err(no_such_request().into());
        }
        self.commit(tx).await
    }

    /// Ends a friendship, and both follows with it. Idempotent.
    pub async fn unfriend(&self, me: Id, friend: Id) -> ApiResult<()> {
        retrying(|| self.try_unfriend(me, friend)).await
    }

    async fn try_unfriend(&self, me: Id, friend: Id) -> Attempt<()> {
        let mut tx = self.begin().await?;
        let pair = self.lock_pair(&mut tx, me, friend, BEFRIEND_SELF).await?;
        if pair.blocks.b_blocks_a {
            return Err(no_such_user().into());
        }
        if !friends::delete_friendship(&mut *tx, me, friend).await? {
            return Ok(());
        }
        self.remove_follow(&mut tx, me, me, friend).await?;
        self.remove_follow(&mut tx, me, friend, me).await?;
        let event = events::friend_removed(self.ids(), me, friend);
        self.emit(&mut tx, event).await?;
        self.commit(tx).await
    }

    async fn view(
        &self,
        conn: &mut AnyConnection,
        request: &FriendRequestRecord,
        status: FriendRequestStatus,
    ) -> Attempt<FriendRequestView> {
        let people = profiles::find_many(conn, &[request.from_id, request.to_id]).await?;
        let card_of = |id: Id| {
            people
                .iter()
                .find(|p| p.user_id == id)
                .map(card)
                .ok_or_else(no_such_user)
        };
        Ok(FriendRequestView {
            id: request.id,
            from: card_of(request.from_id)?,
            to: card_of(request.to_id)?,
            status,
            created_at: request.created_at,
        })
    }
}
