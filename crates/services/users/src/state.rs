//! What every handler shares.

use axum::extract::FromRef;
use chorus_core::IdentityKey;

use crate::app::Users;

#[derive(Clone)]
pub struct AppState {
    pub users: Users,
    pub identity_key: IdentityKey,
}

impl FromRef<AppState> for IdentityKey {
    fn from_ref(state: &AppState) -> Self {
        state.identity_key.clone()
    }
}
