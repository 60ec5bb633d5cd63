//! The paginated lists: followers, following, friends, requests, blocks.
//! Pages are cut from the rows before hiding anyone, so that a cursor always
//! moves on even when a whole page is hidden from the viewer.

use chorus_core::{ApiError, ApiResult, Cursor, Id, Page, PageQuery};
use chorus_rpc::users::{Profile, UserCard};

use super::failure::Attempt;
use super::views::{FollowRequestView, FriendRequestStatus, FriendRequestView, card};
use super::{Users, no_such_user};
use crate::store::{Position, blocks, follow_requests, follows, friends, profiles};

/// Which graph list of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connections {
    Followers,
    Following,
    Friends,
}

fn bad_cursor() -> ApiError {
    ApiError::invalid_field("cursor", "not a cursor this list gave out")
}

/// A `(time, id)` cursor: `"{µs}:{id}"`.
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

/// An id cursor: rows with ids below it.
fn before(page: &PageQuery) -> ApiResult<i64> {
    page.cursor.as_ref().map_or(Ok(i64::MAX), |cursor| {
        cursor.as_i64().map_err(|_| bad_cursor())
    })
}

/// A page of `(id, µs)` rows, its cursor made from the last kept row.
fn cut(rows: Vec<(Id, i64)>, limit: u32) -> Page<(Id, i64)> {
    Page::from_overfetch(rows, limit, |(id, at)| format!("{at}:{id}"))
}

impl Users {
    /// An account's followers, followings or friends as `viewer` may see them.
    pub async fn connections(
        &self,
        viewer: Option<Id>,
        owner: Id,
        which: Connections,
        page: PageQuery,
    ) -> ApiResult<Page<Profile>> {
        self.check_connections_visible(viewer, owner).await?;
        let after = position(&page)?;
        let reader = self.db().reader();
        let fetch = page.limit + 1;
        let rows = match which {
            Connections::Followers => follows::followers(reader, owner, after, fetch).await,
            Connections::Following => follows::following(reader, owner, after, fetch).await,
            Connections::Friends => friends::friends(reader, owner, after, fetch).await,
        }
        .map_err(ApiError::internal)?;
        let rows = cut(rows, page.limit);
        let ids: Vec<Id> = rows.items.iter().map(|(id, _)| *id).collect();
        Ok(Page {
            items: self.visible_profiles(viewer, &ids).await?,
            next_cursor: rows.next_cursor,
        })
    }

    /// Hidden by a block → 404; a private account's lists are for itself
    /// and its followers (friends follow each other) → else 403.
    async fn check_connections_visible(&self, viewer: Option<Id>, owner: Id) -> Attempt<()> {
        let record = profiles::find(self.db().reader(), owner)
            .await?
            .ok_or_else(no_such_user)?;
        if viewer == Some(owner) {
            return Ok(());
        }
        let ties = match viewer {
            Some(viewer) => self.ties_with(viewer, &[owner]).await?.remove(&owner),
            None => None,
        }
        .unwrap_or_default();
        if ties.hidden() {
            return Err(no_such_user().into());
        }
        if record.is_private && !ties.following {
            let refusal = "this account is private: only its followers see its connections";
            return Err(ApiError::forbidden(refusal).into());
        }
        Ok(())
    }

    /// Requests to follow `me`, newest first.
    pub async fn follow_requests(
        &self,
        me: Id,
        page: PageQuery,
    ) -> ApiResult<Page<FollowRequestView>> {
        let rows = follow_requests::page_to(self.db().reader(), me, before(&page)?, page.limit + 1)
            .await
            .map_err(ApiError::internal)?;
        let rows = Page::from_overfetch(rows, page.limit, |r| r.id.to_string());
        let ids: Vec<Id> = rows.items.iter().map(|r| r.follower_id).collect();
        let mut followers = self.visible_profiles(Some(me), &ids).await?;
        let items = rows
            .items
            .into_iter()
            .filter_map(|request| {
                let at = followers.iter().position(|p| p.id == request.follower_id)?;
                Some(FollowRequestView {
                    id: request.id,
                    follower: followers.swap_remove(at),
                    created_at: request.created_at,
                })
            })
            .collect();
        Ok(Page {
            items,
            next_cursor: rows.next_cursor,
        })
    }

    /// Pending friend requests to `me` (`incoming`) or from `me`, newest first.
    pub async fn friend_requests(
        &self,
        me: Id,
        incoming: bool,
        page: PageQuery,
    ) -> ApiResult<Page<FriendRequestView>> {
        let reader = self.db().reader();
        let rows = friends::page_requests(reader, me, incoming, before(&page)?, page.limit + 1)
            .await
            .map_err(ApiError::internal)?;
        let rows = Page::from_overfetch(rows, page.limit, |r| r.id.to_string());
        let ids: Vec<Id> = rows
            .items
            .iter()
            .flat_map(|r| [r.from_id, r.to_id])
            .collect();
        let people = self.records(&ids).await?;
        let items = rows
            .items
            .iter()
            .filter_map(|request| {
                Some(FriendRequestView {
                    id: request.id,
                    from: card(people.get(&request.from_id)?),
                    to: card(people.get(&request.to_id)?),
                    status: FriendRequestStatus::Pending,
                    created_at: request.created_at,
                })
            })
            .collect();
        Ok(Page {
            items,
            next_cursor: rows.next_cursor,
        })
    }

    /// Whom `me` blocks, newest first.
    pub async fn blocks(&self, me: Id, page: PageQuery) -> ApiResult<Page<UserCard>> {
        let rows = blocks::blocked_by(self.db().reader(), me, position(&page)?, page.limit + 1)
            .await
            .map_err(ApiError::internal)?;
        let rows = cut(rows, page.limit);
        let ids: Vec<Id> = rows.items.iter().map(|(id, _)| *id).collect();
        let people = self.records(&ids).await?;
        Ok(Page {
            items: ids
                .iter()
                .filter_map(|id| people.get(id))
                .map(card)
                .collect(),
            next_cursor: rows.next_cursor,
        })
    }
}
