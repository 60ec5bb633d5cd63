//! Periodic upkeep: re-marks recently revoked sessions in the cache (a cache
//! emptied by a restart of Redis would otherwise forget them) and deletes
//! refresh tokens past their expiry.

use std::future::Future;
use std::time::Duration;

use chorus_core::time::now;

use crate::state::AppState;
use crate::{store, tokens};

/// Runs until `shutdown` completes; at once if the interval is 0 (off).
pub async fn run(state: AppState, shutdown: impl Future<Output = ()>) {
    let every = state.config.maintenance_interval_secs;
    if every == 0 {
        return;
    }
    tokio::pin!(shutdown);
    let mut ticks = tokio::time::interval(Duration::from_secs(every));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate, and start has just done the marking.
    ticks.tick().await;
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = ticks.tick() => run_once(&state).await,
        }
    }
}

async fn run_once(state: &AppState) {
    if let Err(error) = tokens::remark_recent_revocations(state).await {
        tracing::warn!(error = %format!("{error:#}"), "could not mark revoked sessions in the cache");
    }
    match store::delete_expired_refresh_tokens(state.db.writer(), now()).await {
        Ok(0) => {}
        Ok(deleted) => tracing::debug!(deleted, "deleted expired refresh tokens"),
        Err(error) => tracing::warn!(%error, "could not delete expired refresh tokens"),
    }
}
