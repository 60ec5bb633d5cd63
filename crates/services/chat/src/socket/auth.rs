//! The handshake: a namespace connection carries `auth: {token}` (an access
//! token, checked here as the gateway checks it: signature, expiry, and the
//! revocation list in the cache), or arrives through the gateway with its
//! signed identity header (a Bearer header or the session cookie). Anything
//! else is refused with a `connect_error` whose message starts with the
//! error code (`invalid_token: …`); nothing else is affected.

use std::sync::Arc;

use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::token::{TokenError, TokenKeys, revoked_session_key};
use chorus_core::{Identity, IdentityKey};
use chorus_ports::Cache;
use serde_json::Value;

/// Why a handshake was refused; shown to the client as `code: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: &'static str,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

const NO_CREDENTIALS: Refusal = Refusal {
    code: "unauthorized",
    message: "sign in first: connect with auth: {token: <access token>}",
};
const INVALID: Refusal = Refusal {
    code: "invalid_token",
    message: "the access token is not valid",
};
const EXPIRED: Refusal = Refusal {
    code: "token_expired",
    message: "the access token has expired; refresh it",
};
const REVOKED: Refusal = Refusal {
    code: "token_revoked",
    message: "this session has been signed out",
};
const UNAVAILABLE: Refusal = Refusal {
    code: "unavailable",
    message: "cannot check the session right now; try again",
};

/// Checks handshakes; shared by both namespaces.
pub struct Authenticator {
    pub token_keys: TokenKeys,
    pub identity_key: IdentityKey,
    pub cache: Arc<dyn Cache>,
}

impl Authenticator {
    /// Who connects: from `auth.token` when given (a token that fails is
    /// refused, never passed over for the header), else from the gateway's
    /// identity header.
    pub async fn identify(
        &self,
        auth: Option<&Value>,
        identity_header: Option<&str>,
    ) -> Result<Identity, Refusal> {
        let token = auth.and_then(|auth| auth.get("token"));
        match token {
            Some(Value::String(token)) if !token.trim().is_empty() => {
                self.verify_token(token.trim()).await
            }
            Some(Value::Null) | None => identity_header
                .and_then(|header| self.identity_key.verify(header))
                .ok_or(NO_CREDENTIALS),
            Some(_) => Err(INVALID),
        }
    }

    async fn verify_token(&self, token: &str) -> Result<Identity, Refusal> {
        let claims = self.token_keys.verify(token).map_err(|error| match error {
            TokenError::Expired => EXPIRED,
            TokenError::Invalid => INVALID,
        })?;
        match self.cache.get(&revoked_session_key(claims.sid)).await {
            Ok(None) => Ok(Identity {
                user_id: claims.sub,
                session_id: claims.sid,
            }),
            Ok(Some(_)) => Err(REVOKED),
            Err(error) => {
                // Fail closed: a revoked token must not slip through a cache outage.
                tracing::warn!(error = %error, "cannot check session revocation");
                Err(UNAVAILABLE)
            }
        }
    }
}

/// The identity header of a handshake request, if any.
pub fn identity_header(parts: &http::request::Parts) -> Option<&str> {
    parts
        .headers
        .get(IDENTITY_HEADER)
        .and_then(|value| value.to_str().ok())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use chorus_core::token::AccessClaims;
    use chorus_core::{Id, Secret};
    use chorus_ports::cache::MemoryCache;
    use serde_json::json;

    use super::*;

    fn authenticator() -> Authenticator {
        Authenticator {
            token_keys: TokenKeys::new(&Secret::new("jwt")),
            identity_key: IdentityKey::new(&Secret::new("internal")),
            cache: Arc::new(MemoryCache::new("auth_test")),
        }
    }

    fn token(auth: &Authenticator, expires_in: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        auth.token_keys.issue(&AccessClaims {
            sub: Id(7),
            sid: Id(70),
            iat: now,
            exp: now + expires_in,
            csrf: None,
        })
    }

    #[tokio::test]
    async fn a_valid_token_identifies_the_user() {
        let auth = authenticator();
        let identity = auth
            .identify(Some(&json!({"token": token(&auth, 60)})), None)
            .await
            .expect("admitted");
        assert_eq!(identity.user_id, Id(7));
    }

    #[tokio::test]
    async fn no_bad_expired_or_revoked_token_is_refused() {
        let auth = authenticator();
        assert_eq!(auth.identify(None, None).await, Err(NO_CREDENTIALS));
        assert_eq!(
            auth.identify(Some(&json!({})), None).await,
            Err(NO_CREDENTIALS)
        );
        assert_eq!(
            auth.identify(Some(&json!({"token": "garbage"})), None)
                .await,
            Err(INVALID)
        );
        assert_eq!(
            auth.identify(Some(&json!({"token": 12})), None).await,
            Err(INVALID)
        );
        assert_eq!(
            auth.identify(Some(&json!({"token": token(&auth, -5)})), None)
                .await,
            Err(EXPIRED)
        );
        auth.cache
            .set(
                &revoked_session_key(Id(70)),
                Bytes::from_static(b"1"),
                Duration::from_secs(60),
            )
            .await
            .expect("revoke");
        assert_eq!(
            auth.identify(Some(&json!({"token": token(&auth, 60)})), None)
                .await,
            Err(REVOKED)
        );
    }

    #[tokio::test]
    async fn the_gateway_identity_header_is_accepted_only_when_signed() {
        let auth = authenticator();
        let identity = Identity {
            user_id: Id(3),
            session_id: Id(4),
        };
        let signed = auth.identity_key.sign(identity);
        assert_eq!(auth.identify(None, Some(&signed)).await, Ok(identity));
        let forged = IdentityKey::new(&Secret::new("other")).sign(identity);
        assert_eq!(
            auth.identify(None, Some(&forged)).await,
            Err(NO_CREDENTIALS)
        );
        // A bad token is refused even beside a good header.
        assert_eq!(
            auth.identify(Some(&json!({"token": "bad"})), Some(&signed))
                .await,
            Err(INVALID)
        );
    }

    #[test]
    fn a_refusal_reads_code_first() {
        assert_eq!(
            REVOKED.to_string(),
            "token_revoked: this session has been signed out"
        );
    }
}
