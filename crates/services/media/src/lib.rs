//! The media service: uploads told apart by their bytes and bounded in
//! size, pixels and per-user quota; stored once per content in the blob
//! store; served with caching and byte ranges.
//!
//! It owns the `media`, `media_variants`, `media_blobs` and `media_usage` tables and the
//! blobs under `sha256/`; publishes `media.uploaded` and `media.deleted`
//! through its outbox. It consumes nothing: accounts cannot be deleted yet
//! (when they can, `user.deleted` will remove their media). At start it
//! sweeps uploads a crashed process left half-spooled.

pub mod app;
mod config;
pub mod domain;
pub mod events;
mod imaging;
mod openapi;
pub mod routes;
mod store;
pub mod views;

use anyhow::Context;
use axum::Router;
use chorus_ports::store::Migrations;
use chorus_ports::{Db, ServiceContext, outbox};
use chorus_telemetry::Readiness;
use futures::FutureExt;

pub use app::Media;
pub use config::MediaConfig;
pub use openapi::openapi;
pub use routes::UPLOAD as UPLOAD_PATH;
pub use store::MediaRecord;

use crate::routes::AppState;

/// The service's name: its SQLite file, PostgreSQL schema and `--target`.
pub const NAME: &str = "media";

/// A started media service: cheap to clone.
#[derive(Clone)]
pub struct MediaService {
    state: AppState,
}

impl MediaService {
    /// Checks its settings and its blob store, connects and migrates its
    /// database and starts its outbox relay.
    pub async fn start(ctx: &ServiceContext, config: MediaConfig) -> anyhow::Result<Self> {
        config.validate()?;
        ctx.infra
            .blobs
            .ping()
            .await
            .context("setting infra.blobs_url: the blob store cannot be written")?;
        let db = connect(ctx).await?;
        db.migrate(&migrations())
            .await
            .context("migrating the media database")?;
        let relay = outbox::spawn_relay(db.clone(), ctx.infra.bus.clone(), ctx.shutdown.clone());
        ctx.tasks.spawn(relay);
        let spool_dir = ctx.data_dir.join("uploads");
        let swept = {
            let dir = spool_dir.clone();
            tokio::task::spawn_blocking(move || app::sweep_stale(&dir, app::STALE_AFTER)).await?
        };
        if swept > 0 {
            tracing::info!(swept, "removed uploads a crashed process left half-spooled");
        }
        let media = Media::new(
            db,
            ctx.infra.blobs.clone(),
            ctx.ids.clone(),
            config,
            ctx.after_commit(),
            spool_dir,
        );
        tracing::info!("media service started");
        Ok(Self {
            state: AppState {
                media,
                identity_key: ctx.identity_key.clone(),
            },
        })
    }

    /// Applies the migrations only (for `chorus migrate`).
    pub async fn migrate(ctx: &ServiceContext) -> anyhow::Result<()> {
        let db = connect(ctx).await?;
        let migrated = db
            .migrate(&migrations())
            .await
            .context("migrating the media database");
        db.close().await;
        migrated
    }

    /// Every media route under its full path, state applied.
    pub fn router(&self) -> Router {
        routes::router(self.state.clone())
    }

    /// `media.db` and `media.blobs`: do the database and the blob store answer?
    pub fn readiness(&self) -> Readiness {
        let db = self.state.media.db().clone();
        let blobs = self.state.media.blobs().clone();
        Readiness::new()
            .check("media.db", move || {
                let db = db.clone();
                async move { db.ping().await }.boxed()
            })
            .check("media.blobs", move || {
                let blobs = blobs.clone();
                async move { blobs.ping().await }.boxed()
            })
    }

    /// The application layer, for in-process callers and tests.
    pub fn app(&self) -> Media {
        self.state.media.clone()
    }
}

async fn connect(ctx: &ServiceContext) -> anyhow::Result<Db> {
    Db::connect(&ctx.db_target(NAME))
        .await
        .context("connecting the media database")
}

fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("migrations/sqlite"),
        postgres: sqlx::migrate!("migrations/postgres"),
    }
}
