//! `GET /api/v1/search?type=posts`: ranked hits (cached per query), kept
//! only where the viewer may see them, shown as the posts service holds
//! them now.

use std::collections::{HashMap, HashSet};

use chorus_core::{ApiResult, Id, Page, PageQuery};
use chorus_rpc::posts::{PostBody, PostView};
use chorus_rpc::users::Relation;

use super::{Search, digest, next_cursor, offset, window};
use crate::index::Visibility;
use crate::index::posts::PostHit;
use crate::query::SearchQuery;

/// Ranked hits fetched per wanted item: room for those the viewer may not see.
const SPARE: usize = 3;

impl Search {
    pub async fn posts(
        &self,
        viewer: Option<Id>,
        query: &SearchQuery,
        page: PageQuery,
    ) -> ApiResult<Page<PostView>> {
        let start = offset(&page)?;
        let limit = page.limit as usize;
        let mut window = window(start, limit, SPARE);
        loop {
            let hits = self.top_posts(query, window).await?;
            let candidates = hits.get(start..).unwrap_or_default();
            let relations = self.relations(viewer, candidates).await?;
            let mut chosen = Vec::with_capacity(limit);
            let mut position = start;
            for hit in candidates {
                if chosen.len() == limit {
                    break;
                }
                position += 1;
                let relation = relations.get(&hit.author_id).copied();
                if may_see(viewer, hit.author_id, hit.visibility, relation) {
                    chosen.push(hit.id);
                }
            }
            let exhausted = hits.len() < window || window >= super::MAX_RESULTS;
            if chosen.len() < limit && !exhausted {
                window = (window * 4).min(super::MAX_RESULTS);
                continue;
            }
            let items = self.views(viewer, &chosen, &relations).await?;
            return Ok(Page {
                items,
                next_cursor: next_cursor(position, hits.len(), window),
            });
        }
    }

    /// The best `k` hits for `query`, from the cache when no matching post
    /// came or went since they were ranked.
    async fn top_posts(&self, query: &SearchQuery, k: usize) -> ApiResult<Vec<PostHit>> {
        let terms = self.inner.index.query_terms(query);
        let key = format!("search:posts:{}:{k}", digest(&query.normalized()));
        let lookup = self.inner.results.get::<Vec<PostHit>>(&key, &terms).await;
        if let Some(hits) = lookup.value {
            return Ok(hits);
        }
        let owned = query.clone();
        let now = chrono::Utc::now().timestamp_millis();
        let hits = self
            .blocking(move |index| index.top_posts(&owned, k, now))
            .await?;
        self.inner.results.put(&key, lookup.versions, &hits).await;
        Ok(hits)
    }

    /// How the viewer stands with the authors of `hits` (none when anonymous).
    async fn relations(
        &self,
        viewer: Option<Id>,
        hits: &[PostHit],
    ) -> ApiResult<HashMap<Id, Relation>> {
        let Some(viewer) = viewer else {
            return Ok(HashMap::new());
        };
        let authors: HashSet<Id> = hits
            .iter()
            .map(|hit| hit.author_id)
            .filter(|author| *author != viewer)
            .collect();
        if authors.is_empty() {
            return Ok(HashMap::new());
        }
        let authors: Vec<Id> = authors.into_iter().collect();
        self.inner.users.relations(viewer, &authors).await
    }

    /// The chosen posts as they are now, in rank order: gone ones, and any
    /// whose visibility changed against the viewer since indexing, left out.
    async fn views(
        &self,
        viewer: Option<Id>,
        ids: &[Id],
        relations: &HashMap<Id, Relation>,
    ) -> ApiResult<Vec<PostView>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut bodies: HashMap<Id, PostBody> = self
            .inner
            .posts
            .bodies(ids)
            .await?
            .into_iter()
            .filter(|body| {
                let visibility = Visibility::parse(&body.visibility).unwrap_or(Visibility::Private);
                let relation = relations.get(&body.author_id).copied();
                may_see(viewer, body.author_id, visibility, relation)
            })
            .map(|body| (body.id, body))
            .collect();
        let mut authors: Vec<Id> = bodies.values().map(|body| body.author_id).collect();
        authors.sort_unstable();
        authors.dedup();
        let reacted: Vec<Id> = bodies
            .values()
            .filter(|body| body.has_reactions())
            .map(|body| body.id)
            .collect();
        let mine = async {
            match viewer {
                Some(viewer) if !reacted.is_empty() => {
                    self.inner.posts.reactions_of(viewer, &reacted).await
                }
                _ => Ok(HashMap::new()),
            }
        };
        let (cards, mut mine) = tokio::try_join!(self.inner.users.cards(&authors), mine)?;
        let cards: HashMap<Id, _> = cards.into_iter().map(|card| (card.id, card)).collect();
        Ok(ids
            .iter()
            .filter_map(|id| {
                let body = bodies.remove(id)?;
                let author = cards.get(&body.author_id)?.clone();
                let my_reactions = mine.remove(id).unwrap_or_default();
                Some(body.view(author, my_reactions))
            })
            .collect())
    }
}

/// The posts service's rule, on the index's form of a visibility.
fn may_see(
    viewer: Option<Id>,
    author: Id,
    visibility: Visibility,
    relation: Option<Relation>,
) -> bool {
    chorus_rpc::posts::may_see(visibility.as_str(), viewer, author, relation)
}
