//! The in-process `UsersApi`: the application layer itself, as other
//! services in this process (and the gRPC server) call it.

use std::collections::HashMap;

use async_trait::async_trait;
use chorus_core::{ApiResult, Id};
use chorus_rpc::UsersApi;
use chorus_rpc::users::{FollowState, Profile, Relation, UserCard};

use crate::app::Users;

#[async_trait]
impl UsersApi for Users {
    async fn cards(&self, ids: &[Id]) -> ApiResult<Vec<UserCard>> {
        Users::cards(self, ids).await
    }

    async fn cards_after(&self, after: Option<Id>, limit: usize) -> ApiResult<Vec<UserCard>> {
        Users::cards_after(self, after, limit).await
    }

    async fn relations(&self, viewer: Id, targets: &[Id]) -> ApiResult<HashMap<Id, Relation>> {
        Users::relations(self, viewer, targets).await
    }

    async fn relations_among(&self, pairs: &[(Id, Id)]) -> ApiResult<HashMap<(Id, Id), Relation>> {
        Users::relations_among(self, pairs).await
    }

    async fn find_by_usernames(&self, usernames: &[String]) -> ApiResult<Vec<UserCard>> {
        Users::find_by_usernames(self, usernames).await
    }

    async fn profiles(&self, viewer: Option<Id>, ids: &[Id]) -> ApiResult<Vec<Profile>> {
        Users::profiles(self, viewer, ids).await
    }

    async fn profile(&self, viewer: Option<Id>, id_or_username: &str) -> ApiResult<Profile> {
        Users::profile(self, viewer, id_or_username).await
    }

    async fn follow(&self, viewer: Id, target: Id) -> ApiResult<FollowState> {
        Users::follow(self, viewer, target).await
    }

    async fn unfollow(&self, viewer: Id, target: Id) -> ApiResult<()> {
        Users::unfollow(self, viewer, target).await
    }
}
