//! Access tokens: short-lived JWTs (HS256) that the auth service issues and
//! the gateway verifies without a call to auth. Logout and rotation revoke a
//! whole session; the gateway asks the cache whether a token's session was
//! revoked (`revoked_session_key`), so a revoked token stops working at once.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{Id, Secret};

/// Claims carried in an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user's id.
    pub sub: Id,
    /// The session the token belongs to; revoking it revokes the token.
    pub sid: Id,
    pub iat: i64,
    pub exp: i64,
    /// In cookie mode, the CSRF token a state-changing request must echo in
    /// the `x-csrf-token` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf: Option<String>,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid")]
    Invalid,
}

impl TokenKeys {
    pub fn new(secret: &Secret) -> Self {
        // Only HS256: a token claiming `alg: none` or any other algorithm is refused.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
        }
    }

    pub fn issue(&self, claims: &AccessClaims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .unwrap_or_else(|e| unreachable!("HS256 signing of plain claims cannot fail: {e}"))
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

/// Cache key that marks a session revoked, for as long as its access tokens live.
pub fn revoked_session_key(session_id: Id) -> String {
    format!("auth:revoked:{session_id}")
}

/// Names of the cookies set by a login with `"cookie": true`.
pub const ACCESS_COOKIE: &str = "chorus_access";
pub const REFRESH_COOKIE: &str = "chorus_refresh";
pub const CSRF_COOKIE: &str = "chorus_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn claims(exp_in: i64) -> AccessClaims {
        let now = chrono::Utc::now().timestamp();
        AccessClaims {
            sub: Id(1),
            sid: Id(2),
            iat: now,
            exp: now + exp_in,
            csrf: None,
        }
    }

    #[test]
    fn an_issued_token_verifies() {
        let keys = TokenKeys::new(&Secret::new("s3cret"));
        let token = keys.issue(&claims(60));
        assert_eq!(keys.verify(&token), Ok(claims(60)));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let keys = TokenKeys::new(&Secret::new("s3cret"));
        assert_eq!(
            keys.verify(&keys.issue(&claims(-1))),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = TokenKeys::new(&Secret::new("other")).issue(&claims(60));
        let keys = TokenKeys::new(&Secret::new("s3cret"));
        assert_eq!(keys.verify(&token), Err(TokenError::Invalid));
    }

    #[test]
    fn an_alg_none_token_is_refused() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(60)).expect("json"));
        let keys = TokenKeys::new(&Secret::new("s3cret"));
        assert_eq!(
            keys.verify(&format!("{header}.{body}.")),
            Err(TokenError::Invalid)
        );
    }
}
