//! A viewer's graph as a read needs it (whom they follow, who is hidden
//! from them), and the accounts merged at read instead of fanned out.

use chorus_core::{ApiResult, Id};
use serde::{Deserialize, Serialize};

use super::caches::ALL;
use super::{Feed, db_error, load_error};
use crate::store;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphView {
    /// Ascending.
    pub following: Vec<Id>,
    /// Blocked or blocking, ascending.
    pub hidden: Vec<Id>,
}

impl GraphView {
    pub fn follows(&self, user: Id) -> bool {
        self.following.binary_search(&user).is_ok()
    }

    pub fn hides(&self, user: Id) -> bool {
        self.hidden.binary_search(&user).is_ok()
    }
}

impl Feed {
    /// `viewer`'s graph, cached.
    pub(super) async fn graph(&self, viewer: Id) -> ApiResult<GraphView> {
        let reader = self.db().reader();
        let view = self
            .caches()
            .graphs
            .get_or_load(&viewer.to_string(), || async move {
                let (following, hidden) = tokio::try_join!(
                    store::graph::following(reader, viewer),
                    store::graph::hidden(reader, viewer),
                )?;
                Ok(Some(GraphView { following, hidden }))
            })
            .await
            .map_err(|error| load_error(error, "the follow graph"))?;
        Ok(view.unwrap_or_default())
    }

    /// Accounts with more followers than the threshold, ascending, cached.
    pub(super) async fn celebrities(&self) -> ApiResult<Vec<Id>> {
        let reader = self.db().reader();
        let threshold = self.config().celebrity_threshold;
        let found = self
            .caches()
            .celebrities
            .get_or_load(ALL, || async move {
                Ok(Some(store::graph::celebrities(reader, threshold).await?))
            })
            .await
            .map_err(|error| load_error(error, "the follow graph"))?;
        Ok(found.unwrap_or_default())
    }

    /// A celebrity's newest posts (up to the timeline cap), newest first, cached.
    pub(super) async fn recent_posts(&self, author: Id) -> ApiResult<Vec<Id>> {
        let reader = self.db().reader();
        let cap = self.timelines().cap();
        let found = self
            .caches()
            .recent
            .get_or_load(&author.to_string(), || async move {
                Ok(Some(
                    store::posts::by_author(reader, author, None, cap).await?,
                ))
            })
            .await
            .map_err(|error| load_error(error, "recent posts"))?;
        Ok(found.unwrap_or_default())
    }

    /// `author`'s posts older than `before`, from storage (past the cached ones).
    pub(super) async fn older_posts(
        &self,
        author: Id,
        before: Option<Id>,
        limit: usize,
    ) -> ApiResult<Vec<Id>> {
        store::posts::by_author(self.db().reader(), author, before, limit)
            .await
            .map_err(db_error)
    }
}
