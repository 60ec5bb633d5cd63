//! Hashtags: found by prefix (`type=hashtags`) and trending now
//! (`GET /api/v1/trends`). Neither depends on the viewer: both count
//! public posts only.

use std::time::Duration;

use chorus_core::{ApiResult, Cursor, Page, PageQuery};

use super::{MAX_RESULTS, Search, offset};
use crate::index::hashtags::TrendWindow;
use crate::query::{SearchQuery, hashtag};
use crate::views::{HashtagView, TrendView};

/// Cached hashtag lists name this term: any post with hashtags retires them.
pub const HASHTAGS_TERM: &str = "@hashtags";

/// However fast hashtags come, trends are recomputed at most this often.
const TRENDS_FRESH_FOR: Duration = Duration::from_secs(1);

/// The most trends computed (and cached) at once.
const MAX_TRENDS: usize = 100;

impl Search {
    pub async fn hashtags(
        &self,
        query: &SearchQuery,
        page: PageQuery,
    ) -> ApiResult<Page<HashtagView>> {
        let start = offset(&page)?;
        let words = query.plain_words();
        let prefix = hashtag(words.first().map(String::as_str).unwrap_or(""));
        let key = format!("search:hashtags:{prefix}");
        let terms = [HASHTAGS_TERM.to_string()];
        let lookup = self
            .inner
            .results
            .get::<Vec<(String, u64)>>(&key, &terms)
            .await;
        let all = match lookup.value {
            Some(all) => all,
            None => {
                let owned = prefix.clone();
                let all = self
                    .blocking(move |index| index.hashtags_with_prefix(&owned))
                    .await?;
                self.inner.results.put(&key, lookup.versions, &all).await;
                all
            }
        };
        let end = (start + page.limit as usize)
            .min(all.len())
            .min(MAX_RESULTS);
        let items = all
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .map(|(name, posts_count)| HashtagView {
                name: name.clone(),
                posts_count: *posts_count,
            })
            .collect();
        let more = end < all.len().min(MAX_RESULTS);
        Ok(Page {
            items,
            next_cursor: more.then(|| Cursor::encode(end.to_string())),
        })
    }

    /// The `limit` hashtags rising fastest now: recomputed when a post
    /// with hashtags came or went, at most once a second.
    pub async fn trends(&self, limit: usize) -> ApiResult<Page<TrendView>> {
        const KEY: &str = "search:trends";
        let terms = [HASHTAGS_TERM.to_string()];
        let lookup = self
            .inner
            .results
            .get_recent::<Vec<TrendView>>(KEY, &terms, TRENDS_FRESH_FOR)
            .await;
        let mut trends = match lookup.value {
            Some(trends) => trends,
            None => {
                let config = &self.inner.config;
                let window = TrendWindow {
                    now_ms: chrono::Utc::now().timestamp_millis(),
                    window_ms: (config.trend_window_secs * 1_000) as i64,
                    history: config.trend_history_windows,
                    min_posts: config.trend_min_posts,
                };
                let trends: Vec<TrendView> = self
                    .blocking(move |index| index.trends(window))
                    .await?
                    .into_iter()
                    .take(MAX_TRENDS)
                    .map(|trend| TrendView {
                        name: trend.name,
                        posts_count: trend.posts_count,
                        previous_average: trend.previous_average,
                        score: trend.score,
                    })
                    .collect();
                self.inner.results.put(KEY, lookup.versions, &trends).await;
                trends
            }
        };
        trends.truncate(limit);
        Ok(Page {
            items: trends,
            next_cursor: None,
        })
    }
}
