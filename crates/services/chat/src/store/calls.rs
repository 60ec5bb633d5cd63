//! Call sessions: who called whom in which conversation, and how it went.

use chorus_core::Id;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use sqlx::{Any, Executor};

use crate::domain::{CallKind, CallState};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    pub id: Id,
    pub conversation_id: Id,
    pub initiator_id: Id,
    pub kind: CallKind,
    pub state: CallState,
    pub started_at: Timestamp,
    pub answered_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
}

type Row = (i64, i64, i64, String, String, i64, Option<i64>, Option<i64>);

const SELECT: &str = "SELECT id, conversation_id, initiator_id, kind, state, started_at, \
                      answered_at, ended_at FROM call_sessions";

fn record(row: Row) -> CallRecord {
    let (id, conversation_id, initiator_id, kind, state, started_at, answered_at, ended_at) = row;
    CallRecord {
        id: Id(id),
        conversation_id: Id(conversation_id),
        initiator_id: Id(initiator_id),
        kind: CallKind::from_stored(&kind),
        state: CallState::from_stored(&state),
        started_at: from_micros(started_at),
        answered_at: answered_at.map(from_micros),
        ended_at: ended_at.map(from_micros),
    }
}

pub async fn insert<'e>(
    db: impl Executor<'e, Database = Any>,
    call: &CallRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO call_sessions (id, conversation_id, initiator_id, kind, state, started_at, \
         answered_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(call.id.as_i64())
    .bind(call.conversation_id.as_i64())
    .bind(call.initiator_id.as_i64())
    .bind(call.kind.as_str())
    .bind(call.state.as_str())
    .bind(to_micros(call.started_at))
    .bind(call.answered_at.map(to_micros))
    .bind(call.ended_at.map(to_micros))
    .execute(db)
    .await?;
    Ok(())
}

pub async fn find<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
) -> Result<Option<CallRecord>, sqlx::Error> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
        .bind(id.as_i64())
        .fetch_optional(db)
        .await?;
    Ok(row.map(record))
}

/// Moves the call from `from` to `to` (stamping `answered_at` when it
/// becomes active, `ended_at` when it is over); false when it was no longer
/// in `from` (another member got there first), so transitions never race.
pub async fn transition<'e>(
    db: impl Executor<'e, Database = Any>,
    id: Id,
    from: CallState,
    to: CallState,
    at: Timestamp,
) -> Result<bool, sqlx::Error> {
    let at = to_micros(at);
    let answered_at = (to == CallState::Active).then_some(at);
    let ended_at = (!to.is_live()).then_some(at);
    let done = sqlx::query(
        "UPDATE call_sessions SET state = $3, \
         answered_at = COALESCE($4, answered_at), ended_at = COALESCE($5, ended_at) \
         WHERE id = $1 AND state = $2",
    )
    .bind(id.as_i64())
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(answered_at)
    .bind(ended_at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// `conversation`'s calls older than `before` (all when `None`), newest first.
pub async fn before<'e>(
    db: impl Executor<'e, Database = Any>,
    conversation: Id,
    before: Option<Id>,
    limit: u32,
) -> Result<Vec<CallRecord>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE conversation_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    )))
    .bind(conversation.as_i64())
    .bind(before.map_or(i64::MAX, Id::as_i64))
    .bind(i64::from(limit))
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(record).collect())
}
