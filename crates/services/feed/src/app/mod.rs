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

use chorus_core::{ApiError, Id};
use chorus_ports::{Db, Timelines};
use chorus_rpc::{PostsApi, UsersApi};

pub use graph::GraphView;
pub use ranking::{Ranking, top_score};

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

impl Feed {
    /// `viewer`'s home timeline, a page at a time.
    pub async fn home(
        &self,
        viewer: Id,
        page: chorus_core::PageQuery,
        ranking: Ranking,
    ) -> chorus_core::ApiResult<chorus_core::Page<chorus_rpc::posts::PostView>> {
        match ranking {
            Ranking::Latest => self.latest(viewer, page).await,
            Ranking::Top => self.top(viewer, page).await,
        }
    }
}
