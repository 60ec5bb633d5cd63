//! Refresh tokens, stored as SHA-256 hashes, one live per session.

use chorus_core::Id;
use chorus_core::time::{Timestamp, to_micros};
use sqlx::{Any, Executor};

pub struct NewRefreshToken<'a> {
    pub token_hash: &'a str,
    pub session_id: Id,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

pub async fn insert_refresh_token<'e>(
    db: impl Executor<'e, Database = Any>,
    token: &NewRefreshToken<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token.token_hash)
    .bind(token.session_id.as_i64())
    .bind(to_micros(token.created_at))
    .bind(to_micros(token.expires_at))
    .execute(db)
    .await?;
    Ok(())
}

/// Marks a refresh token used if it is unused, unexpired and its session
/// live; returns the session. Atomic: of two concurrent uses, one wins.
pub async fn use_refresh_token<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<Id>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "UPDATE refresh_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
           AND session_id IN (SELECT id FROM sessions WHERE revoked_at IS NULL) \
         RETURNING session_id",
    )
    .bind(to_micros(now))
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(session_id,)| Id(session_id)))
}

/// A refresh token that could not be used: was it already used (a replay)?
pub struct SpentToken {
    pub session_id: Id,
    pub used: bool,
}

pub async fn find_refresh_token<'e>(
    db: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> Result<Option<SpentToken>, sqlx::Error> {
    let row: Option<(i64, Option<i64>)> =
        sqlx::query_as("SELECT session_id, used_at FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(session_id, used_at)| SpentToken {
        session_id: Id(session_id),
        used: used_at.is_some(),
    }))
}

pub async fn delete_refresh_tokens<'e>(
    db: impl Executor<'e, Database = Any>,
    session_id: Id,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM refresh_tokens WHERE session_id = $1")
        .bind(session_id.as_i64())
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes refresh tokens past their expiry (used ones are kept until then,
/// so that a replay is recognised); returns how many.
pub async fn delete_expired_refresh_tokens<'e>(
    db: impl Executor<'e, Database = Any>,
    now: Timestamp,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM refresh_tokens WHERE expires_at <= $1")
        .bind(to_micros(now))
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
