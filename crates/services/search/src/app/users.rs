//! `GET /api/v1/search?type=users`: accounts by prefix of their username
//! or display name, as the viewer may see them (the users service leaves
//! out those a block hides).

use std::collections::HashMap;

use chorus_core::{ApiResult, Id, Page, PageQuery};
use chorus_rpc::users::Profile;

use super::{MAX_RESULTS, Search, digest, next_cursor, offset, window};
use crate::query::SearchQuery;

/// Cached user results name this term: any account change retires them.
pub const USERS_TERM: &str = "@users";

impl Search {
    pub async fn users(
        &self,
        viewer: Option<Id>,
        query: &SearchQuery,
        page: PageQuery,
    ) -> ApiResult<Page<Profile>> {
        let limit = page.limit as usize;
        let mut position = offset(&page)?;
        let mut window = window(position, limit, 2);
        let mut items = Vec::with_capacity(limit);
        loop {
            let hits = self.top_users(query, window).await?;
            while items.len() < limit && position < hits.len() {
                // Some spare: a block may hide a few.
                let end = (position + (limit - items.len()) * 2).min(hits.len());
                let chunk = &hits[position..end];
                let profiles = self.inner.users.profiles(viewer, chunk).await?;
                let mut by_id: HashMap<Id, Profile> =
                    profiles.into_iter().map(|p| (p.id, p)).collect();
                for id in chunk {
                    if items.len() == limit {
                        break;
                    }
                    position += 1;
                    if let Some(profile) = by_id.remove(id) {
                        items.push(profile);
                    }
                }
            }
            let exhausted = hits.len() < window || window >= MAX_RESULTS;
            if items.len() < limit && !exhausted {
                window = (window * 4).min(MAX_RESULTS);
                continue;
            }
            return Ok(Page {
                items,
                next_cursor: next_cursor(position, hits.len(), window),
            });
        }
    }

    async fn top_users(&self, query: &SearchQuery, k: usize) -> ApiResult<Vec<Id>> {
        let words = query.plain_words();
        let key = format!("search:users:{}:{k}", digest(&words.join(" ")));
        let terms = [USERS_TERM.to_string()];
        let lookup = self.inner.results.get::<Vec<Id>>(&key, &terms).await;
        if let Some(ids) = lookup.value {
            return Ok(ids);
        }
        let ids = self
            .blocking(move |index| index.top_users(&words, k))
            .await?;
        self.inner.results.put(&key, lookup.versions, &ids).await;
        Ok(ids)
    }
}
