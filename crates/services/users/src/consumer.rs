//! What the users service does with others' events: a profile per new
//! account, `posts_count`, and the media each user owns (what an avatar may
//! be; a deleted one stops being an avatar). Each event is applied once (the
//! inbox), in one transaction with its effect.

use std::sync::Arc;

use async_trait::async_trait;
use chorus_core::time::{Timestamp, from_micros, now, to_micros};
use chorus_core::{Envelope, Id, IdGenerator};
use chorus_ports::{Db, EventHandler, Subscription, inbox, outbox};
use serde::Deserialize;

use crate::NAME;
use crate::events::{
    self, MEDIA_DELETED, MEDIA_UPLOADED, POST_CREATED, POST_DELETED, USER_REGISTERED,
};
use crate::store::counts;
use crate::store::media::{self, OwnedMedia};
use crate::store::profiles::{self, NewProfile};

/// Consumer `users`: `user.registered`, `post.created`, `post.deleted`,
/// `media.uploaded`, `media.deleted`.
pub fn subscriptions() -> Vec<Subscription> {
    vec![Subscription {
        consumer: NAME.to_string(),
        topics: [
            USER_REGISTERED,
            POST_CREATED,
            POST_DELETED,
            MEDIA_UPLOADED,
            MEDIA_DELETED,
        ]
        .map(String::from)
        .to_vec(),
        retry: Default::default(),
        batch: 1,
        expires_after: None,
    }]
}

pub struct Consumer {
    db: Db,
    /// Ids of the `user.updated` a deleted avatar causes.
    ids: Arc<IdGenerator>,
}

impl Consumer {
    pub fn new(db: Db, ids: Arc<IdGenerator>) -> Arc<Self> {
        Arc::new(Self { db, ids })
    }
}

#[derive(Deserialize)]
struct UserRegistered {
    user_id: Id,
    username: String,
    display_name: String,
    created_at: Timestamp,
}

/// `post.created` and `post.deleted` carry more; only the author counts here.
#[derive(Deserialize)]
struct PostEvent {
    author_id: Id,
}

/// `media.uploaded` `{media_id, owner_id, url, mime, …}`.
#[derive(Deserialize)]
struct MediaUploaded {
    media_id: Id,
    owner_id: Id,
    /// Absent from events older than the views they carry now.
    url: Option<String>,
    mime: String,
}

/// `media.deleted` `{media_id, owner_id}`.
#[derive(Deserialize)]
struct MediaDeleted {
    media_id: Id,
}

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        match event.kind.as_str() {
            USER_REGISTERED => self.user_registered(event).await,
            POST_CREATED => self.count_post(event, 1).await,
            POST_DELETED => self.count_post(event, -1).await,
            MEDIA_UPLOADED => self.media_uploaded(event).await,
            MEDIA_DELETED => self.media_deleted(event).await,
            _ => Ok(()),
        }
    }
}

impl Consumer {
    async fn user_registered(&self, event: &Envelope) -> anyhow::Result<()> {
        let user: UserRegistered = event.payload_as()?;
        let Some(mut tx) = inbox::begin_once(&self.db, NAME, event).await? else {
            return Ok(());
        };
        let username = user.username.to_lowercase();
        let profile = NewProfile {
            user_id: user.user_id,
            username: &username,
            display_name: &user.display_name,
            created_at: from_micros(to_micros(user.created_at)),
        };
        // Also harmless if the inbox was lost: the profile stays as it is.
        let created = profiles::insert_if_absent(&mut *tx, &profile).await?;
        tx.commit().await?;
        tracing::info!(user_id = %user.user_id, created, "profile for a new account");
        Ok(())
    }

    async fn count_post(&self, event: &Envelope, delta: i64) -> anyhow::Result<()> {
        let post: PostEvent = event.payload_as()?;
        let Some(mut tx) = inbox::begin_once(&self.db, NAME, event).await? else {
            return Ok(());
        };
        counts::count_posts(&mut *tx, post.author_id, delta).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn media_uploaded(&self, event: &Envelope) -> anyhow::Result<()> {
        let uploaded: MediaUploaded = event.payload_as()?;
        let Some(mut tx) = inbox::begin_once(&self.db, NAME, event).await? else {
            return Ok(());
        };
        let media = OwnedMedia {
            media_id: uploaded.media_id,
            owner_id: uploaded.owner_id,
            url: uploaded
                .url
                .unwrap_or_else(|| format!("/media/{}", uploaded.media_id)),
            mime: uploaded.mime,
        };
        media::record(&mut *tx, &media, now()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets the media; a profile whose avatar it was loses it, and
    /// `user.updated` tells the services that show cards.
    async fn media_deleted(&self, event: &Envelope) -> anyhow::Result<()> {
        let deleted: MediaDeleted = event.payload_as()?;
        let Some(mut tx) = inbox::begin_once(&self.db, NAME, event).await? else {
            return Ok(());
        };
        media::forget(&mut *tx, deleted.media_id).await?;
        let mut told = false;
        for user in profiles::with_avatar(&mut *tx, deleted.media_id).await? {
            let at = from_micros(to_micros(now()));
            if !profiles::clear_avatar(&mut *tx, user, deleted.media_id, at).await? {
                continue;
            }
            if let Some(profile) = profiles::find(&mut *tx, user).await? {
                outbox::enqueue(&mut tx, &events::user_updated(&self.ids, &profile)).await?;
                told = true;
            }
        }
        tx.commit().await?;
        if told {
            self.db.wake_outbox();
        }
        tracing::debug!(media_id = %deleted.media_id, "media forgotten");
        Ok(())
    }
}
