//! What every resolver of one request can reach: the caller, the two
//! backends, and the request's DataLoaders (a loader lives for one request,
//! so it batches and caches for that caller only).

use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, HashMapCache};
use chorus_core::{ApiError, Id};
use chorus_posts::app::Posts;
use chorus_rpc::{FeedApi, UsersApi};

use crate::errors::gql_error;
use crate::loaders::{PostLoader, ProfileLoader};

/// The signed-in caller, if any.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Viewer(pub Option<Id>);

pub(crate) type Profiles = DataLoader<ProfileLoader, HashMapCache>;
pub(crate) type PostsById = DataLoader<PostLoader, HashMapCache>;

/// The backends, shared by every request (schema data).
#[derive(Clone)]
pub(crate) struct Backends {
    pub posts: Posts,
    pub users: Arc<dyn UsersApi>,
    /// Absent when the feed service runs elsewhere and no URL for it is set.
    pub feed: Option<Arc<dyn FeedApi>>,
}

/// The data one request carries.
pub(crate) fn request_data(
    request: async_graphql::Request,
    backends: &Backends,
    viewer: Option<Id>,
) -> async_graphql::Request {
    let profiles = DataLoader::with_cache(
        ProfileLoader {
            users: backends.users.clone(),
            viewer,
        },
        tokio::spawn,
        HashMapCache::default(),
    );
    let posts = DataLoader::with_cache(
        PostLoader {
            posts: backends.posts.clone(),
            viewer,
        },
        tokio::spawn,
        HashMapCache::default(),
    );
    request.data(Viewer(viewer)).data(profiles).data(posts)
}

pub(crate) fn backends<'a>(ctx: &Context<'a>) -> &'a Backends {
    ctx.data_unchecked::<Backends>()
}

pub(crate) fn viewer(ctx: &Context<'_>) -> Option<Id> {
    ctx.data_opt::<Viewer>().and_then(|viewer| viewer.0)
}

/// The caller, for mutations: anonymous callers get `unauthorized`.
pub(crate) fn signed_in(ctx: &Context<'_>) -> async_graphql::Result<Id> {
    viewer(ctx).ok_or_else(|| {
        gql_error(ApiError::unauthorized(
            "sign in first: this mutation needs an access token",
        ))
    })
}

pub(crate) fn profiles<'a>(ctx: &Context<'a>) -> &'a Profiles {
    ctx.data_unchecked::<Profiles>()
}

pub(crate) fn posts_by_id<'a>(ctx: &Context<'a>) -> &'a PostsById {
    ctx.data_unchecked::<PostsById>()
}
