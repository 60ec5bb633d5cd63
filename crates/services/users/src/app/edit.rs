//! `PATCH /api/v1/users/me`: editing one's own profile. Going public
//! approves everyone waiting, in the same transaction.

use chorus_core::{ApiError, ApiResult, Id};
use chorus_rpc::users::Profile;
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use utoipa::ToSchema;

use super::failure::{Attempt, retrying};
use super::views::profile;
use super::{Users, profile_not_ready, stored_now};
use crate::domain;
use crate::events;
use crate::store::follow_requests;
use crate::store::profiles::{self, ProfileFields, ProfileRecord};
use crate::store::relations::Ties;

/// `PATCH /api/v1/users/me`: absent fields stay as they are; unknown fields are ignored.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ProfileEdit {
    /// Trimmed, 1 to 50 characters, no control characters.
    #[schema(min_length = 1, max_length = 50, example = "Alice")]
    pub display_name: Option<String>,
    /// At most 500 characters; empty clears it.
    #[schema(max_length = 500)]
    pub bio: Option<String>,
    /// The id of a media the caller uploaded, or `null` to remove the avatar.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub avatar_media_id: Option<Option<Value>>,
    /// A private account approves each follower; turning it off approves those waiting.
    pub is_private: Option<bool>,
}

/// Tells a field sent as `null` (`Some(None)`) from an absent one (`None`).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<Value>>, D::Error> {
    Option::<Value>::deserialize(d).map(Some)
}

/// A checked edit.
struct Changes {
    display_name: Option<String>,
    bio: Option<String>,
    clear_avatar: bool,
    is_private: Option<bool>,
}

impl Users {
    /// `PATCH /api/v1/users/me`.
    pub async fn update_profile(&self, me: Id, edit: ProfileEdit) -> ApiResult<Profile> {
        let changes = Changes {
            display_name: edit
                .display_name
                .as_deref()
                .map(domain::display_name)
                .transpose()?,
            bio: edit.bio.as_deref().map(domain::bio).transpose()?,
            clear_avatar: match edit.avatar_media_id {
                None => false,
                Some(None) => true,
                // media arrives with issue 6: until then no id names a media.
                Some(Some(_)) => {
                    return Err(ApiError::invalid_field("avatar_media_id", "no such media"));
                }
            },
            is_private: edit.is_private,
        };
        let record = retrying(|| self.try_update_profile(me, &changes)).await?;
        Ok(profile(record, Some(Ties::default())))
    }

    async fn try_update_profile(&self, me: Id, changes: &Changes) -> Attempt<ProfileRecord> {
        let mut tx = self.begin().await?;
        if !self.lock_with_waiting(&mut tx, me, changes).await? {
            return Err(profile_not_ready().into());
        }
        let current = profiles::find(&mut *tx, me)
            .await?
            .ok_or_else(profile_not_ready)?;
        let fields = ProfileFields {
            display_name: changes
                .display_name
                .as_deref()
                .unwrap_or(&current.display_name),
            bio: changes.bio.as_deref().unwrap_or(&current.bio),
            avatar_media_id: if changes.clear_avatar {
                None
            } else {
                current.avatar_media_id
            },
            is_private: changes.is_private.unwrap_or(current.is_private),
        };
        let changed = fields.display_name != current.display_name
            || fields.bio != current.bio
            || fields.avatar_media_id != current.avatar_media_id
            || fields.is_private != current.is_private;
        let now = stored_now();
        if changed {
            profiles::update(&mut *tx, me, &fields, now).await?;
            let edited = ProfileRecord {
                display_name: fields.display_name.to_owned(),
                bio: fields.bio.to_owned(),
                avatar_media_id: fields.avatar_media_id,
                is_private: fields.is_private,
                ..current.clone()
            };
            self.emit(&mut tx, events::user_updated(self.ids(), &edited))
                .await?;
        }
        if current.is_private && !fields.is_private {
            // Going public approves everyone who was waiting.
            for request in follow_requests::all_to(&mut *tx, me).await? {
                self.add_follow(&mut tx, me, request.follower_id, me, now)
                    .await?;
            }
        }
        // Read again: approvals moved the counters.
        let updated = profiles::find(&mut *tx, me)
            .await?
            .ok_or_else(profile_not_ready)?;
        self.commit(tx).await?;
        Ok(updated)
    }

    /// Locks `me`, and when the edit may make the account public, everyone
    /// waiting for it too: all in id order, as every transaction here locks,
    /// so that approving them cannot deadlock with their own follows. (One
    /// who asks in between is locked later; a deadlock then is retried.)
    async fn lock_with_waiting(
        &self,
        conn: &mut sqlx::AnyConnection,
        me: Id,
        changes: &Changes,
    ) -> Attempt<bool> {
        let mut ids = vec![me];
        if changes.is_private == Some(false) {
            let waiting = follow_requests::all_to(self.db().reader(), me).await?;
            ids.extend(waiting.iter().map(|request| request.follower_id));
        }
        ids.sort();
        let mut me_exists = false;
        for id in ids {
            let exists = profiles::lock(&mut *conn, id).await?;
            me_exists |= id == me && exists;
        }
        Ok(me_exists)
    }
}
