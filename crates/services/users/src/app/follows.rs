//! Following, and the requests a private account approves.

use chorus_core::{ApiError, ApiResult, Id};
use chorus_rpc::users::FollowState;

use super::failure::{Attempt, retrying};
use super::{Users, no_such_user, profile_not_ready, stored_now};
use crate::events;
use crate::store::follow_requests::{self, FollowRequestRecord};
use crate::store::{follows, profiles};

const FOLLOW_SELF: &str = "you cannot follow yourself";

fn no_such_request() -> ApiError {
    ApiError::not_found("no such follow request")
}

impl Users {
    /// `viewer` follows `target`, or asks to when the account is private.
    /// Idempotent: a repeat answers the state it finds.
    pub async fn follow(&self, viewer: Id, target: Id) -> ApiResult<FollowState> {
        retrying(|| self.try_follow(viewer, target)).await
    }

    async fn try_follow(&self, viewer: Id, target: Id) -> Attempt<FollowState> {
        let mut tx = self.begin().await?;
        let pair = self.lock_pair(&mut tx, viewer, target, FOLLOW_SELF).await?;
        if pair.blocks.b_blocks_a {
            return Err(no_such_user().into());
        }
        if pair.blocks.a_blocks_b {
            return Err(ApiError::forbidden("you block this user: unblock them first").into());
        }
        if !pair.me_exists {
            return Err(profile_not_ready().into());
        }
        if follows::exists(&mut *tx, viewer, target).await? {
            return Ok(FollowState::Following);
        }
        let is_private = profiles::find(&mut *tx, target)
            .await?
            .ok_or_else(no_such_user)?
            .is_private;
        let now = stored_now();
        if !is_private {
            self.add_follow(&mut tx, viewer, viewer, target, now)
                .await?;
            self.commit(tx).await?;
            return Ok(FollowState::Following);
        }
        if follow_requests::find_pair(&mut *tx, viewer, target)
            .await?
            .is_some()
        {
            return Ok(FollowState::Requested);
        }
        let request = FollowRequestRecord {
            id: self.ids().next_id(),
            follower_id: viewer,
            followee_id: target,
            created_at: now,
        };
        follow_requests::insert(&mut *tx, &request).await?;
        let event = events::follow_requested(self.ids(), request.id, viewer, target);
        self.emit(&mut tx, event).await?;
        self.commit(tx).await?;
        Ok(FollowState::Requested)
    }

    /// `viewer` stops following `target`, or withdraws a pending request.
    pub async fn unfollow(&self, viewer: Id, target: Id) -> ApiResult<()> {
        retrying(|| self.try_unfollow(viewer, target)).await
    }

    async fn try_unfollow(&self, viewer: Id, target: Id) -> Attempt<()> {
        let mut tx = self.begin().await?;
        let pair = self.lock_pair(&mut tx, viewer, target, FOLLOW_SELF).await?;
        if pair.blocks.b_blocks_a {
            return Err(no_such_user().into());
        }
        let removed = self.remove_follow(&mut tx, viewer, viewer, target).await?;
        let withdrawn = follow_requests::delete_pair(&mut *tx, viewer, target).await?;
        if removed || withdrawn {
            self.commit(tx).await?;
        }
        Ok(())
    }

    /// The addressee approves a request: the follow exists from now on.
    pub async fn approve_follow_request(&self, me: Id, request: Id) -> ApiResult<FollowState> {
        retrying(|| self.try_approve(me, request)).await
    }

    async fn try_approve(&self, me: Id, request_id: Id) -> Attempt<FollowState> {
        let mut tx = self.begin().await?;
        let request = self.request_to(&mut tx, me, request_id).await?;
        self.lock_pair(&mut tx, me, request.follower_id, FOLLOW_SELF)
            .await?;
        // Gone meanwhile (withdrawn, or a block): the lock made that visible.
        if !follow_requests::delete(&mut *tx, request.id).await? {
            return Err(no_such_request().into());
        }
        self.add_follow(&mut tx, me, request.follower_id, me, stored_now())
            .await?;
        self.commit(tx).await?;
        Ok(FollowState::Following)
    }

    /// The addressee turns a request down.
    pub async fn reject_follow_request(&self, me: Id, request: Id) -> ApiResult<()> {
        retrying(|| self.try_reject(me, request)).await
    }

    async fn try_reject(&self, me: Id, request_id: Id) -> Attempt<()> {
        let mut tx = self.begin().await?;
        let request = self.request_to(&mut tx, me, request_id).await?;
        if !follow_requests::delete(&mut *tx, request.id).await? {
            return Err(no_such_request().into());
        }
        self.commit(tx).await?;
        Ok(())
    }

    /// The request, if it is addressed to `me`; 404 for anyone else.
    async fn request_to(
        &self,
        conn: &mut sqlx::AnyConnection,
        me: Id,
        request_id: Id,
    ) -> Attempt<FollowRequestRecord> {
        match follow_requests::find(conn, request_id).await? {
            Some(request) if request.followee_id == me => Ok(request),
            _ => Err(no_such_request().into()),
        }
    }
}
