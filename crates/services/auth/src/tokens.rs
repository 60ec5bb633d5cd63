//! Sessions and the tokens that prove them.
//!
//! A login opens a session. The session has one live refresh token at a time:
//! 32 random bytes shown to the client once and stored only as a SHA-256
//! hash. Exchanging it marks it used and issues the next; presenting a used
//! one again means it was stolen (or replayed), so the whole session is
//! revoked. Access tokens are short-lived JWTs naming the session; revoking a
//! session marks it in the cache, where the gateway looks before trusting one.

use std::fmt::Write;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chorus_core::time::{Timestamp, now};
use chorus_core::token::{AccessClaims, revoked_session_key};
use chorus_core::{ApiError, Id};
use chorus_ports::outbox;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::events;
use crate::state::AppState;
use crate::store::{self, NewRefreshToken, NewSession};

/// Where a login came from, recorded on its session.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// What a login, sign-up or refresh hands the client.
pub struct Issued {
    pub session_id: Id,
    pub access_token: String,
    pub refresh_token: String,
    /// The CSRF token bound into the access token, in cookie mode.
    pub csrf: Option<String>,
    /// Seconds the access token lives.
    pub expires_in: u64,
}

/// Why a session was revoked, carried in `session.revoked`.
#[derive(Debug, Clone, Copy)]
pub enum RevokeReason {
    Logout,
    RefreshTokenReused,
    PasswordChanged,
}

impl RevokeReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::PasswordChanged => "password_changed",
        }
    }
}

/// Opens a session for `user_id` within the caller's transaction and issues
/// its first pair of tokens.
pub async fn open_session(
    conn: &mut AnyConnection,
    state: &AppState,
    user_id: Id,
    client: &ClientInfo,
    cookie: bool,
) -> anyhow::Result<Issued> {
    let at = now();
    let session_id = state.ids.next_id();
    store::insert_session(
        &mut *conn,
        &NewSession {
            id: session_id,
            user_id,
            created_at: at,
            user_agent: client.user_agent.as_deref(),
            ip: client.ip.as_deref(),
        },
    )
    .await?;
    issue(conn, state, user_id, session_id, cookie, at).await
}

/// Exchanges a refresh token for a new pair. A token already used revokes
/// its session; unknown, expired and revoked ones are refused alike.
pub async fn rotate(
    state: &AppState,
    presented: &str,
    cookie: bool,
) -> Result<(Id, Issued), ApiError> {
    let refused = || ApiError::unauthorized("the refresh token is not valid; sign in again");
    let token_hash = hash_refresh_token(presented);
    let at = now();
    let mut tx = state.db.begin().await?;

    if let Some(session_id) = store::use_refresh_token(&mut *tx, &token_hash, at)
        .await
        .map_err(ApiError::internal)?
    {
        let user_id = store::touch_session(&mut *tx, session_id, at)
            .await
            .map_err(ApiError::internal)?
            .ok_or_else(refused)?;
        let issued = issue(&mut tx, state, user_id, session_id, cookie, at).await?;
        tx.commit().await.map_err(ApiError::internal)?;
        return Ok((user_id, issued));
    }

    let spent = store::find_refresh_token(&mut *tx, &token_hash)
        .await
        .map_err(ApiError::internal)?;
    if let Some(spent) = spent.filter(|spent| spent.used) {
        tracing::warn!(session_id = %spent.session_id, "a used refresh token came back: revoking its session");
        revoke(
            &mut tx,
            state,
            spent.session_id,
            RevokeReason::RefreshTokenReused,
        )
        .await?;
        tx.commit().await.map_err(ApiError::internal)?;
        after_revoking(state, &[spent.session_id]).await?;
    }
    Err(refused())
}

/// Revokes a session within the caller's transaction: marks it, deletes its
/// refresh tokens and enqueues `session.revoked`. Returns whether it was live.
/// After the commit, call [`after_revoking`].
pub async fn revoke(
    conn: &mut AnyConnection,
    state: &AppState,
    session_id: Id,
    reason: RevokeReason,
) -> anyhow::Result<bool> {
    let Some(user_id) = store::revoke_session(&mut *conn, session_id, now()).await? else {
        return Ok(false);
    };
    store::delete_refresh_tokens(&mut *conn, session_id).await?;
    enqueue_revoked(conn, state, session_id, user_id, reason).await?;
    Ok(true)
}

/// Revokes every session of `user_id` but `keep`, within the caller's
/// transaction; returns those revoked, for [`after_revoking`].
pub async fn revoke_others(
    conn: &mut AnyConnection,
    state: &AppState,
    user_id: Id,
    keep: Id,
    reason: RevokeReason,
) -> anyhow::Result<Vec<Id>> {
    let revoked = store::revoke_other_sessions(&mut *conn, user_id, keep, now()).await?;
    for &session_id in &revoked {
        store::delete_refresh_tokens(&mut *conn, session_id).await?;
        enqueue_revoked(conn, state, session_id, user_id, reason).await?;
    }
    Ok(revoked)
}

/// Once revocations are committed: wakes the outbox relay and marks the
/// sessions revoked in the cache, so that their access tokens stop at once.
pub async fn after_revoking(state: &AppState, sessions: &[Id]) -> anyhow::Result<()> {
    state.db.wake_outbox();
    for &session_id in sessions {
        mark_revoked(state, session_id, state.access_ttl).await?;
    }
    Ok(())
}

/// Marks again the sessions revoked within the last access-token lifetime,
/// each for what remains of it: after the cache lost its entries (a restart
/// of the process or of Redis), no revoked token comes back to life.
pub async fn remark_recent_revocations(state: &AppState) -> anyhow::Result<usize> {
    let at = now();
    let ttl = chrono::Duration::from_std(state.access_ttl)?;
    let revoked = store::sessions_revoked_since(state.db.reader(), at - ttl).await?;
    for &(session_id, revoked_at) in &revoked {
        let remaining = (revoked_at + ttl - at).to_std().unwrap_or(Duration::ZERO);
        if !remaining.is_zero() {
            mark_revoked(state, session_id, remaining).await?;
        }
    }
    Ok(revoked.len())
}

async fn mark_revoked(state: &AppState, session_id: Id, ttl: Duration) -> anyhow::Result<()> {
    state
        .cache
        .set(&revoked_session_key(session_id), "1".into(), ttl)
        .await
}

async fn enqueue_revoked(
    conn: &mut AnyConnection,
    state: &AppState,
    session_id: Id,
    user_id: Id,
    reason: RevokeReason,
) -> anyhow::Result<()> {
    let event = events::session_revoked(&state.ids, session_id, user_id, reason);
    outbox::enqueue(conn, &event).await
}

/// Stores a fresh refresh token for the session and signs an access token.
async fn issue(
    conn: &mut AnyConnection,
    state: &AppState,
    user_id: Id,
    session_id: Id,
    cookie: bool,
    at: Timestamp,
) -> anyhow::Result<Issued> {
    let refresh_token = random_token();
    let refresh_ttl = chrono::Duration::from_std(state.config.refresh_ttl())?;
    store::insert_refresh_token(
        conn,
        &NewRefreshToken {
            token_hash: &hash_refresh_token(&refresh_token),
            session_id,
            created_at: at,
            expires_at: at + refresh_ttl,
        },
    )
    .await?;

    let csrf = cookie.then(random_token);
    let access_ttl = i64::try_from(state.access_ttl.as_secs())?;
    let access_token = state.token_keys.issue(&AccessClaims {
        sub: user_id,
        sid: session_id,
        iat: at.timestamp(),
        exp: at.timestamp() + access_ttl,
        csrf: csrf.clone(),
    });
    Ok(Issued {
        session_id,
        access_token,
        refresh_token,
        csrf,
        expires_in: state.access_ttl.as_secs(),
    })
}

/// 32 random bytes, base64url without padding (43 characters).
fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// The stored form of a refresh token: its SHA-256, in hex.
pub fn hash_refresh_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest.iter() {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_characters_and_never_repeat() {
        let a = random_token();
        let b = random_token();
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_ne!(a, b);
    }

    #[test]
    fn a_refresh_token_is_stored_as_its_sha256() {
        assert_eq!(
            hash_refresh_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
