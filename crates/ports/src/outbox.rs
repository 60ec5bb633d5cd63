//! The transactional outbox: a service writes the events it emits into its own
//! database in the same transaction as the change ([`enqueue`]), and a relay
//! ([`spawn_relay`]) hands them to the bus afterwards. A change and its event
//! are therefore committed together or not at all, and an event written while
//! the broker is down is published once it is back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chorus_core::Envelope;
use chorus_telemetry::current_traceparent;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::EventBus;
use crate::store::{Db, Dialect};

/// Tables every service database carries, created before its own migrations.
pub(crate) const SQLITE_TABLES: &str = "
CREATE TABLE IF NOT EXISTS chorus_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS chorus_inbox (
    consumer TEXT NOT NULL,
    event_id BIGINT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
)";

pub(crate) const POSTGRES_TABLES: &str = "
CREATE TABLE IF NOT EXISTS chorus_outbox (
    seq BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS chorus_inbox (
    consumer TEXT NOT NULL,
    event_id BIGINT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (consumer, event_id)
)";

const BATCH: i64 = 100;

/// How a database's writers and its relay signal each other.
pub(crate) struct Signals {
    /// Rung after a commit that enqueued events.
    pub(crate) wake: Notify,
    /// Passes begun, numbered from 1.
    started: AtomicU64,
    /// The number of the last pass that published everything it found.
    finished: watch::Sender<u64>,
}

impl Default for Signals {
    fn default() -> Self {
        Self {
            wake: Notify::new(),
            started: AtomicU64::new(0),
            finished: watch::Sender::new(0),
        }
    }
}

impl Signals {
    fn begin_pass(&self) -> u64 {
        self.started.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn pass_succeeded(&self, pass: u64) {
        self.finished.send_replace(pass);
    }

    /// Waits for a successful pass numbered above the passes begun so far:
    /// one that began after the caller's commit, so it saw the caller's events.
    pub(crate) async fn flushed(&self, timeout: Duration) -> bool {
        let begun = self.started.load(Ordering::SeqCst);
        let mut finished = self.finished.subscribe();
        self.wake.notify_one();
        tokio::time::timeout(timeout, finished.wait_for(|pass| *pass > begun))
            .await
            .is_ok_and(|changed| changed.is_ok())
    }
}

/// What a write does once its transaction, events included, has committed.
#[derive(Debug, Clone, Copy)]
pub struct AfterCommit {
    wait: Option<Duration>,
}

impl AfterCommit {
    /// Wake the relay and answer at once: the event is safe in the outbox.
    pub fn wake_only() -> Self {
        Self { wait: None }
    }

    /// Also wait, at most `timeout`, until the relay has published the event
    /// (see [`Db::flush_outbox`]); with the in-process bus, until every
    /// consumer has applied it, so the client reads its own writes anywhere.
    pub fn wait_for_delivery(timeout: Duration) -> Self {
        Self {
            wait: Some(timeout),
        }
    }

    pub async fn run(&self, db: &Db) {
        db.wake_outbox();
        if let Some(timeout) = self.wait
            && !db.flush_outbox(timeout).await
        {
            tracing::debug!(
                ?timeout,
                "events not yet delivered; answering anyway, they wait in the outbox"
            );
        }
    }
}

/// Adds `event` to the outbox inside the caller's transaction. Call
/// [`Db::wake_outbox`] after the commit so the relay publishes at once.
///
/// An event without a `traceparent` takes the current span's, so that its
/// consumers continue the trace of the request that caused it.
pub async fn enqueue(tx: &mut AnyConnection, event: &Envelope) -> anyhow::Result<()> {
    let traced;
    let event = match current_traceparent() {
        Some(traceparent) if event.traceparent.is_none() => {
            traced = Envelope {
                traceparent: Some(traceparent),
                ..event.clone()
            };
            &traced
        }
        _ => event,
    };
    let body = serde_json::to_string(event)?;
    sqlx::query(
        "INSERT INTO chorus_outbox (event_id, event_type, body, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(event.id.as_i64())
    .bind(event.kind.as_str())
    .bind(body)
    .bind(chorus_core::time::to_micros(chorus_core::time::now()))
    .execute(tx)
    .await?;
    Ok(())
}

/// Events still waiting in the outbox.
pub async fn pending(db: &Db) -> anyhow::Result<i64> {
    let row = sqlx::query("SELECT COUNT(*) FROM chorus_outbox")
        .fetch_one(db.reader())
        .await?;
    Ok(row.try_get(0)?)
}

/// Starts the relay for `db`: it publishes waiting events in order, deletes
/// them once the bus has taken them, and retries with backoff while the bus is
/// unreachable. Several instances may relay one PostgreSQL outbox: rows are
/// claimed with `FOR UPDATE SKIP LOCKED`.
pub fn spawn_relay(db: Db, bus: Arc<dyn EventBus>, shutdown: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut failures = 0u32;
        loop {
            let pass = db.outbox_signals().begin_pass();
            let outcome = relay_batch(&db, bus.as_ref()).await;
            let wait = match outcome {
                Ok(published) if published >= BATCH as usize => {
                    failures = 0;
                    Duration::ZERO
                }
                Ok(_) => {
                    failures = 0;
                    db.outbox_signals().pass_succeeded(pass);
                    Duration::from_secs(1)
                }
                Err(error) => {
                    failures += 1;
                    tracing::warn!(error = %format!("{error:#}"), failures, "outbox relay could not publish; retrying");
                    Duration::from_millis(100 * 2u64.pow(failures.min(4)))
                }
            };
            if wait.is_zero() {
                continue;
            }
            tokio::select! {
                _ = shutdown.cancelled() => {
                    // One last pass so events committed just before shutdown go out now.
                    let _ = relay_batch(&db, bus.as_ref()).await;
                    return;
                }
                // While the bus fails, wait out the backoff instead of waking per commit.
                _ = db.outbox_signals().wake.notified(), if failures == 0 => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    })
}

/// Publishes up to one batch; returns how many events went out.
///
/// PostgreSQL: the rows stay claimed (`FOR UPDATE SKIP LOCKED`) while they are
/// published, so that several relays never send the same batch. SQLite: one
/// relay per database (embedded mode), and no transaction is held while
/// publishing, because SQLite has a single writer and the in-process bus
/// returns only once every consumer has applied the event: holding the writer
/// that long would stall every write of the service (and deadlock a consumer
/// sharing the database).
async fn relay_batch(db: &Db, bus: &dyn EventBus) -> anyhow::Result<usize> {
    match db.dialect() {
        Dialect::Postgres => {
            let mut tx = db.begin().await?;
            let rows = sqlx::query(
                "SELECT seq, body FROM chorus_outbox ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
            )
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                return Ok(0);
            }
            let sent = publish_in_order(bus, rows).await?;
            delete(&mut tx, &sent.done).await?;
            tx.commit().await?;
            sent.finish()
        }
        Dialect::Sqlite => {
            let rows = sqlx::query("SELECT seq, body FROM chorus_outbox ORDER BY seq LIMIT $1")
                .bind(BATCH)
                .fetch_all(db.reader())
                .await?;
            if rows.is_empty() {
                return Ok(0);
            }
            let sent = publish_in_order(bus, rows).await?;
            let mut tx = db.begin().await?;
            delete(&mut tx, &sent.done).await?;
            tx.commit().await?;
            sent.finish()
        }
    }
}

/// What one pass achieved.
struct Sent {
    /// Rows to delete: published, or unreadable.
    done: Vec<i64>,
    published: usize,
    failure: Option<anyhow::Error>,
}

impl Sent {
    fn finish(self) -> anyhow::Result<usize> {
        metrics::counter!("chorus_outbox_published_total").increment(self.published as u64);
        match self.failure {
            Some(error) => Err(error),
            None => Ok(self.published),
        }
    }
}

/// Publishes the rows concurrently but sent in order; stops counting at the
/// first failure so that order is kept for what remains.
async fn publish_in_order(bus: &dyn EventBus, rows: Vec<AnyRow>) -> anyhow::Result<Sent> {
    let mut done = Vec::new();
    let mut batch = Vec::with_capacity(rows.len());
    for row in rows {
        let seq: i64 = row.try_get(0)?;
        let body: String = row.try_get(1)?;
        match serde_json::from_str::<Envelope>(&body) {
            Ok(event) => batch.push((seq, event)),
            Err(error) => {
                // A row that cannot be read would block the outbox forever: drop it loudly.
                tracing::error!(seq, %error, "dropping unreadable outbox row");
                done.push(seq);
            }
        }
    }
    let results = futures::future::join_all(batch.iter().map(|(_, e)| bus.publish(e))).await;
    let mut published = 0;
    let mut failure = None;
    for ((seq, _), result) in batch.iter().zip(results) {
        match result {
            Ok(()) if failure.is_none() => {
                done.push(*seq);
                published += 1;
            }
            // Published after an earlier failure: sent again next time, in order.
            Ok(()) => {}
            Err(error) => {
                failure.get_or_insert(error);
            }
        }
    }
    Ok(Sent {
        done,
        published,
        failure,
    })
}

async fn delete(tx: &mut Transaction<'static, Any>, seqs: &[i64]) -> anyhow::Result<()> {
    for seq in seqs {
        sqlx::query("DELETE FROM chorus_outbox WHERE seq = $1")
            .bind(*seq)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
