//! Batch loaders, so that a page of posts costs one `UsersApi::profiles` call
//! for all its authors and one `Posts::get_posts` for all its reposted
//! originals, however many posts the page holds.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use chorus_core::{ApiError, Id};
use chorus_posts::app::{PostView, Posts};
use chorus_rpc::UsersApi;
use chorus_rpc::users::Profile;

/// Profiles as the request's caller may see them (hidden ones are absent).
pub(crate) struct ProfileLoader {
    pub users: Arc<dyn UsersApi>,
    pub viewer: Option<Id>,
}

impl Loader<Id> for ProfileLoader {
    type Value = Profile;
    type Error = ApiError;

    async fn load(&self, ids: &[Id]) -> Result<HashMap<Id, Profile>, ApiError> {
        let profiles = self.users.profiles(self.viewer, ids).await?;
        Ok(profiles
            .into_iter()
            .map(|profile| (profile.id, profile))
            .collect())
    }
}

/// Posts as the request's caller may see them (hidden ones are absent).
pub(crate) struct PostLoader {
    pub posts: Posts,
    pub viewer: Option<Id>,
}

impl Loader<Id> for PostLoader {
    type Value = PostView;
    type Error = ApiError;

    async fn load(&self, ids: &[Id]) -> Result<HashMap<Id, PostView>, ApiError> {
        let posts = self.posts.get_posts(self.viewer, ids).await?;
        Ok(posts.into_iter().map(|post| (post.id, post)).collect())
    }
}
