//! The posts service as other services call it ([`PostsApi`]): batched
//! reads on the reader pool, one query per kind of data whatever the batch
//! (batches and scan pages are at most [`MAX_IDS`], one `IN` list).

use std::collections::HashMap;

use async_trait::async_trait;
use chorus_core::{ApiError, ApiResult, Id};
use chorus_rpc::PostsApi;
use chorus_rpc::posts::{MAX_IDS, PostBody};

use super::hydrate::{Parts, kinds_of_user};
use super::{Posts, db_error, distinct};
use crate::store::{self, IN_CHUNK};

const _: () = assert!(IN_CHUNK >= MAX_IDS, "a batch must fit one IN list");

#[async_trait]
impl PostsApi for Posts {
    async fn bodies(&self, ids: &[Id]) -> ApiResult<Vec<PostBody>> {
        let ids = batch("ids", ids)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let reader = self.db().reader();
        let (posts, mut parts) =
            tokio::try_join!(store::find_posts(reader, &ids), Parts::load(reader, &ids))
                .map_err(db_error)?;
        Ok(posts.into_iter().map(|post| parts.body(post)).collect())
    }

    async fn bodies_after(&self, after: Option<Id>, limit: usize) -> ApiResult<Vec<PostBody>> {
        chorus_rpc::check_limit(limit, MAX_IDS)?;
        let reader = self.db().reader();
        let posts = store::posts_after(reader, after, limit)
            .await
            .map_err(db_error)?;
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        // The page's ids are only known once read: its parts come second,
        // still one query per kind for the whole page.
        let ids: Vec<Id> = posts.iter().map(|post| post.id).collect();
        let mut parts = Parts::load(reader, &ids).await.map_err(db_error)?;
        Ok(posts.into_iter().map(|post| parts.body(post)).collect())
    }

    async fn reactions_of(&self, viewer: Id, posts: &[Id]) -> ApiResult<HashMap<Id, Vec<String>>> {
        let posts = batch("posts", posts)?;
        if posts.is_empty() {
            return Ok(HashMap::new());
        }
        kinds_of_user(self.db().reader(), viewer, &posts)
            .await
            .map_err(db_error)
    }
}

/// The distinct ids of a batch, refused past [`MAX_IDS`].
fn batch(field: &str, ids: &[Id]) -> ApiResult<Vec<Id>> {
    if ids.len() > MAX_IDS {
        return Err(ApiError::invalid_field(
            field,
            format!("at most {MAX_IDS} ids per call"),
        ));
    }
    Ok(distinct(ids.iter().copied()))
}
