//! The users service: profiles, privacy, follows, follow and friend
//! requests, blocks.
//!
//! It owns the `profiles`, `follows`, `follow_requests`, `friend_requests`,
//! `friendships`, `blocks` and `owned_media` tables; creates a profile per
//! `user.registered`, counts posts from `post.created`/`post.deleted` and
//! knows each user's media (avatars) from `media.uploaded`/`media.deleted`;
//! publishes
//! `user.updated`, `user.followed`, `user.unfollowed`, `follow.requested`,
//! `friend.requested`, `friend.accepted`, `friend.removed`, `user.blocked`
//! and `user.unblocked` through its outbox. The REST routes and the
//! in-process [`UsersApi`] share one application layer ([`app::Users`]).

mod api;
pub mod app;
mod consumer;
mod domain;
pub mod events;
mod openapi;
pub mod routes;
mod state;
mod store;

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use chorus_ports::store::Migrations;
use chorus_ports::{Db, ServiceContext, outbox};
use chorus_rpc::UsersApi;
use chorus_telemetry::Readiness;
use futures::FutureExt;

pub use consumer::subscriptions;
pub use openapi::openapi;

use crate::app::Users;
use crate::consumer::Consumer;
use crate::state::AppState;

/// The service's name: its SQLite file, PostgreSQL schema, `--target` and consumer.
pub const NAME: &str = "users";

/// A started users service: cheap to clone.
#[derive(Clone)]
pub struct UsersService {
    state: AppState,
}

impl UsersService {
    /// Connects its database, migrates it, starts its outbox relay and
    /// subscribes its consumer (exactly [`subscriptions`]).
    pub async fn start(ctx: &ServiceContext) -> anyhow::Result<Self> {
        let db = connect(ctx).await?;
        db.migrate(&migrations())
            .await
            .context("migrating the users database")?;
        let relay = outbox::spawn_relay(db.clone(), ctx.infra.bus.clone(), ctx.shutdown.clone());
        ctx.tasks.spawn(relay);
        let consumer = Consumer::new(db.clone(), ctx.ids.clone());
        for subscription in subscriptions() {
            ctx.infra
                .bus
                .subscribe(subscription, consumer.clone())
                .await
                .context("subscribing the users consumer")?;
        }
        let state = AppState {
            users: Users::new(db, ctx.ids.clone(), ctx.after_commit()),
            identity_key: ctx.identity_key.clone(),
        };
        tracing::info!("users service started");
        Ok(Self { state })
    }

    /// The users service's reads over its migrated database, without its
    /// relay or consumer (for one-off commands such as `chorus reindex`,
    /// which must not publish or take events meant for a running service).
    pub async fn reader(ctx: &ServiceContext) -> anyhow::Result<Arc<dyn UsersApi>> {
        let db = connect(ctx).await?;
        db.migrate(&migrations())
            .await
            .context("migrating the users database")?;
        Ok(Arc::new(Users::new(
            db,
            ctx.ids.clone(),
            ctx.after_commit(),
        )))
    }

    /// Applies the migrations only (for `chorus migrate`).
    pub async fn migrate(ctx: &ServiceContext) -> anyhow::Result<()> {
        let db = connect(ctx).await?;
        let migrated = db
            .migrate(&migrations())
            .await
            .context("migrating the users database");
        db.close().await;
        migrated
    }

    /// Every users route under its full path, state applied.
    pub fn router(&self) -> Router {
        routes::router(self.state.clone())
    }

    /// `users.db`: does the database answer?
    pub fn readiness(&self) -> Readiness {
        let db = self.state.users.db().clone();
        Readiness::new().check("users.db", move || {
            let db = db.clone();
            async move { db.ping().await }.boxed()
        })
    }

    /// The in-process `UsersApi`: the same application layer as the routes.
    pub fn api(&self) -> Arc<dyn UsersApi> {
        Arc::new(self.state.users.clone())
    }
}

async fn connect(ctx: &ServiceContext) -> anyhow::Result<Db> {
    Db::connect(&ctx.db_target(NAME))
        .await
        .context("connecting the users database")
}

fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("migrations/sqlite"),
        postgres: sqlx::migrate!("migrations/postgres"),
    }
}
