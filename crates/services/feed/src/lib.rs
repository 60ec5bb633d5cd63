//! The feed service: home timelines.
//!
//! Fan-out on write: a new post goes into each follower's materialized
//! timeline ([`chorus_ports::Timelines`]: Redis sorted sets in distributed
//! mode, memory when embedded), capped at `feed.timeline_cap`. Accounts with
//! more followers than `feed.celebrity_threshold` are merged in at read
//! instead (hybrid fan-out). The feed keeps its own replica of the graph and
//! of post ids from events, so a fan-out makes no call per follower; a read
//! takes ids from the timeline, then bodies (posts service) and authors
//! (users service) in one cached batch each, and shows only what the viewer
//! may see at that moment.

pub mod app;
pub mod config;
mod consumer;
mod openapi;
pub mod routes;
mod store;

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use chorus_ports::store::Migrations;
use chorus_ports::timeline::{MemoryTimelines, RedisTimelines};
use chorus_ports::{Db, ServiceContext, Timelines};
use chorus_rpc::{PostsApi, UsersApi};
use chorus_telemetry::Readiness;
use futures::FutureExt;

pub use app::{Feed, Ranking};
pub use config::FeedConfig;
pub use consumer::subscriptions;
pub use openapi::openapi;

use crate::consumer::Consumer;
use crate::routes::AppState;

/// The service's name: its SQLite file, PostgreSQL schema, consumer and `--target`.
pub const NAME: &str = "feed";

/// A started feed service: cheap to clone.
#[derive(Clone)]
pub struct FeedService {
    state: AppState,
    db: Db,
    timelines: Arc<dyn Timelines>,
}

impl FeedService {
    /// Connects its database and timeline store, migrates, and subscribes
    /// its consumer.
    pub async fn start(
        ctx: &ServiceContext,
        config: FeedConfig,
        users: Arc<dyn UsersApi>,
        posts: Arc<dyn PostsApi>,
    ) -> anyhow::Result<Self> {
        config.validate()?;
        let db = connect(ctx).await?;
        db.migrate(&migrations())
            .await
            .context("migrating the feed database")?;
        let timelines = timelines(ctx, config.timeline_cap).await?;
        let feed = Feed::new(
            db.clone(),
            timelines.clone(),
            ctx.infra.cache.clone(),
            users,
            posts,
            config,
        );
        let consumer = Arc::new(Consumer::new(feed.clone()));
        for subscription in subscriptions() {
            ctx.infra
                .bus
                .subscribe(subscription, consumer.clone())
                .await
                .context("subscribing the feed consumer")?;
        }
        tracing::info!("feed service started");
        Ok(Self {
            state: AppState {
                feed,
                identity_key: ctx.identity_key.clone(),
            },
            db,
            timelines,
        })
    }

    /// Applies the migrations only (for `chorus migrate`).
    pub async fn migrate(ctx: &ServiceContext) -> anyhow::Result<()> {
        let db = connect(ctx).await?;
        let migrated = db
            .migrate(&migrations())
            .await
            .context("migrating the feed database");
        db.close().await;
        migrated
    }

    pub fn router(&self) -> Router {
        routes::router(self.state.clone())
    }

    /// `feed.db` and `feed.timelines`: do they answer?
    pub fn readiness(&self) -> Readiness {
        let db = self.db.clone();
        let timelines = self.timelines.clone();
        Readiness::new()
            .check("feed.db", move || {
                let db = db.clone();
                async move { db.ping().await }.boxed()
            })
            .check("feed.timelines", move || {
                let timelines = timelines.clone();
                async move { timelines.ping().await }.boxed()
            })
    }

    /// The application layer, for in-process callers.
    pub fn app(&self) -> Feed {
        self.state.feed.clone()
    }

    /// What other services may ask: the feed itself in this process, served
    /// over gRPC ([`chorus_rpc::grpc::feed_routes`]) to others.
    pub fn api(&self) -> Arc<dyn chorus_rpc::FeedApi> {
        Arc::new(self.state.feed.clone())
    }
}

/// Timelines live where the cache does: in process when embedded, Redis otherwise.
async fn timelines(ctx: &ServiceContext, cap: usize) -> anyhow::Result<Arc<dyn Timelines>> {
    let config = &ctx.infra_config;
    if config.cache_url == "memory" {
        return Ok(Arc::new(MemoryTimelines::new(cap)));
    }
    let redis = RedisTimelines::connect(&config.cache_url, &config.namespace, cap)
        .await
        .context("setting infra.cache_url: the feed keeps timelines there, and cannot reach it")?;
    Ok(Arc::new(redis))
}

async fn connect(ctx: &ServiceContext) -> anyhow::Result<Db> {
    Db::connect(&ctx.db_target(NAME))
        .await
        .context("connecting the feed database")
}

fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("migrations/sqlite"),
        postgres: sqlx::migrate!("migrations/postgres"),
    }
}
