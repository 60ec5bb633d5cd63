//! Periodic upkeep: forgets comment deletions older than a resuming stream
//! may ask for, so the log stays small.

use std::time::Duration;

use chorus_core::time::now;
use chorus_ports::Db;
use tokio_util::sync::CancellationToken;

use crate::store;

/// How long a deletion stays replayable.
pub const DELETIONS_KEPT: Duration = Duration::from_secs(24 * 60 * 60);
/// How often the log is pruned; every instance does it, harmlessly.
const EVERY: Duration = Duration::from_secs(60 * 60);

/// Prunes at start and then every hour, until `shutdown`.
pub async fn run(db: Db, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticks.tick() => prune(&db).await,
        }
    }
}

async fn prune(db: &Db) {
    let Ok(kept) = chrono::Duration::from_std(DELETIONS_KEPT) else {
        return;
    };
    match store::prune_deletions(db.writer(), now() - kept).await {
        Ok(0) => {}
        Ok(pruned) => tracing::debug!(pruned, "pruned the comment deletions log"),
        Err(error) => tracing::warn!(%error, "could not prune the comment deletions log"),
    }
}
