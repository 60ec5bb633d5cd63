//! The consumer side of at-least-once delivery: a record, per consuming
//! service, of the event ids it has applied, written in the same transaction as
//! the effects. A redelivered event finds its id there and changes nothing.

use std::collections::HashSet;

use chorus_core::{Envelope, Id};
use sqlx::{Any, AnyConnection, AssertSqlSafe, Transaction};

use crate::store::{Db, Dialect};

/// Events recorded per statement by [`record_all`]: 3 binds each, far
/// below both dialects' limits.
const RECORD_CHUNK: usize = 500;

/// Begins a transaction in which `event` is recorded as applied by
/// `consumer`. Returns `None` if it was applied before: skip it. Commit the
/// transaction with the event's effects; if the handler fails, dropping the
/// transaction forgets the record too, so the retry applies it.
pub async fn begin_once(
    db: &Db,
    consumer: &str,
    event: &Envelope,
) -> anyhow::Result<Option<Transaction<'static, Any>>> {
    let mut tx = db.begin().await?;
    if !record(&mut tx, consumer, event).await? {
        return Ok(None);
    }
    Ok(Some(tx))
}

/// Records `event` as applied by `consumer` in the transaction `conn` is in:
/// `false` if it was applied before (in this transaction too): skip it. For
/// applying several events in one transaction, each recorded in turn.
pub async fn record(
    conn: &mut AnyConnection,
    consumer: &str,
    event: &Envelope,
) -> anyhow::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO chorus_inbox (consumer, event_id, applied_at) VALUES ($1, $2, $3) \
         ON CONFLICT (consumer, event_id) DO NOTHING",
    )
    .bind(consumer)
    .bind(event.id.as_i64())
    .bind(chorus_core::time::to_micros(chorus_core::time::now()))
    .execute(&mut *conn)
    .await?;
    Ok(inserted.rows_affected() > 0)
}

/// Records the events `events` (their ids) as applied by `consumer` in the
/// transaction `conn` is in, in as few statements as the batch allows: the
/// ids of those not applied before (nor earlier in `events`), which are the
/// ones to apply.
pub async fn record_all(
    conn: &mut AnyConnection,
    consumer: &str,
    events: &[Id],
) -> anyhow::Result<HashSet<Id>> {
    let at = chorus_core::time::to_micros(chorus_core::time::now());
    let mut fresh = HashSet::with_capacity(events.len());
    let dialect = Dialect::of(conn);
    let mut ids: Vec<i64> = events.iter().map(|id| id.as_i64()).collect();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(RECORD_CHUNK) {
        // RETURNING names exactly the rows inserted: a conflict returns nothing.
        let sql = format!(
            "INSERT INTO chorus_inbox (consumer, event_id, applied_at) VALUES {} \
             ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id",
            dialect.value_rows(1, chunk.len(), 3)
        );
        let mut query = sqlx::query_as::<_, (i64,)>(AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(consumer).bind(*id).bind(at);
        }
        fresh.extend(
            query
                .fetch_all(&mut *conn)
                .await?
                .into_iter()
                .map(|(id,)| Id(id)),
        );
    }
    Ok(fresh)
}
