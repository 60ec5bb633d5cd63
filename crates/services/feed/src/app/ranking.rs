//! `?ranking=top`: the newest visible posts (up to `feed.top_window`)
//! ordered by engagement and age, Hacker News style:
//!
//! ```text
//! score = (1 + reactions + 2 × comments + 3 × reposts) / (age_hours + 2)^1.5
//! ```
//!
//! A comment or a repost says more than a reaction; age pulls every post
//! down, so a quiet new post outranks a day-old one with a few likes. The
//! first page fixes the window (its newest post) and the clock (`as_of`);
//! later pages, through the cursor, rank the same window at the same time,
//! so they only shift if engagement changes between pages.

use chorus_core::{ApiError, ApiResult, Cursor, Id, PageQuery};
use chorus_rpc::posts::PostBody;

use super::{Feed, Positions, Selected};

/// The score of `post` at `as_of_ms` (Unix milliseconds).
pub fn top_score(post: &PostBody, as_of_ms: i64) -> f64 {
    let reactions: i64 = post.reaction_counts.values().sum();
    let engagement = 1 + reactions + 2 * post.comment_count + 3 * post.repost_count;
    let age_ms = (as_of_ms - post.created_at.timestamp_millis()).max(0);
    let age_hours = age_ms as f64 / 3_600_000.0;
    engagement as f64 / (age_hours + 2.0).powf(1.5)
}

/// Where a page of the ranking starts: `{as_of_ms}.{newest id}.{offset}`.
#[derive(Debug, Clone, Copy)]
pub(super) struct TopCursor {
    as_of_ms: i64,
    newest: Id,
    offset: usize,
}

impl TopCursor {
    /// The position `steps` further down the same ranking.
    pub(super) fn advanced(self, steps: usize) -> Self {
        Self {
            offset: self.offset.saturating_add(steps),
            ..self
        }
    }

    pub(super) fn encode(&self) -> String {
        Cursor::encode(format!("{}.{}.{}", self.as_of_ms, self.newest, self.offset))
    }

    fn decode(cursor: &Cursor) -> ApiResult<Self> {
        let bad = || ApiError::invalid_field("cursor", "not a cursor this list gave out");
        let mut parts = cursor.0.split('.');
        let mut next = || parts.next().ok_or_else(bad);
        let as_of_ms = next()?.parse().map_err(|_| bad())?;
        let newest = next()?.parse().map_err(|_| bad())?;
        let offset = next()?.parse().map_err(|_| bad())?;
        Ok(Self {
            as_of_ms,
            newest,
            offset,
        })
    }
}

impl Feed {
    pub(super) async fn top(&self, viewer: Id, page: PageQuery) -> ApiResult<Selected> {
        let limit = page.limit.max(1) as usize;
        let start = page.cursor.as_ref().map(TopCursor::decode).transpose()?;
        let graph = self.graph(viewer).await?;
        // Ids are time-ordered: "up to the newest of the first page" is `< newest + 1`.
        let before = start.as_ref().map(|s| Id(s.newest.0.saturating_add(1)));
        let window = self.config().top_window;
        let visible = self.visible(viewer, &graph, before, window).await?;
        let mut posts = visible.posts;
        posts.truncate(window);

        let as_of_ms = start.as_ref().map_or_else(
            || chorus_core::time::now().timestamp_millis(),
            |s| s.as_of_ms,
        );
        let Some(newest) = start
            .as_ref()
            .map(|s| s.newest)
            .or(posts.first().map(|p| p.id))
        else {
            return Ok(Selected::default());
        };
        let mut scored: Vec<(f64, PostBody)> = posts
            .into_iter()
            .map(|post| (top_score(&post, as_of_ms), post))
            .collect();
        scored.sort_by(|(a, x), (b, y)| b.total_cmp(a).then(y.id.cmp(&x.id)));

        let first = TopCursor {
            as_of_ms,
            newest,
            offset: start.map_or(0, |s| s.offset),
        };
        let end = first.advanced(limit);
        let next_cursor = (end.offset < scored.len()).then(|| end.encode());
        let posts = scored
            .into_iter()
            .skip(first.offset)
            .take(limit)
            .map(|(_, post)| post)
            .collect();
        Ok(Selected {
            posts,
            positions: Positions::Ranked(first),
            next_cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chorus_core::time::from_micros;

    use super::*;

    fn post(age_hours: i64, reactions: i64, comments: i64, reposts: i64) -> PostBody {
        let now_ms = 1_800_000_000_000_i64;
        PostBody {
            id: Id(1),
            author_id: Id(2),
            content: String::new(),
            visibility: "public".into(),
            media: Vec::new(),
            hashtags: Vec::new(),
            mentions: Vec::new(),
            repost_of: None,
            reaction_counts: BTreeMap::from([("like".to_string(), reactions)]),
            comment_count: comments,
            repost_count: reposts,
            created_at: from_micros((now_ms - age_hours * 3_600_000) * 1_000),
            edited_at: None,
        }
    }

    const NOW_MS: i64 = 1_800_000_000_000;

    #[test]
    fn engagement_raises_a_post_and_age_lowers_it() {
        assert!(top_score(&post(1, 10, 0, 0), NOW_MS) > top_score(&post(1, 1, 0, 0), NOW_MS));
        assert!(top_score(&post(1, 5, 0, 0), NOW_MS) > top_score(&post(30, 5, 0, 0), NOW_MS));
    }

    #[test]
    fn a_comment_weighs_two_reactions_and_a_repost_three() {
        let by_comment = top_score(&post(3, 0, 1, 0), NOW_MS);
        let by_reactions = top_score(&post(3, 2, 0, 0), NOW_MS);
        assert!((by_comment - by_reactions).abs() < 1e-12);
        let by_repost = top_score(&post(3, 0, 0, 1), NOW_MS);
        let by_three = top_score(&post(3, 3, 0, 0), NOW_MS);
        assert!((by_repost - by_three).abs() < 1e-12);
    }

    #[test]
    fn a_quiet_new_post_outranks_a_day_old_one_with_a_few_likes() {
        assert!(top_score(&post(0, 0, 0, 0), NOW_MS) > top_score(&post(24, 3, 0, 0), NOW_MS));
    }

    #[test]
    fn a_cursor_round_trips_and_a_forged_one_is_refused() {
        let cursor = TopCursor {
            as_of_ms: 5,
            newest: Id(7),
            offset: 20,
        };
        let decoded =
            TopCursor::decode(&Cursor::decode(&cursor.encode()).expect("decodes")).expect("parses");
        assert_eq!(
            (decoded.as_of_ms, decoded.newest, decoded.offset),
            (5, Id(7), 20)
        );
        assert!(TopCursor::decode(&Cursor("1.2".into())).is_err());
    }
}
