//! The chat service: direct and group conversations, messages, read
//! receipts, presence and call signaling, over REST and Socket.IO.
//!
//! It owns the `conversations`, `conversation_members`, `messages`,
//! `call_sessions` and `last_seen` tables, and publishes `message.sent`
//! through its outbox (with the recipients who had no chat socket open, for
//! the notifications service). It also holds the Socket.IO engine at
//! `/socket.io` for both namespaces, `/chat` and `/notifications`: every
//! emit to a room travels over pub/sub so that each instance delivers it to
//! its own sockets, and presence lives in the shared cache. The REST routes
//! and the socket handlers share one application layer ([`app::Chat`]).

pub mod app;
pub mod config;
mod domain;
pub mod events;
pub mod live;
mod openapi;
pub mod routes;
pub mod socket;
mod store;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use chorus_ports::store::Migrations;
use chorus_ports::{Db, ServiceContext, Subscription, outbox};
use chorus_rpc::UsersApi;
use chorus_telemetry::Readiness;
use futures::FutureExt;
use socketioxide::SocketIo;

pub use config::{ChatConfig, IceServer};
pub use openapi::openapi;

use crate::app::{Chat, ChatParts};
use crate::live::{Fanout, Presence};
use crate::routes::AppState;
use crate::socket::Hub;

/// The service's name: its SQLite file, PostgreSQL schema, consumer and `--target`.
pub const NAME: &str = "chat";

/// Where the Socket.IO engine answers (both namespaces), in axum syntax:
/// the gateway routes these to the chat service.
pub const SOCKET_IO_PATHS: &[&str] = &["/socket.io", "/socket.io/"];

/// A started chat service: cheap to clone.
#[derive(Clone)]
pub struct ChatService {
    state: AppState,
    /// The Socket.IO engine's routes.
    engine: Router,
    io: SocketIo,
}

impl ChatService {
    /// Connects and migrates its database, starts its outbox relay, claims
    /// a presence slot, builds the Socket.IO engine and subscribes to the
    /// pub/sub channels it delivers from.
    pub async fn start(
        ctx: &ServiceContext,
        config: ChatConfig,
        users: Arc<dyn UsersApi>,
    ) -> anyhow::Result<Self> {
        config.validate()?;
        let db = connect(ctx).await?;
        db.migrate(&migrations())
            .await
            .context("migrating the chat database")?;
        let relay = outbox::spawn_relay(db.clone(), ctx.infra.bus.clone(), ctx.shutdown.clone());
        ctx.tasks.spawn(relay);

        let presence = Presence::new(
            ctx.infra.cache.clone(),
            Duration::from_secs(config.presence_ttl_secs),
            config.presence_slots,
            ctx.ids.next_id().to_string(),
        );
        presence.start(&ctx.tasks, ctx.shutdown.clone()).await;
        let chat = Chat::new(ChatParts {
            db,
            ids: ctx.ids.clone(),
            users,
            config: config.clone(),
            after_commit: ctx.after_commit(),
            fanout: Fanout::new(ctx.infra.pubsub.clone()),
            presence,
            tasks: ctx.tasks.clone(),
            shutdown: ctx.shutdown.clone(),
        });
        let hub = Arc::new(Hub::new(
            chat.clone(),
            ctx.token_keys.clone(),
            ctx.identity_key.clone(),
            ctx.infra.cache.clone(),
        ));
        let (engine, io) = socket::engine(hub, &config, SOCKET_IO_PATHS);
        socket::delivery::start(
            io.clone(),
            ctx.infra.pubsub.clone(),
            &ctx.tasks,
            ctx.shutdown.clone(),
        )
        .await?;
        close_on_shutdown(io.clone(), ctx);
        tracing::info!("chat service started");
        Ok(Self {
            state: AppState {
                chat,
                identity_key: ctx.identity_key.clone(),
            },
            engine,
            io,
        })
    }

    /// Applies the migrations only (for `chorus migrate`).
    pub async fn migrate(ctx: &ServiceContext) -> anyhow::Result<()> {
        let db = connect(ctx).await?;
        let migrated = db
            .migrate(&migrations())
            .await
            .context("migrating the chat database");
        db.close().await;
        migrated
    }

    /// The REST routes and the Socket.IO engine (polling and WebSocket,
    /// both namespaces) at [`SOCKET_IO_PATHS`].
    pub fn router(&self) -> Router {
        routes::router(self.state.clone()).merge(self.engine.clone())
    }

    /// `chat.db`: does the database answer?
    pub fn readiness(&self) -> Readiness {
        let db = self.state.chat.db().clone();
        Readiness::new().check("chat.db", move || {
            let db = db.clone();
            async move { db.ping().await }.boxed()
        })
    }

    /// The application layer, for in-process callers and tests.
    pub fn app(&self) -> Chat {
        self.state.chat.clone()
    }

    /// The Socket.IO handle (every namespace of this instance).
    pub fn io(&self) -> SocketIo {
        self.io.clone()
    }
}

/// When the process stops taking requests, disconnects every socket: their
/// users' presence is settled (last seen, offline) before the process goes,
/// and HTTP draining does not wait for connections that never end.
fn close_on_shutdown(io: SocketIo, ctx: &ServiceContext) {
    let draining = ctx.draining.clone();
    ctx.tasks.spawn(async move {
        draining.cancelled().await;
        io.close().await;
    });
}

/// The chat consumes no events: it is told nothing it does not own.
pub fn subscriptions() -> Vec<Subscription> {
    Vec::new()
}

async fn connect(ctx: &ServiceContext) -> anyhow::Result<Db> {
    Db::connect(&ctx.db_target(NAME))
        .await
        .context("connecting the chat database")
}

fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("migrations/sqlite"),
        postgres: sqlx::migrate!("migrations/postgres"),
    }
}
