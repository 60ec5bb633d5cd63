//! The search service: full-text search of posts, users and hashtags, and
//! trending hashtags.
//!
//! Its index (tantivy, on disk under `<data_dir>/search/<slot>/`) is a
//! projection fed by `post.*` and `user.*` events; each instance keeps its
//! own, claims its own slot and consumes its own queue, so instances answer
//! alike without sharing a file. A new instance (or a new index version)
//! first fills itself from the posts and users services. Results are cut to
//! what the caller may see and shown as the owning services hold them now;
//! popular queries are cached (Redis in distributed mode) and retired when
//! a matching post comes or goes.

pub mod app;
mod config;
mod consumer;
pub mod index;
mod openapi;
pub mod query;
pub mod rebuild;
pub mod routes;
pub mod views;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use chorus_ports::ServiceContext;
use chorus_rpc::{PostsApi, UsersApi};
use chorus_telemetry::Readiness;
use futures::FutureExt;

pub use app::Search;
pub use config::SearchConfig;
pub use consumer::{subscription, subscriptions};
pub use index::SearchIndex;
pub use openapi::openapi;
pub use rebuild::Rebuilt;

use crate::consumer::Consumer;
use crate::routes::AppState;

/// The service's name: its queue, its folder under the data folder, and `--target`.
pub const NAME: &str = "search";

/// How long a start waits for a new index to fill before going on without it.
const FILL_BEFORE_LISTENING: std::time::Duration = std::time::Duration::from_secs(3);

/// A started search service: cheap to clone.
#[derive(Clone)]
pub struct SearchService {
    state: AppState,
}

impl SearchService {
    /// Claims an index slot, subscribes its queue, and, when the index has
    /// never been filled, fills it from the owning services in the background.
    pub async fn start(
        ctx: &ServiceContext,
        config: SearchConfig,
        users: Arc<dyn UsersApi>,
        posts: Arc<dyn PostsApi>,
    ) -> anyhow::Result<Self> {
        config.validate()?;
        let root = index_root(&ctx.data_dir);
        let index = tokio::task::spawn_blocking(move || SearchIndex::open(&root))
            .await?
            .context("opening the search index")?;
        let index = Arc::new(index);
        let search = Search::new(
            index.clone(),
            posts.clone(),
            users.clone(),
            ctx.infra.cache.clone(),
            config,
        );
        let in_process_bus = ctx.infra_config.uses_in_process_bus();
        // Left alone longer than its queue is kept, it may have missed events.
        let stale = !in_process_bus
            && index.is_complete()
            && chrono::Utc::now().timestamp_millis() - index.last_commit_ms()
                > consumer::QUEUE_KEPT_FOR.as_millis() as i64 - 3_600_000;
        ctx.infra
            .bus
            .subscribe(
                subscription(&index, in_process_bus),
                Arc::new(Consumer::new(search.clone())),
            )
            .await
            .context("subscribing the search consumer")?;
        if stale || !index.is_complete() {
            let shutdown = ctx.shutdown.clone();
            let filling = ctx.tasks.spawn(async move {
                tokio::select! {
                    _ = shutdown.cancelled() => {}
                    result = rebuild::rebuild(&index, posts.as_ref(), users.as_ref(), stale) => {
                        if let Err(error) = result {
                            tracing::error!(%error, "filling the search index failed; it will be retried at the next start");
                        }
                    }
                }
            });
            // A small (or new) deployment is filled before the process says
            // it listens, so it is ready at once; a big one goes on filling
            // in the background while `/ready` says so.
            if tokio::time::timeout(FILL_BEFORE_LISTENING, filling)
                .await
                .is_err()
            {
                tracing::info!(
                    "the search index is still filling; /ready answers 503 until it is done"
                );
            }
        }
        tracing::info!(slot = search.index().slot, "search service started");
        Ok(Self {
            state: AppState {
                search,
                identity_key: ctx.identity_key.clone(),
            },
        })
    }

    pub fn router(&self) -> Router {
        routes::router(self.state.clone())
    }

    /// `search.index`: ready once filled from the owning services, so a
    /// new instance joins the balancer only when it answers like the others.
    pub fn readiness(&self) -> Readiness {
        let index = self.state.search.index().clone();
        Readiness::new().check("search.index", move || {
            let complete = index.is_complete();
            async move {
                anyhow::ensure!(complete, "the index is still being filled");
                Ok(())
            }
            .boxed()
        })
    }

    /// The application layer, for in-process callers.
    pub fn app(&self) -> Search {
        self.state.search.clone()
    }
}

/// Rebuilds every search index under `data_dir` from scratch (`chorus
/// reindex`). Each must be free: a running instance holds its own.
pub async fn reindex(
    data_dir: &Path,
    users: Arc<dyn UsersApi>,
    posts: Arc<dyn PostsApi>,
) -> anyhow::Result<Vec<(u32, Rebuilt)>> {
    let root = index_root(data_dir);
    let mut slots: Vec<u32> = std::fs::read_dir(&root)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    if slots.is_empty() {
        slots.push(1);
    }
    slots.sort_unstable();
    let mut done = Vec::new();
    for slot in slots {
        let opened = {
            let root = root.clone();
            tokio::task::spawn_blocking(move || SearchIndex::open_slot(&root, slot)).await??
        };
        let index = Arc::new(opened.with_context(|| {
            format!(
                "the search index in {} is in use: stop the search service (or chorus up) first",
                root.join(slot.to_string()).display()
            )
        })?);
        let rebuilt = rebuild::rebuild(&index, posts.as_ref(), users.as_ref(), true).await?;
        done.push((slot, rebuilt));
    }
    Ok(done)
}

fn index_root(data_dir: &Path) -> PathBuf {
    data_dir.join(NAME)
}
