//! What every handler shares.

use axum::extract::FromRef;
use chorus_core::IdentityKey;
use tokio_util::sync::CancellationToken;

use crate::app::Posts;
use crate::config::PostsConfig;

#[derive(Clone)]
pub struct AppState {
    pub posts: Posts,
    pub identity_key: IdentityKey,
    pub config: PostsConfig,
    /// Ends the comment streams when the process stops taking requests.
    pub draining: CancellationToken,
}

impl FromRef<AppState> for IdentityKey {
    fn from_ref(state: &AppState) -> Self {
        state.identity_key.clone()
    }
}
