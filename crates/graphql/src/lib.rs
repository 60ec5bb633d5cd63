//! The GraphQL API at `POST /graphql`: users, posts, comments, reactions and
//! the home feed, with cursor connections.
//!
//! It owns no data. Posts, comments and reactions come from the posts
//! service's application layer ([`chorus_posts::app::Posts`]), users from
//! [`UsersApi`], the feed's choice of posts from [`FeedApi`], so every rule
//! (who sees what, who may change what) is the one REST applies. The caller is the signed `x-chorus-identity` header the
//! gateway attaches.
//!
//! Cost control: per request, authors are loaded in one `UsersApi::profiles`
//! call and reposted originals in one `Posts::get_posts` call (DataLoaders),
//! so a page of posts costs the same whatever its size; and documents deeper
//! than [`limits::MAX_DEPTH`], costlier than [`limits::MAX_COMPLEXITY`] or
//! longer than [`limits::MAX_QUERY_BYTES`] are refused with 400 before
//! anything runs.

mod context;
mod errors;
mod handler;
pub mod limits;
mod loaders;
mod schema;

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::post;
use chorus_core::IdentityKey;
use chorus_posts::app::Posts;
use chorus_rpc::{FeedApi, UsersApi};

pub use schema::{ChorusSchema, MutationRoot, QueryRoot, sdl};

use crate::context::Backends;

/// Where the API is served.
pub const PATH: &str = "/graphql";

#[derive(Clone)]
struct GraphqlState {
    schema: ChorusSchema,
    backends: Backends,
    identity_key: IdentityKey,
}

impl FromRef<GraphqlState> for IdentityKey {
    fn from_ref(state: &GraphqlState) -> Self {
        state.identity_key.clone()
    }
}

/// `POST /graphql` over `posts`, `users` and `feed` (when reachable),
/// trusting identities signed with `identity_key`.
pub fn router(
    posts: Posts,
    users: Arc<dyn UsersApi>,
    feed: Option<Arc<dyn FeedApi>>,
    identity_key: IdentityKey,
) -> Router {
    let backends = Backends { posts, users, feed };
    let state = GraphqlState {
        schema: schema::build(Some(backends.clone())),
        backends,
        identity_key,
    };
    Router::new()
        .route(
            PATH,
            post(handler::graphql).fallback(handler::method_not_allowed),
        )
        .with_state(state)
}
