//! What the posts service consumes: the media that exist and how they look
//! (so a post may attach only its author's own, and shows them without
//! asking the media service), and profile changes.

use async_trait::async_trait;
use chorus_core::time::now;
use chorus_core::{Envelope, Id};
use chorus_ports::{Db, EventHandler, RetryPolicy, Subscription, inbox};
use serde::Deserialize;

use crate::NAME;
use crate::events::{MEDIA_DELETED, MEDIA_UPLOADED, USER_UPDATED};
use crate::store::{self, StoredView};

/// Consumer `posts`: `media.uploaded`, `media.deleted`, `user.updated`.
pub fn subscriptions() -> Vec<Subscription> {
    vec![Subscription {
        consumer: NAME.to_string(),
        topics: [MEDIA_UPLOADED, MEDIA_DELETED, USER_UPDATED]
            .map(String::from)
            .to_vec(),
        retry: RetryPolicy::default(),
        batch: 1,
        expires_after: None,
    }]
}

pub struct Consumer {
    db: Db,
}

impl Consumer {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// `media.uploaded` `{media_id, owner_id, url, mime, size, width, height,
/// variants, blurhash}`: the view is kept to show on posts.
#[derive(Deserialize)]
struct MediaUploaded {
    media_id: Id,
    owner_id: Id,
    #[serde(flatten)]
    view: StoredView,
}

/// `media.deleted` `{media_id, …}`.
#[derive(Deserialize)]
struct MediaDeleted {
    media_id: Id,
}

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        match event.kind.as_str() {
            MEDIA_UPLOADED => {
                let media: MediaUploaded = event.payload_as()?;
                let Some(mut tx) = inbox::begin_once(&self.db, NAME, event).await? else {
                    return Ok(());
                };
                let view = media.view.into_view(media.media_id);
                store::record_media(&mut *tx, media.owner_id, &view, now()).await?;
                tx.commit().await?;
            }
            MEDIA_DELETED => {
                let media: MediaDeleted = event.payload_as()?;
                let Some(mut tx) = inbox::begin_once(&self.db, NAME, event).await? else {
                    return Ok(());
                };
                store::forget_media(&mut *tx, media.media_id).await?;
                store::detach_media(&mut *tx, media.media_id).await?;
                tx.commit().await?;
            }
            // Authors are read through `UsersApi` on every page, so a changed
            // profile shows at once: there is no copy here to refresh.
            USER_UPDATED => {}
            other => tracing::debug!(event_type = other, "ignoring an event posts does not use"),
        }
        Ok(())
    }
}
