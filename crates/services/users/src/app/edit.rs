//! `PATCH /api/v1/users/me`: editing one's own profile. Going public
//! approves everyone waiting, in the same transaction. An avatar is one of
//! the caller's images, known from `media.uploaded`.

use std::time::Duration;

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
use crate::store::media::{self, OwnedMedia};
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
    /// The id of an image the caller uploaded (its URL becomes `avatar_url`),
    /// or `null` to remove the avatar. Deleting the media removes it too.
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
    avatar: Avatar,
    is_private: Option<bool>,
}

enum Avatar {
    Keep,
    Clear,
    /// One of the caller's images, seen to exist before the transaction
    /// (and checked again in it, in case it was deleted meanwhile).
    Set(Id),
}

/// How long an edit waits for the `media.uploaded` of an avatar not known
/// yet (a client may set it right after uploading), and how often it looks.
const MEDIA_WAIT: Duration = Duration::from_secs(2);
const MEDIA_POLL: Duration = Duration::from_millis(20);

/// One answer whether the media does not exist or is someone else's, so
/// that nobody learns which ids exist.
fn no_such_media() -> ApiError {
    ApiError::invalid_field("avatar_media_id", "no such media, or not yours")
}

/// `media` as an avatar of `me`: theirs, and an image.
fn avatar_of(me: Id, media: Option<OwnedMedia>) -> ApiResult<OwnedMedia> {
    match media {
        Some(media) if media.owner_id != me => Err(no_such_media()),
        Some(media) if !media.is_image() => Err(ApiError::invalid_field(
            "avatar_media_id",
            "an avatar must be an image",
        )),
        Some(media) => Ok(media),
        None => Err(no_such_media()),
    }
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
            avatar: match edit.avatar_media_id {
                None => Avatar::Keep,
                Some(None) => Avatar::Clear,
                Some(Some(raw)) => {
                    let id: Id = serde_json::from_value(raw).map_err(|_| no_such_media())?;
                    self.awaited_media(me, id).await?;
                    Avatar::Set(id)
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
            avatar_media_id: None,
            avatar_url: None,
            is_private: changes.is_private.unwrap_or(current.is_private),
        };
        let chosen = match changes.avatar {
            Avatar::Set(id) => Some(avatar_of(me, media::find(&mut *tx, id).await?)?),
            _ => None,
        };
        let fields = match (&changes.avatar, &chosen) {
            (Avatar::Keep, _) => ProfileFields {
                avatar_media_id: current.avatar_media_id,
                avatar_url: current.avatar_url.as_deref(),
                ..fields
            },
            (_, Some(media)) => ProfileFields {
                avatar_media_id: Some(media.media_id),
                avatar_url: Some(&media.url),
                ..fields
            },
            (_, None) => fields,
        };
        let changed = fields.display_name != current.display_name
            || fields.bio != current.bio
            || fields.avatar_media_id != current.avatar_media_id
            || fields.avatar_url != current.avatar_url.as_deref()
            || fields.is_private != current.is_private;
        let now = stored_now();
        if changed {
            profiles::update(&mut *tx, me, &fields, now).await?;
            let edited = ProfileRecord {
                display_name: fields.display_name.to_owned(),
                bio: fields.bio.to_owned(),
                avatar_media_id: fields.avatar_media_id,
                avatar_url: fields.avatar_url.map(str::to_owned),
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

    /// Waits (at most [`MEDIA_WAIT`]) until media `id` is known, then checks
    /// it may be `me`'s avatar; someone else's is refused at once.
    async fn awaited_media(&self, me: Id, id: Id) -> ApiResult<OwnedMedia> {
        let found = chorus_core::wait::until_some(MEDIA_WAIT, MEDIA_POLL, || async {
            media::find(self.db().reader(), id)
                .await
                .map_err(ApiError::internal)
        })
        .await?;
        avatar_of(me, found)
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
