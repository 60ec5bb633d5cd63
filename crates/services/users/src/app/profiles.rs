//! Profiles, cards and relations, as a viewer may see them.

use std::collections::HashMap;

use chorus_core::{ApiError, ApiResult, Id};
use chorus_rpc::users::{MAX_CARDS, Profile, Relation, UserCard};

use super::failure::Attempt;
use super::views::{card, profile};
use super::{Users, no_such_user, profile_not_ready};
use crate::store::MAX_BATCH;
use crate::store::profiles::{self, ProfileRecord};
use crate::store::relations::{self, Ties};

impl Users {
    /// A profile by id or username; 404 when missing or hidden by a block.
    pub async fn profile(&self, viewer: Option<Id>, id_or_username: &str) -> ApiResult<Profile> {
        let record = self
            .find_profile(id_or_username)
            .await?
            .ok_or_else(no_such_user)?;
        let ties = match viewer {
            Some(viewer) => {
                let ties = self.ties_with(viewer, &[record.user_id]).await?;
                let ties = ties.get(&record.user_id).copied().unwrap_or_default();
                if ties.hidden() {
                    return Err(no_such_user());
                }
                Some(ties)
            }
            None => None,
        };
        Ok(profile(record, ties))
    }

    /// The caller's own profile (its relationship with itself is empty).
    pub async fn own_profile(&self, me: Id) -> ApiResult<Profile> {
        let record = profiles::find(self.db().reader(), me)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(profile_not_ready)?;
        Ok(profile(record, Some(Ties::default())))
    }

    /// A segment that parses as an id and names an account is that account;
    /// anything else is a username (`12345` may be one).
    async fn find_profile(&self, id_or_username: &str) -> Attempt<Option<ProfileRecord>> {
        let reader = self.db().reader();
        if let Ok(id) = id_or_username.parse::<Id>()
            && let Some(record) = profiles::find(reader, id).await?
        {
            return Ok(Some(record));
        }
        if id_or_username.len() > 64 {
            return Ok(None);
        }
        let username = id_or_username.to_lowercase();
        Ok(profiles::find_by_username(reader, &username).await?)
    }

    /// The profiles of `ids` the viewer may see, in the order of `ids`.
    pub async fn profiles(&self, viewer: Option<Id>, ids: &[Id]) -> ApiResult<Vec<Profile>> {
        Ok(self.visible_profiles(viewer, ids).await?)
    }

    pub(super) async fn visible_profiles(
        &self,
        viewer: Option<Id>,
        ids: &[Id],
    ) -> Attempt<Vec<Profile>> {
        let mut records = self.records(ids).await?;
        let ties = match viewer {
            Some(viewer) => Some(self.ties_with(viewer, ids).await?),
            None => None,
        };
        let mut seen = std::collections::HashSet::new();
        let mut visible = Vec::with_capacity(records.len());
        for id in ids {
            if !seen.insert(*id) {
                continue;
            }
            let Some(record) = records.remove(id) else {
                continue;
            };
            let tie = ties
                .as_ref()
                .map(|ties| ties.get(id).copied().unwrap_or_default());
            if tie.is_some_and(|tie| tie.hidden()) {
                continue;
            }
            visible.push(profile(record, tie));
        }
        Ok(visible)
    }

    /// The existing profiles among `ids`, by id.
    pub(super) async fn records(&self, ids: &[Id]) -> Attempt<HashMap<Id, ProfileRecord>> {
        let mut found = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_BATCH) {
            for record in profiles::find_many(self.db().reader(), chunk).await? {
                found.insert(record.user_id, record);
            }
        }
        Ok(found)
    }

    pub(super) async fn ties_with(&self, viewer: Id, ids: &[Id]) -> Attempt<HashMap<Id, Ties>> {
        let mut found = HashMap::new();
        for chunk in ids.chunks(MAX_BATCH) {
            found.extend(relations::ties(self.db().reader(), viewer, chunk).await?);
        }
        Ok(found)
    }

    /// Cards of the accounts among `ids` that exist.
    pub async fn cards(&self, ids: &[Id]) -> ApiResult<Vec<UserCard>> {
        Ok(self.records(ids).await?.values().map(card).collect())
    }

    /// Cards of the accounts with an id above `after`, ascending, at most
    /// `limit` (1 to [`MAX_CARDS`]): a page of a scan of every account.
    pub async fn cards_after(&self, after: Option<Id>, limit: usize) -> ApiResult<Vec<UserCard>> {
        chorus_rpc::check_limit(limit, MAX_CARDS)?;
        let records = profiles::after(self.db().reader(), after, limit)
            .await
            .map_err(ApiError::internal)?;
        Ok(records.iter().map(card).collect())
    }

    /// Follows, friendships and blocks between `viewer` and each of `targets`.
    pub async fn relations(&self, viewer: Id, targets: &[Id]) -> ApiResult<HashMap<Id, Relation>> {
        let ties = self.ties_with(viewer, targets).await?;
        Ok(ties
            .into_iter()
            .map(|(id, ties)| (id, relation(&ties)))
            .filter(|(_, relation)| *relation != Relation::default())
            .collect())
    }

    /// The same for each `(viewer, target)` of `pairs`, whatever the viewers:
    /// one query per [`MAX_BATCH`] distinct pairs, not one per viewer.
    pub async fn relations_among(
        &self,
        pairs: &[(Id, Id)],
    ) -> ApiResult<HashMap<(Id, Id), Relation>> {
        let mut pairs = pairs.to_vec();
        pairs.sort_unstable();
        pairs.dedup();
        let mut found = HashMap::new();
        for chunk in pairs.chunks(MAX_BATCH) {
            let ties = relations::ties_among(self.db().reader(), self.db().dialect(), chunk)
                .await
                .map_err(ApiError::internal)?;
            found.extend(
                ties.into_iter()
                    .map(|(pair, ties)| (pair, relation(&ties)))
                    .filter(|(_, relation)| *relation != Relation::default()),
            );
        }
        Ok(found)
    }

    /// Cards of the accounts whose usernames (any case) are among `usernames`.
    pub async fn find_by_usernames(&self, usernames: &[String]) -> ApiResult<Vec<UserCard>> {
        let mut wanted: Vec<String> = usernames.iter().map(|u| u.to_lowercase()).collect();
        wanted.sort();
        wanted.dedup();
        let mut cards = Vec::new();
        for chunk in wanted.chunks(MAX_BATCH) {
            let found = profiles::find_by_usernames(self.db().reader(), chunk)
                .await
                .map_err(ApiError::internal)?;
            cards.extend(found.iter().map(card));
        }
        Ok(cards)
    }
}

/// What other services learn of the ties: a block either way hides both.
fn relation(ties: &Ties) -> Relation {
    Relation {
        following: ties.following,
        blocked: ties.hidden(),
        friends: ties.friends,
    }
}
