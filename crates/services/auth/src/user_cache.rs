//! Accounts as `GET /api/v1/auth/me` shows them, read through the cache.
//!
//! The cache holds each user's JSON exactly as the API answers it, so a hit
//! costs one cache read and no serialization: the bytes go out as they are.

use std::sync::Arc;
use std::time::Duration;

use chorus_core::Id;
use chorus_ports::Cache;
use chorus_ports::Db;
use chorus_ports::cache::ReadThrough;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::routes::UserView;
use crate::store;

/// Versioned, so that a change of the shape never reads an older one.
const KEY_PREFIX: &str = "auth:user:v1";

/// A user, already serialized as the API's `user` object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserJson(Box<RawValue>);

impl UserJson {
    pub fn new(user: &UserView) -> anyhow::Result<Self> {
        Ok(Self(serde_json::value::to_raw_value(user)?))
    }

    pub fn into_string(self) -> String {
        Box::<str>::from(self.0).into_string()
    }
}

pub struct UserCache {
    db: Db,
    users: ReadThrough<UserJson>,
}

impl UserCache {
    pub fn new(db: Db, cache: Arc<dyn Cache>, ttl: Duration) -> Self {
        Self {
            db,
            users: ReadThrough::new(cache, KEY_PREFIX, ttl),
        }
    }

    /// The user, from the cache or else the database; `None` if there is no such account.
    pub async fn get(&self, id: Id) -> anyhow::Result<Option<UserJson>> {
        self.users
            .get_or_load(&id.to_string(), || async {
                match store::find_user(self.db.reader(), id).await? {
                    Some(user) => Ok(Some(UserJson::new(&UserView::from(user))?)),
                    None => Ok(None),
                }
            })
            .await
    }

    /// Caches a user just written, so its first read needs no query. A
    /// failure is logged: the next read loads it instead.
    pub async fn put(&self, user: &UserView) {
        let cached = async {
            self.users
                .put(&user.id.to_string(), &UserJson::new(user)?)
                .await
        };
        if let Err(error) = cached.await {
            tracing::warn!(user_id = %user.id, error = %format!("{error:#}"), "could not cache a user");
        }
    }
}
