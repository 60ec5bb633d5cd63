//! The application layer: searches as a viewer may see them, and the
//! writes the consumer and rebuilds make.

mod cache;
mod posts;
pub(crate) mod trends;
pub(crate) mod users;

use std::sync::Arc;

use chorus_core::{ApiError, ApiResult};
use chorus_ports::Cache;
use chorus_rpc::{PostsApi, UsersApi};

pub use self::cache::ResultCache;
use crate::config::SearchConfig;
use crate::index::SearchIndex;

/// How deep pagination goes: the first this many results of a query.
pub const MAX_RESULTS: usize = 10_000;

/// The search service's application layer: cheap to clone.
#[derive(Clone)]
pub struct Search {
    inner: Arc<Inner>,
}

struct Inner {
    index: Arc<SearchIndex>,
    posts: Arc<dyn PostsApi>,
    users: Arc<dyn UsersApi>,
    results: ResultCache,
    config: SearchConfig,
}

impl Search {
    pub fn new(
        index: Arc<SearchIndex>,
        posts: Arc<dyn PostsApi>,
        users: Arc<dyn UsersApi>,
        cache: Arc<dyn Cache>,
        config: SearchConfig,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                index,
                posts,
                users,
                results: ResultCache::new(cache, config.cache_ttl()),
                config,
            }),
        }
    }

    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.inner.index
    }

    /// Retires the cached results of `terms` (see [`ResultCache`]), once
    /// the index changes that touched them are committed.
    pub async fn retire(&self, terms: &[String]) -> anyhow::Result<()> {
        self.inner.results.bump(terms).await
    }

    /// Runs index work off the async workers.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&SearchIndex) -> anyhow::Result<T> + Send + 'static,
    ) -> ApiResult<T> {
        self.inner
            .index
            .off_async(work)
            .await
            .map_err(ApiError::internal)
    }
}

/// Where a page starts in a ranked list: the cursor's offset, checked.
fn offset(page: &chorus_core::PageQuery) -> ApiResult<usize> {
    let Some(cursor) = &page.cursor else {
        return Ok(0);
    };
    let offset = cursor.as_i64()?;
    usize::try_from(offset)
        .ok()
        .filter(|offset| *offset <= MAX_RESULTS)
        .ok_or_else(|| ApiError::invalid_field("cursor", "not a cursor this list gave out"))
}

/// How many ranked hits to fetch for a page at `offset` of `limit` items:
/// some spare for those the viewer may not see, in steps of 100 so that
/// neighbouring pages share a cached list.
fn window(offset: usize, limit: usize, spare: usize) -> usize {
    let wanted = offset + limit * spare;
    wanted
        .div_ceil(100)
        .saturating_mul(100)
        .clamp(100, MAX_RESULTS)
}

/// A short stable key for a normalized query.
fn digest(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The next page's cursor: where this page stopped, unless nothing is left.
fn next_cursor(position: usize, hits: usize, window: usize) -> Option<String> {
    let more = position < hits || (hits == window && window < MAX_RESULTS);
    (more && position < MAX_RESULTS)
        .then(|| chorus_core::page::Cursor::encode(position.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_come_in_hundreds_with_spare() {
        assert_eq!(window(0, 20, 3), 100);
        assert_eq!(window(90, 20, 3), 200);
        assert_eq!(window(MAX_RESULTS, 100, 3), MAX_RESULTS);
    }

    #[test]
    fn a_page_has_a_next_cursor_while_hits_may_remain() {
        assert!(next_cursor(20, 50, 100).is_some());
        assert!(next_cursor(50, 50, 100).is_none());
        assert!(next_cursor(100, 100, 100).is_some());
        assert!(next_cursor(MAX_RESULTS, MAX_RESULTS, MAX_RESULTS).is_none());
    }
}
