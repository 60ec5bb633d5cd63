//! The feed's application layer: reading home timelines ([`read`],
//! [`ranking`], [`hydrate`]) and keeping them up to date from events
//! ([`fan_out`], [`graph`]).

mod caches;
mod fan_out;
mod graph;
mod hydrate;
mod ranking;
mod read;

use std::sync::Arc;

use chorus_core::{ApiError, ApiResult, Cursor, Id, Page, PageQuery, page::MAX_LIMIT};
use chorus_ports::{Db, Timelines};
use chorus_rpc::feed::{FeedApi, FeedEntry, FeedPage};
use chorus_rpc::posts::{PostBody, PostView};
use chorus_rpc::{PostsApi, UsersApi};

pub use chorus_rpc::feed::Ranking;
pub use graph::GraphView;
pub use ranking::top_score;

use crate::config::FeedConfig;
use caches::Caches;

/// Cheap to clone.
#[derive(Clone)]
pub struct Feed {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    timelines: Arc<dyn Timelines>,
    users: Arc<dyn UsersApi>,
    posts: Arc<dyn PostsApi>,
    config: FeedConfig,
    caches: Caches,
}

impl Feed {
    pub fn new(
        db: Db,
        timelines: Arc<dyn Timelines>,
        cache: Arc<dyn chorus_ports::Cache>,
        users: Arc<dyn UsersApi>,
        posts: Arc<dyn PostsApi>,
        config: FeedConfig,
    ) -> Self {
        let caches = Caches::new(cache, config.cache_ttl());
        Self {
            inner: Arc::new(Inner {
                db,
                timelines,
                users,
                posts,
                config,
                caches,
            }),
        }
    }

    fn db(&self) -> &Db {
        &self.inner.db
    }

    fn timelines(&self) -> &dyn Timelines {
        self.inner.timelines.as_ref()
    }

    fn config(&self) -> &FeedConfig {
        &self.inner.config
    }

    fn caches(&self) -> &Caches {
        &self.inner.caches
    }
}

/// A storage failure, answered as 500 and logged.
fn db_error(error: sqlx::Error) -> ApiError {
    ApiError::internal(format!("feed database: {error}"))
}

/// A failure behind a cache loader: the service's own refusal when it was
/// one (the leader of a load keeps it), otherwise unavailable.
fn load_error(error: anyhow::Error, what: &str) -> ApiError {
    match error.downcast::<ApiError>() {
        Ok(error) => error,
        Err(error) => {
            tracing::warn!(error = %format!("{error:#}"), "loading {what} failed");
            ApiError::unavailable(format!("{what} cannot be read right now"))
        }
    }
}

/// Ids newest first, without repeats.
fn newest_first(mut ids: Vec<Id>) -> Vec<Id> {
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    ids
}

/// A page chosen, before its posts are turned into views.
#[derive(Default)]
struct Selected {
    posts: Vec<PostBody>,
    /// How the cursor after each post is written.
    positions: Positions,
    next_cursor: Option<String>,
}

#[derive(Default)]
enum Positions {
    /// Newest first: the cursor after a post is its id.
    #[default]
    ById,
    /// Ranked: the cursor after a post is its place in the ranking, from
    /// the page's first one.
    Ranked(ranking::TopCursor),
}

impl Selected {
    /// The cursor that continues right after the `index`-th post.
    fn cursor_after(&self, index: usize) -> String {
        match self.positions {
            Positions::ById => Cursor::encode(self.posts[index].id.to_string()),
            Positions::Ranked(first) => first.advanced(index + 1).encode(),
        }
    }
}

impl Feed {
    /// `viewer`'s home timeline, a page at a time, as the REST route shows it.
    pub async fn home_page(
        &self,
        viewer: Id,
        page: PageQuery,
        ranking: Ranking,
    ) -> ApiResult<Page<PostView>> {
        let selected = self.select(viewer, page, ranking).await?;
        Ok(Page {
            items: self.hydrate(viewer, selected.posts).await?,
            next_cursor: selected.next_cursor,
        })
    }

    async fn select(&self, viewer: Id, page: PageQuery, ranking: Ranking) -> ApiResult<Selected> {
        if !(1..=MAX_LIMIT).contains(&page.limit) {
            return Err(ApiError::invalid_field(
                "limit",
                format!("must be a whole number from 1 to {MAX_LIMIT}"),
            ));
        }
        match ranking {
            Ranking::Latest => self.latest(viewer, page).await,
            Ranking::Top => self.top(viewer, page).await,
        }
    }
}

/// The feed as other services call it: ids and cursors, no views.
#[async_trait::async_trait]
impl FeedApi for Feed {
    async fn home(&self, viewer: Id, page: PageQuery, ranking: Ranking) -> ApiResult<FeedPage> {
        let selected = self.select(viewer, page, ranking).await?;
        let entries = (selected.posts.iter().enumerate())
            .map(|(index, post)| FeedEntry {
                post: post.id,
                cursor: selected.cursor_after(index),
            })
            .collect();
        Ok(FeedPage {
            entries,
            next_cursor: selected.next_cursor,
        })
    }
}
