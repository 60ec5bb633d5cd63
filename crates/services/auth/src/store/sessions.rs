//! Sessions: one per login, revoked by logout, replay or a password change.

use chorus_core::Id;
use chorus_core::time::{Timestamp, from_micros, to_micros};
use sqlx::{Any, Executor};

pub struct NewSession<'a> {
    pub id: Id,
    pub user_id: Id,
    pub created_at: Timestamp,
    pub user_agent: Option<&'a str>,
    pub ip: Option<&'a str>,
}

pub async fn insert_session<'e>(
    db: impl Executor<'e, Database = Any>,
    session: &NewSession<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (id, user_id, created_at, last_seen_at, user_agent, ip) \
         VALUES ($1, $2, $3, $3, $4, $5)",
    )
    .bind(session.id.as_i64())
    .bind(session.user_id.as_i64())
    .bind(to_micros(session.created_at))
    .bind(session.user_agent.map(str::to_owned))
    .bind(session.ip.map(str::to_owned))
    .execute(db)
    .await?;
    Ok(())
}

/// Records activity on a live session; returns its user, or `None` if the
/// session is gone or revoked.
pub async fn touch_session<'e>(
    db: impl Executor<'e, Database = Any>,
    session_id: Id,
    now: Timestamp,
) -> Result<Option<Id>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "UPDATE sessions SET last_seen_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING user_id",
    )
    .bind(to_micros(now))
    .bind(session_id.as_i64())
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(user_id,)| Id(user_id)))
}

/// Revokes a session; returns its user if it was live until now.
pub async fn revoke_session<'e>(
    db: impl Executor<'e, Database = Any>,
    session_id: Id,
    now: Timestamp,
) -> Result<Option<Id>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING user_id",
    )
    .bind(to_micros(now))
    .bind(session_id.as_i64())
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(user_id,)| Id(user_id)))
}

/// Revokes every live session of `user_id` but `keep`; returns those revoked.
pub async fn revoke_other_sessions<'e>(
    db: impl Executor<'e, Database = Any>,
    user_id: Id,
    keep: Id,
    now: Timestamp,
) -> Result<Vec<Id>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "UPDATE sessions SET revoked_at = $1 \
         WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL RETURNING id",
    )
    .bind(to_micros(now))
    .bind(user_id.as_i64())
    .bind(keep.as_i64())
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id,)| Id(id)).collect())
}

/// Sessions revoked at or after `since`, with when.
pub async fn sessions_revoked_since<'e>(
    db: impl Executor<'e, Database = Any>,
    since: Timestamp,
) -> Result<Vec<(Id, Timestamp)>, sqlx::Error> {
    let rows: Vec<(i64, i64)> =
        sqlx::query_as("SELECT id, revoked_at FROM sessions WHERE revoked_at >= $1")
            .bind(to_micros(since))
            .fetch_all(db)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, at)| (Id(id), from_micros(at)))
        .collect())
}
