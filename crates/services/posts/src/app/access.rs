//! Who may see, change or delete a post: the visibility rule applied with
//! one `relations` call per request or page.

use std::collections::HashMap;

use chorus_core::{ApiError, ApiResult, Id};
use chorus_rpc::users::Relation;

use super::{Posts, db_error, distinct, post_not_found};
use crate::store::{self, PostRecord};

impl Posts {
    /// How `viewer` stands with each of `authors` (other than themselves):
    /// one call, none at all for an anonymous viewer.
    pub(super) async fn relations(
        &self,
        viewer: Option<Id>,
        authors: impl IntoIterator<Item = Id>,
    ) -> ApiResult<HashMap<Id, Relation>> {
        let Some(viewer) = viewer else {
            return Ok(HashMap::new());
        };
        let targets = distinct(authors.into_iter().filter(|author| *author != viewer));
        if targets.is_empty() {
            return Ok(HashMap::new());
        }
        self.users().relations(viewer, &targets).await
    }

    /// The post, if `viewer` may see it; 404 otherwise, whatever the reason.
    pub(super) async fn visible_post(&self, viewer: Option<Id>, id: Id) -> ApiResult<PostRecord> {
        let post = store::find_post(self.db().reader(), id)
            .await
            .map_err(db_error)?
            .ok_or_else(post_not_found)?;
        let relations = self.relations(viewer, [post.author_id]).await?;
        if !sees(viewer, &post, &relations) {
            return Err(post_not_found());
        }
        Ok(post)
    }

    /// The post, if `editor` wrote it: 403 to others who may see it, 404 to the rest.
    pub(super) async fn own_post(&self, editor: Id, id: Id) -> ApiResult<PostRecord> {
        let post = self.visible_post(Some(editor), id).await?;
        if post.author_id != editor {
            return Err(ApiError::forbidden("only the author may change this post"));
        }
        Ok(post)
    }
}

/// May `viewer` see `post`, given the relations fetched for its author?
pub(super) fn sees(
    viewer: Option<Id>,
    post: &PostRecord,
    relations: &HashMap<Id, Relation>,
) -> bool {
    let relation = viewer.map(|_| relations.get(&post.author_id).copied().unwrap_or_default());
    post.visibility.visible_to(viewer, post.author_id, relation)
}

/// Is `user` hidden from `viewer` by a block either way?
pub(super) fn blocked(relations: &HashMap<Id, Relation>, user: Id) -> bool {
    relations
        .get(&user)
        .is_some_and(|relation| relation.blocked)
}
