//! The auth service: accounts, credentials, sessions and tokens.
//!
//! Routes (`/api/v1/auth/…`): `signup`, `login`, `refresh`, `logout`, `me`,
//! `password`. It owns the `users` (credentials), `sessions` and
//! `refresh_tokens` tables and publishes `user.registered` and
//! `session.revoked` through its outbox. Access tokens are JWTs the gateway
//! verifies by itself; revoking a session marks it in the shared cache, which
//! the gateway consults, so that its tokens stop working at once.

pub mod config;
pub mod domain;
pub mod events;
mod hashing;
mod maintenance;
mod openapi;
pub mod routes;
mod state;
mod store;
mod tokens;
mod user_cache;

use anyhow::Context;
use axum::Router;
use chorus_ports::store::Migrations;
use chorus_ports::{Db, ServiceContext, outbox};
use chorus_telemetry::Readiness;
use futures::FutureExt;

pub use config::{Argon2Config, AuthConfig};
pub use openapi::openapi;

use crate::hashing::Hasher;
use crate::state::{AppState, Inner};
use crate::user_cache::UserCache;

/// The service's name: its SQLite file, PostgreSQL schema and `--target`.
pub const NAME: &str = "auth";

/// A started auth service: cheap to clone.
#[derive(Clone)]
pub struct AuthService {
    state: AppState,
}

impl AuthService {
    /// Connects its database, migrates it, starts its outbox relay, and marks
    /// in the cache the sessions revoked within the last access-token
    /// lifetime, so that a cache emptied by a restart revives no revoked token.
    pub async fn start(ctx: &ServiceContext, config: AuthConfig) -> anyhow::Result<Self> {
        config.validate()?;
        let db = connect(ctx).await?;
        db.migrate(&migrations())
            .await
            .context("migrating the auth database")?;
        let hasher = Hasher::new(config.argon2_params()?, config.hashing_permits()).await?;
        let state = AppState::new(Inner {
            users: UserCache::new(db.clone(), ctx.infra.cache.clone(), config.user_cache_ttl()),
            db: db.clone(),
            after_commit: ctx.after_commit(),
            cache: ctx.infra.cache.clone(),
            ids: ctx.ids.clone(),
            identity_key: ctx.identity_key.clone(),
            token_keys: ctx.token_keys.clone(),
            access_ttl: ctx.access_ttl,
            config,
            hasher,
        });

        // The process waits for both at shutdown; both stop when `ctx.shutdown` fires.
        let relay = outbox::spawn_relay(db, ctx.infra.bus.clone(), ctx.shutdown.clone());
        ctx.tasks.spawn(relay);
        let remarked = tokens::remark_recent_revocations(&state)
            .await
            .context("marking recently revoked sessions in the cache")?;
        ctx.tasks.spawn(maintenance::run(
            state.clone(),
            ctx.shutdown.clone().cancelled_owned(),
        ));
        tracing::info!(revoked_sessions_marked = remarked, "auth service started");
        Ok(Self { state })
    }

    /// Applies the migrations only (for `chorus migrate`).
    pub async fn migrate(ctx: &ServiceContext) -> anyhow::Result<()> {
        let db = connect(ctx).await?;
        let migrated = db
            .migrate(&migrations())
            .await
            .context("migrating the auth database");
        db.close().await;
        migrated
    }

    /// Every auth route under its full path, state applied.
    pub fn router(&self) -> Router {
        routes::router(self.state.clone())
    }

    /// `auth.db`: does the database answer?
    pub fn readiness(&self) -> Readiness {
        let db = self.state.db.clone();
        Readiness::new().check("auth.db", move || {
            let db = db.clone();
            async move { db.ping().await }.boxed()
        })
    }
}

async fn connect(ctx: &ServiceContext) -> anyhow::Result<Db> {
    Db::connect(&ctx.db_target(NAME))
        .await
        .context("connecting the auth database")
}

fn migrations() -> Migrations {
    Migrations {
        sqlite: sqlx::migrate!("migrations/sqlite"),
        postgres: sqlx::migrate!("migrations/postgres"),
    }
}
