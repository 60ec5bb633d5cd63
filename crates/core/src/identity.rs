//! Who is calling, as the gateway vouches for it.
//!
//! The gateway verifies the access token and forwards the caller to services in
//! the `x-chorus-identity` header, signed with the internal key (HMAC-SHA256).
//! A service trusts only a header whose signature checks out, so a request that
//! reaches a service directly cannot pose as a user.

use axum::extract::{FromRef, FromRequestParts};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use http::request::Parts;
use sha2::Sha256;

use crate::{ApiError, Id, Secret};

pub const IDENTITY_HEADER: &str = "x-chorus-identity";

/// How long a signed identity stays valid: long enough for one request to cross
/// the system, short enough that a captured header is soon useless.
const IDENTITY_TTL_SECS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    pub user_id: Id,
    pub session_id: Id,
}

/// The internal key that signs and checks identity headers.
#[derive(Clone)]
pub struct IdentityKey {
    mac: Hmac<Sha256>,
}

impl IdentityKey {
    pub fn new(secret: &Secret) -> Self {
        Self {
            mac: Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
                .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length")),
        }
    }

    /// The header value the gateway attaches for `identity`.
    pub fn sign(&self, identity: Identity) -> String {
        let expires = chrono::Utc::now().timestamp() + IDENTITY_TTL_SECS;
        let claims = format!(
            "v1.{}.{}.{}",
            identity.user_id, identity.session_id, expires
        );
        let signature = URL_SAFE_NO_PAD.encode(self.tag(&claims));
        format!("{claims}.{signature}")
    }

    /// Checks a header value; `None` when it is forged, malformed or stale.
    pub fn verify(&self, header: &str) -> Option<Identity> {
        let (claims, signature) = header.rsplit_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let mut mac = self.mac.clone();
        mac.update(claims.as_bytes());
        mac.verify_slice(&signature).ok()?;

        let mut parts = claims.split('.');
        let (Some("v1"), Some(user), Some(session), Some(expires), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        let expires: i64 = expires.parse().ok()?;
        if expires < chrono::Utc::now().timestamp() {
            return None;
        }
        Some(Identity {
            user_id: user.parse().ok()?,
            session_id: session.parse().ok()?,
        })
    }

    fn tag(&self, claims: &str) -> Vec<u8> {
        let mut mac = self.mac.clone();
        mac.update(claims.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// The identity on a request, if it carries one.
///
/// A header that is present but fails verification is an error (401), never
/// silently treated as anonymous.
fn identity_from_parts(parts: &Parts, key: &IdentityKey) -> Result<Option<Identity>, ApiError> {
    let Some(value) = parts.headers.get(IDENTITY_HEADER) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|header| key.verify(header))
        .map(Some)
        .ok_or_else(|| ApiError::unauthorized("identity header is not signed by the gateway"))
}

/// Extractor for routes that need a signed-in caller: 401 otherwise.
impl<S> FromRequestParts<S> for Identity
where
    IdentityKey: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        identity_from_parts(parts, &IdentityKey::from_ref(state))?.ok_or_else(|| {
            ApiError::unauthorized("sign in first: this route needs an access token")
        })
    }
}

/// Extractor for routes open to everyone that answer more to a signed-in caller.
pub struct MaybeIdentity(pub Option<Identity>);

impl<S> FromRequestParts<S> for MaybeIdentity
where
    IdentityKey: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        identity_from_parts(parts, &IdentityKey::from_ref(state)).map(MaybeIdentity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> IdentityKey {
        IdentityKey::new(&Secret::new(secret))
    }

    const ALICE: Identity = Identity {
        user_id: Id(11),
        session_id: Id(22),
    };

    #[test]
    fn a_signed_identity_verifies() {
        let key = key("internal");
        assert_eq!(key.verify(&key.sign(ALICE)), Some(ALICE));
    }

    #[test]
    fn an_identity_signed_with_another_key_is_refused() {
        let header = key("attacker").sign(ALICE);
        assert_eq!(key("internal").verify(&header), None);
    }

    #[test]
    fn a_tampered_identity_is_refused() {
        let key = key("internal");
        let header = key.sign(ALICE).replacen("v1.11.", "v1.12.", 1);
        assert_eq!(key.verify(&header), None);
    }

    #[test]
    fn garbage_is_refused() {
        let key = key("internal");
        for bad in ["", "v1", "v1.1.2.3", "a.b.c.d.e", "v1.11.22.9999999999.!!"] {
            assert_eq!(key.verify(bad), None, "{bad}");
        }
    }
}
