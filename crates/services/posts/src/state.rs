//! What every handler shares.

use axum::extract::FromRef;
use chorus_core::IdentityKey;

use crate::app::Posts;

#[derive(Clone)]
pub struct AppState {
    pub posts: Posts,
    pub identity_key: IdentityKey,
}

impl FromRef<AppState> for IdentityKey {
    fn from_ref(state: &AppState) -> Self {
        state.identity_key.clone()
    }
}
