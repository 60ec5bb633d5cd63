//! `notification_actors`: every distinct actor of each notification, with
//! what they did, so a group counts people and one can be taken out again.

use chorus_core::Id;
use sqlx::{Any, Executor};

/// One actor's part in a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Act {
    pub notification: Id,
    pub actor: Id,
    pub recipient: Id,
    pub at: i64,
    pub source: Option<Id>,
}

/// Records `act`; false (and the time and source renewed) when this actor
/// had acted on the notification before.
pub async fn record(conn: &mut sqlx::AnyConnection, act: Act) -> Result<bool, sqlx::Error> {
    let renewed = sqlx::query(
        "UPDATE notification_actors SET acted_at = $3, source_id = $4 \
         WHERE notification_id = $1 AND actor_id = $2",
    )
    .bind(act.notification.as_i64())
    .bind(act.actor.as_i64())
    .bind(act.at)
    .bind(act.source.map(Id::as_i64))
    .execute(&mut *conn)
    .await?;
    if renewed.rows_affected() == 1 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO notification_actors \
         (notification_id, actor_id, recipient_id, acted_at, source_id) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(act.notification.as_i64())
    .bind(act.actor.as_i64())
    .bind(act.recipient.as_i64())
    .bind(act.at)
    .bind(act.source.map(Id::as_i64))
    .execute(&mut *conn)
    .await?;
    Ok(true)
}

/// The notifications `source` (a comment, a repost, …) took part in.
pub async fn with_source<'e>(
    db: impl Executor<'e, Database = Any>,
    source: Id,
) -> Result<Vec<Id>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT DISTINCT notification_id FROM notification_actors WHERE source_id = $1",
    )
    .bind(source.as_i64())
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id,)| Id(id)).collect())
}

pub async fn remove_source<'e>(
    db: impl Executor<'e, Database = Any>,
    source: Id,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM notification_actors WHERE source_id = $1")
        .bind(source.as_i64())
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// The notifications to `recipient` that `actor` took part in.
pub async fn between<'e>(
    db: impl Executor<'e, Database = Any>,
    actor: Id,
    recipient: Id,
) -> Result<Vec<Id>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT notification_id FROM notification_actors \
         WHERE actor_id = $1 AND recipient_id = $2",
    )
    .bind(actor.as_i64())
    .bind(recipient.as_i64())
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id,)| Id(id)).collect())
}

pub async fn remove_between<'e>(
    db: impl Executor<'e, Database = Any>,
    actor: Id,
    recipient: Id,
) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query("DELETE FROM notification_actors WHERE actor_id = $1 AND recipient_id = $2")
            .bind(actor.as_i64())
            .bind(recipient.as_i64())
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}

/// A notification's newest `limit` actors, with what each did.
pub async fn newest<'e>(
    db: impl Executor<'e, Database = Any>,
    notification: Id,
    limit: usize,
) -> Result<Vec<(Id, Option<Id>)>, sqlx::Error> {
    let rows: Vec<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT actor_id, source_id FROM notification_actors WHERE notification_id = $1 \
         ORDER BY acted_at DESC, actor_id DESC LIMIT $2",
    )
    .bind(notification.as_i64())
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(actor, source)| (Id(actor), source.map(Id)))
        .collect())
}

pub async fn count<'e>(
    db: impl Executor<'e, Database = Any>,
    notification: Id,
) -> Result<i64, sqlx::Error> {
    let (count,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM notification_actors WHERE notification_id = $1")
            .bind(notification.as_i64())
            .fetch_one(db)
            .await?;
    Ok(count)
}
