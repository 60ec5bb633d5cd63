//! Reading a home timeline, newest first: ids from the materialized
//! timeline (rebuilt from storage when absent, continued from storage past
//! the cap), merged with the recent posts of followed celebrities, then
//! bodies in one cached batch, filtered by what the viewer may see now.

use chorus_core::{ApiResult, Cursor, Id, PageQuery};
use chorus_rpc::posts::PostBody;

use super::graph::GraphView;
use super::{Feed, Positions, Selected, db_error, newest_first};
use crate::store;

/// Batches of candidates one page may look through when many are hidden
/// (a block raced the fan-out, say); past them the page ends early, with a
/// cursor that resumes where it stopped.
const MAX_ROUNDS: usize = 4;

/// Posts the viewer may see, newest first, and where the search stopped.
pub(super) struct Visible {
    pub posts: Vec<PostBody>,
    /// No older candidate exists.
    pub exhausted: bool,
    /// The oldest candidate looked at: a page that ends early resumes below it.
    pub examined_to: Option<Id>,
}

/// Candidate ids, newest first; `more` when older ones may exist.
struct Candidates {
    ids: Vec<Id>,
    more: bool,
}

impl Feed {
    pub(super) async fn latest(&self, viewer: Id, page: PageQuery) -> ApiResult<Selected> {
        let limit = page.limit.max(1) as usize;
        let before = page
            .cursor
            .as_ref()
            .map(Cursor::as_i64)
            .transpose()?
            .map(Id);
        let graph = self.graph(viewer).await?;
        let mut visible = self.visible(viewer, &graph, before, limit + 1).await?;
        let next = if visible.posts.len() > limit {
            visible.posts.truncate(limit);
            visible.posts.last().map(|post| post.id)
        } else if visible.exhausted {
            None
        } else {
            visible.examined_to
        };
        Ok(Selected {
            posts: visible.posts,
            positions: Positions::ById,
            next_cursor: next.map(|id| Cursor::encode(id.to_string())),
        })
    }

    /// Up to `target` posts older than `before` that `viewer` may see.
    pub(super) async fn visible(
        &self,
        viewer: Id,
        graph: &GraphView,
        mut before: Option<Id>,
        target: usize,
    ) -> ApiResult<Visible> {
        let mut posts = Vec::new();
        for _ in 0..MAX_ROUNDS {
            let want = target - posts.len();
            let batch = self.candidates(viewer, graph, before, want).await?;
            let bodies = self.caches().bodies(&self.inner.posts, &batch.ids).await?;
            for id in &batch.ids {
                if let Some(body) = bodies.get(id)
                    && may_see(viewer, graph, body)
                {
                    posts.push(body.clone());
                }
            }
            if let Some(&oldest) = batch.ids.last() {
                before = Some(oldest);
            }
            if !batch.more {
                return Ok(Visible {
                    posts,
                    exhausted: true,
                    examined_to: before,
                });
            }
            if posts.len() >= target {
                break;
            }
        }
        Ok(Visible {
            posts,
            exhausted: false,
            examined_to: before,
        })
    }

    async fn candidates(
        &self,
        viewer: Id,
        graph: &GraphView,
        before: Option<Id>,
        want: usize,
    ) -> ApiResult<Candidates> {
        let (mut ids, mut more) = self.timeline_ids(viewer, before, want).await?;
        let cap = self.timelines().cap();
        let celebrities = self.celebrities().await?;
        for &author in celebrities.iter().filter(|c| graph.follows(**c)) {
            let recent = self.recent_posts(author).await?;
            let mut theirs: Vec<Id> = recent
                .iter()
                .copied()
                .filter(|id| before.is_none_or(|b| *id < b))
                .take(want)
                .collect();
            if theirs.len() < want && recent.len() >= cap {
                let from = theirs.last().copied().or_else(|| {
                    let oldest = recent.last().copied()?;
                    Some(before.map_or(oldest, |b| b.min(oldest)))
                });
                let older = self.older_posts(author, from, want - theirs.len()).await?;
                theirs.extend(older);
            }
            more |= theirs.len() >= want;
            ids.extend(theirs);
        }
        let mut ids = newest_first(ids);
        if ids.len() > want {
            ids.truncate(want);
            more = true;
        }
        Ok(Candidates { ids, more })
    }

    /// Up to `want` ids from `viewer`'s timeline, and whether more may exist.
    /// If the timeline store fails, storage answers instead (slower, same result).
    async fn timeline_ids(
        &self,
        viewer: Id,
        before: Option<Id>,
        want: usize,
    ) -> ApiResult<(Vec<Id>, bool)> {
        match self.materialized_ids(viewer, before, want).await {
            Ok(found) => Ok(found),
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "timeline store failed; reading storage");
                let ids = store::posts::home(self.db().reader(), viewer, before, None, want)
                    .await
                    .map_err(db_error)?;
                let more = ids.len() >= want;
                Ok((ids, more))
            }
        }
    }

    async fn materialized_ids(
        &self,
        viewer: Id,
        before: Option<Id>,
        want: usize,
    ) -> anyhow::Result<(Vec<Id>, bool)> {
        let timelines = self.timelines();
        let mut ids = match timelines.range(viewer, before, want).await? {
            Some(ids) => ids,
            None => {
                self.rebuild(viewer).await?;
                timelines
                    .range(viewer, before, want)
                    .await?
                    .unwrap_or_default()
            }
        };
        if ids.len() >= want {
            return Ok((ids, true));
        }
        // Short: the timeline ends here, or the cap cut older posts off (and
        // removals may since have shrunk it below the cap): storage knows.
        let from = ids.last().copied().or(before);
        let rest = want - ids.len();
        let older = store::posts::home(self.db().reader(), viewer, from, None, rest).await?;
        let more = older.len() >= rest;
        ids.extend(older);
        Ok((ids, more))
    }

    /// Builds `viewer`'s timeline from storage. Materialized (empty) first,
    /// then filled: a post committed after the storage read is pushed to the
    /// materialized timeline by its fan-out, so none falls in between.
    async fn rebuild(&self, viewer: Id) -> anyhow::Result<()> {
        let timelines = self.timelines();
        timelines.replace(viewer, &[]).await?;
        let ids =
            store::posts::home(self.db().reader(), viewer, None, None, timelines.cap()).await?;
        timelines.add(viewer, &ids).await?;
        metrics::counter!("chorus_feed_rebuilds_total").increment(1);
        Ok(())
    }
}

/// May `viewer` see `post` in their home timeline now? Their own posts;
/// others' only if they follow the author, neither blocks the other, and the
/// post is not private.
pub(super) fn may_see(viewer: Id, graph: &GraphView, post: &PostBody) -> bool {
    if post.author_id == viewer {
        return true;
    }
    post.visibility != "private" && graph.follows(post.author_id) && !graph.hides(post.author_id)
}
