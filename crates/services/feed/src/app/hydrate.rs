//! Bodies to views: authors in one cached batch, and the viewer's own
//! reactions in one call, asked only for posts anyone reacted to.

use std::collections::HashMap;

use chorus_core::{ApiResult, Id};
use chorus_rpc::posts::{PostBody, PostView};

use super::Feed;

impl Feed {
    /// Views of `posts`, in their order; posts whose author is gone are left out.
    pub(super) async fn hydrate(
        &self,
        viewer: Id,
        posts: Vec<PostBody>,
    ) -> ApiResult<Vec<PostView>> {
        if posts.is_empty() {
            return Ok(Vec::new());
        }
        let mut authors: Vec<Id> = posts.iter().map(|post| post.author_id).collect();
        authors.sort_unstable();
        authors.dedup();
        let reacted: Vec<Id> = posts
            .iter()
            .filter(|post| post.has_reactions())
            .map(|post| post.id)
            .collect();
        let mine = async {
            if reacted.is_empty() {
                return Ok(HashMap::new());
            }
            self.inner.posts.reactions_of(viewer, &reacted).await
        };
        let (cards, mut mine) =
            tokio::try_join!(self.caches().cards(&self.inner.users, &authors), mine)?;
        Ok(posts
            .into_iter()
            .filter_map(|post| {
                let author = cards.get(&post.author_id)?.clone();
                let my_reactions = mine.remove(&post.id).unwrap_or_default();
                Some(post.view(author, my_reactions))
            })
            .collect())
    }
}
