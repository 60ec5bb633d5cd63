//! The consumer side of at-least-once delivery: a record, per consuming
//! service, of the event ids it has applied, written in the same transaction as
//! the effects. A redelivered event finds its id there and changes nothing.

use chorus_core::Envelope;
use sqlx::{Any, AnyConnection, Transaction};

use crate::store::Db;

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
