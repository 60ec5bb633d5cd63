//! What every handler shares.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use chorus_core::token::TokenKeys;
use chorus_core::{IdGenerator, IdentityKey};
use chorus_ports::outbox::AfterCommit;
use chorus_ports::{Cache, Db};

use crate::config::AuthConfig;
use crate::hashing::Hasher;
use crate::user_cache::UserCache;

#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

pub struct Inner {
    pub db: Db,
    /// Wakes the relay after a commit; in one process, waits for consumers.
    pub after_commit: AfterCommit,
    pub cache: Arc<dyn Cache>,
    pub ids: Arc<IdGenerator>,
    pub identity_key: IdentityKey,
    pub token_keys: TokenKeys,
    /// How long an access token lives.
    pub access_ttl: Duration,
    pub config: AuthConfig,
    pub hasher: Hasher,
    /// Accounts as `GET /auth/me` shows them, read through the cache.
    pub users: UserCache,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl FromRef<AppState> for IdentityKey {
    fn from_ref(state: &AppState) -> Self {
        state.identity_key.clone()
    }
}
