//! What other services ask the feed service, synchronously: a page of a home
//! timeline as post ids, for callers that load the posts themselves (the
//! GraphQL API, which sits beside the posts service).

use async_trait::async_trait;
use chorus_core::{ApiError, ApiResult, Id, PageQuery};

/// How a home timeline is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ranking {
    /// Newest first.
    #[default]
    Latest,
    /// By engagement and age (the formula is in the feed's `ranking` module).
    Top,
}

impl Ranking {
    /// `latest` (the default) or `top`.
    pub fn parse(raw: Option<&str>) -> ApiResult<Self> {
        match raw {
            None | Some("latest") => Ok(Self::Latest),
            Some("top") => Ok(Self::Top),
            Some(_) => Err(ApiError::invalid_field(
                "ranking",
                "ranking is latest or top",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Latest => "latest",
            Self::Top => "top",
        }
    }
}

/// One post of a page, and the cursor that continues right after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEntry {
    pub post: Id,
    /// Opaque, as `next_cursor` is.
    pub cursor: String,
}

/// A page of a home timeline: what `GET /api/v1/feed` answers, before the
/// posts are loaded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FeedPage {
    pub entries: Vec<FeedEntry>,
    /// Present when more may follow.
    pub next_cursor: Option<String>,
}

#[async_trait]
pub trait FeedApi: Send + Sync {
    /// A page of `viewer`'s home timeline: only posts the viewer may see, in
    /// the order `ranking` gives. `page.cursor` is a cursor this method (or
    /// the REST route) gave out for the same ranking.
    async fn home(&self, viewer: Id, page: PageQuery, ranking: Ranking) -> ApiResult<FeedPage>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rankings_parse_from_their_names() {
        assert_eq!(Ranking::parse(None).expect("default"), Ranking::Latest);
        for ranking in [Ranking::Latest, Ranking::Top] {
            assert_eq!(
                Ranking::parse(Some(ranking.as_str())).expect("parses"),
                ranking
            );
        }
        assert!(Ranking::parse(Some("best")).is_err());
    }
}
