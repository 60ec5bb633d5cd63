//! The posts service: posts, comments, reactions, reposts, hashtags and mentions.
//!
//! Routes: `/api/v1/posts…`, `/api/v1/comments/{id}` and
//! `/api/v1/users/{id}/posts`, over the application layer [`app::Posts`],
//! which the GraphQL crate calls too. It owns the `posts`, `comments`,
//! `reactions` (+ `reaction_counts`) and `media_refs` tables; publishes
//! `post.*` and `comment.*` events through its outbox; consumes
//! `media.uploaded`/`media.deleted` (which media a post may attach) and
//! `user.updated`. Users are known only through [`chorus_rpc::UsersApi`].
//! Comment changes also go out on pub/sub ([`live`]) to the comments
//! streams of every instance.

pub mod app;
mod config;
mod consumer;
pub mod domain;
pub mod events;
pub mod live;
mod maintenance;
mod openapi;
pub mod routes;
mod state;
mod store;
pub mod views;

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use chorus_ports::store::Migrations;
use chorus_ports::{Db, ServiceContext, outbox};
use chorus_rpc::{PostsApi, UsersApi};
use chorus_telemetry::Readiness;
use futures::FutureExt;

pub use app::Posts;
pub use config::PostsConfig;
pub use consumer::subscriptions;
pub use domain::REACTION_KINDS;
pub use openapi::openapi;
pub use views::{
    CommentView, NewComment, NewPost, PostEdit, PostView, ReactionSummary, ReactionView,
};

use crate::consumer::Consumer;
use crate::live::LiveComments;
use crate::state::AppState;

/// The service's name: its SQLite file, PostgreSQL schema, consumer and `--target`.
pub const NAME: &str = "posts";

/// A started posts service: cheap to clone.
#[derive(Clone)]
pub struct PostsService {
    state: AppState,
    db: Db,
}

impl PostsService {
    /// [`PostsService::start_with`] the default `[posts]` settings.
    pub async fn start(ctx: &ServiceContext, users: Arc<dyn UsersApi>) -> anyhow::Result<Self> {
        Self::start_with(ctx, PostsConfig::default(), users).await
    }

    /// Connects its database, migrates it, starts its outbox relay and
    /// upkeep, and subscribes its consumer.
    pub async fn start_with(
        ctx: &ServiceContext,
        config: PostsConfig,
        users: Arc<dyn UsersApi>,
    ) -> anyhow::Result<Self> {
        config.validate()?;
        let db = connect(ctx).await?;
        db.migrate(&migrations())
            .await
            .context("migrating the posts database")?;
        let live = LiveComments::new(ctx.infra.pubsub.clone());
        let posts = Posts::new(db.clone(), ctx.ids.clone(), users, ctx.after_commit(), live);

        let relay = outbox::spawn_relay(db.clone(), ctx.infra.bus.clone(), ctx.shutdown.clone());
        ctx.tasks.spawn(relay);
        ctx.tasks
            .spawn(maintenance::run(db.clone(), ctx.shutdown.clone()));
        let consumer = Arc::new(Consumer::new(db.clone()));
        for subscription in subscriptions() {
            ctx.infra
                .bus
                .subscribe(subscription, consumer.clone())
                .await
                .context("subscribing the posts consumer")?;
        }
        tracing::info!("posts service started");
        Ok(Self {
            state: AppState {
                posts,
                identity_key: ctx.identity_key.clone(),
                config,
                draining: ctx.draining.clone(),
            },
            db,
        })
    }

    /// The posts service's reads over its migrated database, without its
    /// relay, upkeep or consumer (for one-off commands such as `chorus
    /// reindex`, which must not publish or take events meant for a running
    /// service).
    pub async fn reader(
        ctx: &ServiceContext,
        users: Arc<dyn UsersApi>,
    ) -> anyhow::Result<Arc<dyn PostsApi>> {
        let db = connect(ctx).await?;
        db.migrate(&migrations())
            .await
            .context("migrating the posts database")?;
        let live = LiveComments::new(ctx.infra.pubsub.clone());
        Ok(Arc::new(Posts::new(
            db,
            ctx.ids.clone(),
            users,
            ctx.after_commit(),
            live,
        )))
    }

    /// Applies the migrations only (for `chorus migrate`).
    pub async fn migrate(ctx: &ServiceContext) -> anyhow::Result<()> {
        let db = connect(ctx).await?;
        let migrated = db
            .migrate(&migrations())
            .await
            .context("migrating the posts database");
        db.close().await;
        migrated
    }

    /// Every posts route under its full path, state applied.
    pub fn router(&self) -> Router {
        routes::router(self.state.clone())
    }

    /// `posts.db`: does the database answer?
    pub fn readiness(&self) -> Readiness {
        let db = self.db.clone();
        Readiness::new().check("posts.db", move || {
            let db = db.clone();
            async move { db.ping().await }.boxed()
        })
    }

    /// The application layer, for in-process callers (GraphQL).
    pub fn app(&self) -> Posts {
        self.state.posts.clone()
    }

    /// The in-process `PostsApi`: the same application layer as the routes.
    pub fn api(&self) -> Arc<dyn PostsApi> {
        Arc::new(self.state.posts.clone())
    }
}

async fn connect(ctx: &ServiceContext) -> anyhow::Result<Db> {
    Db::connect(&ctx.db_target(NAME))
        .await
        .context("connecting the posts database")
}

fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("migrations/sqlite"),
        postgres: sqlx::migrate!("migrations/postgres"),
    }
}
