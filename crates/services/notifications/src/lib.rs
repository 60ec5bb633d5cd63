//! The notifications service: one notification per recipient from others'
//! events, grouped, with preferences, read state and realtime pushes.
//!
//! It owns the `notifications`, `notification_actors` and
//! `notification_preferences` tables; consumes the graph's, posts' and
//! chat's events ([`events::TOPICS`]); asks the users service (blocks,
//! follows, cards) through [`UsersApi`]; and publishes each new or regrouped
//! notification as a [`chorus_rpc::push::NotificationPush`] on the pub/sub
//! channel [`chorus_rpc::push::NOTIFICATIONS_CHANNEL`], which the chat
//! service relays over Socket.IO. It publishes no events.

pub mod app;
mod consumer;
pub mod domain;
pub mod events;
mod openapi;
pub mod routes;
mod store;

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use chorus_ports::store::Migrations;
use chorus_ports::{Db, ServiceContext};
use chorus_rpc::UsersApi;
use chorus_telemetry::Readiness;
use futures::FutureExt;

pub use app::Notifications;
pub use consumer::subscriptions;
pub use openapi::openapi;

use crate::consumer::Consumer;
use crate::routes::AppState;

/// The service's name: its SQLite file, PostgreSQL schema, consumer and `--target`.
pub const NAME: &str = "notifications";

/// A started notifications service: cheap to clone.
#[derive(Clone)]
pub struct NotificationsService {
    state: AppState,
}

impl NotificationsService {
    /// Connects its database, migrates it and subscribes its consumer
    /// (exactly [`subscriptions`]).
    pub async fn start(ctx: &ServiceContext, users: Arc<dyn UsersApi>) -> anyhow::Result<Self> {
        let db = connect(ctx).await?;
        db.migrate(&migrations())
            .await
            .context("migrating the notifications database")?;
        let notifications =
            Notifications::new(db, users, ctx.infra.pubsub.clone(), ctx.ids.clone());
        let consumer = Arc::new(Consumer::new(notifications.clone()));
        for subscription in subscriptions() {
            ctx.infra
                .bus
                .subscribe(subscription, consumer.clone())
                .await
                .context("subscribing the notifications consumer")?;
        }
        tracing::info!("notifications service started");
        Ok(Self {
            state: AppState {
                notifications,
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
            .context("migrating the notifications database");
        db.close().await;
        migrated
    }

    /// Every notifications route under its full path, state applied.
    pub fn router(&self) -> Router {
        routes::router(self.state.clone())
    }

    /// `notifications.db`: does the database answer?
    pub fn readiness(&self) -> Readiness {
        let db = self.state.notifications.db().clone();
        Readiness::new().check("notifications.db", move || {
            let db = db.clone();
            async move { db.ping().await }.boxed()
        })
    }

    /// The application layer, for in-process callers and tests.
    pub fn app(&self) -> Notifications {
        self.state.notifications.clone()
    }
}

async fn connect(ctx: &ServiceContext) -> anyhow::Result<Db> {
    Db::connect(&ctx.db_target(NAME))
        .await
        .context("connecting the notifications database")
}

fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("migrations/sqlite"),
        postgres: sqlx::migrate!("migrations/postgres"),
    }
}
