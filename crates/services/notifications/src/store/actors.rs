//! `notification_actors`: every distinct actor of each notification, with
//! what they did, so a group counts people and one can be taken out again.

use std::collections::HashSet;

use chorus_core::Id;
use chorus_ports::Dialect;
use sqlx::{Any, AnyConnection, AssertSqlSafe, Executor};

/// One actor's part in a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Act {
    pub notification: Id,
    pub actor: Id,
    pub recipient: Id,
    pub at: i64,
    pub source: Option<Id>,
}

/// Rows per statement in batch writes: 5 binds each.
const CHUNK: usize = 1_000;

/// Which of `pairs` (`(notification, actor)`) are recorded already.
pub async fn acted_among(
    conn: &mut AnyConnection,
    pairs: &[(Id, Id)],
) -> Result<HashSet<(Id, Id)>, sqlx::Error> {
    let dialect = Dialect::of(conn);
    let mut found = HashSet::new();
    for chunk in pairs.chunks(CHUNK) {
        // The pairs as a table joined on the primary key: one lookup each.
        let sql = format!(
            "WITH p (notification_id, actor_id) AS (VALUES {}) \
             SELECT a.notification_id, a.actor_id FROM p JOIN notification_actors a \
             ON a.notification_id = p.notification_id AND a.actor_id = p.actor_id",
            dialect.value_rows(1, chunk.len(), 2),
        );
        let mut query = sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(sql));
        for (notification, actor) in chunk {
            query = query.bind(notification.as_i64()).bind(actor.as_i64());
        }
        let rows = query.fetch_all(&mut *conn).await?;
        found.extend(rows.into_iter().map(|(n, a)| (Id(n), Id(a))));
    }
    Ok(found)
}

/// Records `acts` (one per notification and actor): an actor who acted on a
/// notification before has the time and source renewed.
pub async fn record_all(conn: &mut AnyConnection, acts: &[Act]) -> Result<(), sqlx::Error> {
    let dialect = Dialect::of(conn);
    for chunk in acts.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO notification_actors \
             (notification_id, actor_id, recipient_id, acted_at, source_id) VALUES {} \
             ON CONFLICT (notification_id, actor_id) \
             DO UPDATE SET acted_at = excluded.acted_at, source_id = excluded.source_id",
            dialect.value_rows(1, chunk.len(), 5)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for act in chunk {
            query = query
                .bind(act.notification.as_i64())
                .bind(act.actor.as_i64())
                .bind(act.recipient.as_i64())
                .bind(act.at)
                .bind(act.source.map(Id::as_i64));
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
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
