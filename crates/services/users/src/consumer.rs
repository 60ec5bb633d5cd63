//! What the users service does with others' events: a profile per new
//! account, and `posts_count`. Each event is applied once (the inbox), in one
//! transaction with its effect.

use std::sync::Arc;

use async_trait::async_trait;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use chorus_core::{Envelope, Id};
use chorus_ports::{Db, EventHandler, Subscription, inbox};
use serde::Deserialize;

use crate::NAME;
use crate::events::{POST_CREATED, POST_DELETED, USER_REGISTERED};
use crate::store::counts;
use crate::store::profiles::{self, NewProfile};

/// Consumer `users`: `user.registered`, `post.created`, `post.deleted`.
pub fn subscriptions() -> Vec<Subscription> {
    vec![Subscription {
        consumer: NAME.to_string(),
        topics: [USER_REGISTERED, POST_CREATED, POST_DELETED]
            .map(String::from)
            .to_vec(),
        retry: Default::default(),
        batch: 1,
    }]
}

pub struct Consumer {
    db: Db,
}

impl Consumer {
    pub fn new(db: Db) -> Arc<Self> {
        Arc::new(Self { db })
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

#[async_trait]
impl EventHandler for Consumer {
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        match event.kind.as_str() {
            USER_REGISTERED => self.user_registered(event).await,
            POST_CREATED => self.count_post(event, 1).await,
            POST_DELETED => self.count_post(event, -1).await,
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
}
