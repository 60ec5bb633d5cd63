//! Authentication, the gateway's hot path.
//!
//! Every request loses any client-sent identity header. A request with an
//! access token (a Bearer header, else the session cookie) has it verified
//! locally (HS256), its session checked against the revocation list in the
//! cache, and then carries the caller to the service as a signed identity
//! header. A request without credentials passes on anonymous: each service
//! decides which routes need a caller.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::token::{
    ACCESS_COOKIE, AccessClaims, CSRF_HEADER, TokenError, TokenKeys, revoked_session_key,
};
use chorus_core::{ApiError, Identity, IdentityKey};
use chorus_ports::Cache;
use http::header::{AUTHORIZATION, COOKIE, HeaderName};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use subtle::ConstantTimeEq;

use crate::revocations::{OutageGrace, Verdict};

const IDENTITY: HeaderName = HeaderName::from_static(IDENTITY_HEADER);
const CSRF: HeaderName = HeaderName::from_static(CSRF_HEADER);

/// What the middleware needs, shared behind one `Arc` so a request clones a pointer.
pub(crate) struct Authenticator {
    pub(crate) token_keys: TokenKeys,
    pub(crate) identity_key: IdentityKey,
    pub(crate) cache: Arc<dyn Cache>,
    pub(crate) outage: OutageGrace,
}

enum Credential<'a> {
    Bearer(&'a str),
    /// Cookies ride along on cross-site requests, so these need the CSRF check.
    Cookie(&'a str),
}

/// Middleware: strips any forged identity, then attaches the verified one.
pub(crate) async fn authenticate(
    State(auth): State<Arc<Authenticator>>,
    mut request: Request,
    next: Next,
) -> Response {
    request.headers_mut().remove(IDENTITY);
    if ignores_credentials(request.method(), request.uri().path()) {
        return next.run(request).await;
    }
    match auth.identify(request.method(), request.headers()).await {
        Ok(Some(identity)) => {
            request.headers_mut().insert(IDENTITY, identity);
        }
        Ok(None) => {}
        Err(error) => return error.into_response(),
    }
    next.run(request).await
}

/// Signing up, logging in and refreshing must work with a stale token still
/// in the client's hands. A media's bytes are the same for everyone: an
/// `<img>` sending an expired session cookie must still get them, and a
/// page of images costs no session lookups.
fn ignores_credentials(method: &Method, path: &str) -> bool {
    match *method {
        Method::POST => matches!(
            path,
            "/api/v1/auth/signup" | "/api/v1/auth/login" | "/api/v1/auth/refresh"
        ),
        Method::GET | Method::HEAD => path.starts_with("/media/"),
        _ => false,
    }
}

impl Authenticator {
    /// The signed identity header for the caller, `None` when anonymous.
    async fn identify(
        &self,
        method: &Method,
        headers: &HeaderMap,
    ) -> Result<Option<HeaderValue>, ApiError> {
        let claims = match credential(headers)? {
            None => return Ok(None),
            Some(Credential::Bearer(token)) => self.verify(token)?,
            Some(Credential::Cookie(token)) => {
                let claims = self.verify(token)?;
                check_csrf(method, headers, &claims)?;
                claims
            }
        };
        let now = std::time::Instant::now();
        let verdict = match self.cache.get(&revoked_session_key(claims.sid)).await {
            Ok(found) => {
                self.outage.read(claims.sid, found.is_some(), now);
                match found {
                    None => Verdict::Allow,
                    Some(_) => Verdict::Revoked,
                }
            }
            Err(error) => {
                tracing::warn!(error = %error, "cannot check session revocation");
                self.outage.unreadable(claims.sid, now)
            }
        };
        match verdict {
            Verdict::Allow => {}
            Verdict::Revoked => {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "token_revoked",
                    "this session has been signed out",
                ));
            }
            Verdict::Unavailable => {
                return Err(ApiError::unavailable(
                    "cannot check the session right now; try again",
                ));
            }
        }
        let signed = self.identity_key.sign(Identity {
            user_id: claims.sub,
            session_id: claims.sid,
        });
        HeaderValue::try_from(signed)
            .map(Some)
            .map_err(ApiError::internal)
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, ApiError> {
        self.token_keys.verify(token).map_err(|error| match error {
            TokenError::Expired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "token_expired",
                "the access token has expired; refresh it",
            ),
            TokenError::Invalid => invalid_token(),
        })
    }
}

fn invalid_token() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "the access token is not valid",
    )
}

/// The Authorization header wins; the session cookie is the fallback.
fn credential(headers: &HeaderMap) -> Result<Option<Credential<'_>>, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(access_cookie(headers).map(Credential::Cookie));
    };
    let value = value.to_str().map_err(|_| invalid_token())?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized(
            "only `Authorization: Bearer <access token>` is accepted",
        ));
    }
    match token.trim() {
        "" => Err(invalid_token()),
        token => Ok(Some(Credential::Bearer(token))),
    }
}

/// The access cookie's value, read in place (no cookie jar per request).
/// An emptied cookie (as a logout leaves it) counts as none.
fn access_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == ACCESS_COOKIE && !value.is_empty())
        .map(|(_, value)| value.trim_matches('"'))
}

/// A state-changing request made with the cookie must echo the token's CSRF
/// value in `x-csrf-token`, which another site cannot read.
fn check_csrf(method: &Method, headers: &HeaderMap, claims: &AccessClaims) -> Result<(), ApiError> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let sent = headers.get(CSRF).map(HeaderValue::as_bytes);
    let expected = claims.csrf.as_deref().map(str::as_bytes);
    match (sent, expected) {
        (Some(sent), Some(expected)) if bool::from(sent.ct_eq(expected)) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "this request needs the x-csrf-token header given at login",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    http::header::HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn the_access_cookie_is_found_among_others() {
        let headers = headers(&[("cookie", "theme=dark; chorus_access=abc.def; x=1")]);
        assert_eq!(access_cookie(&headers), Some("abc.def"));
    }

    #[test]
    fn an_emptied_access_cookie_is_no_credential() {
        let headers = headers(&[("cookie", "chorus_access=; theme=dark")]);
        assert_eq!(access_cookie(&headers), None);
    }

    #[test]
    fn a_bearer_header_wins_over_the_cookie() {
        let headers = headers(&[
            ("authorization", "bearer tok"),
            ("cookie", "chorus_access=other"),
        ]);
        assert!(matches!(
            credential(&headers),
            Ok(Some(Credential::Bearer("tok")))
        ));
    }

    #[test]
    fn another_scheme_is_refused() {
        let headers = headers(&[("authorization", "Basic dXNlcjpwYXNz")]);
        let error = credential(&headers).err().expect("refused");
        assert_eq!(error.status, StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn an_empty_bearer_is_an_invalid_token() {
        let headers = headers(&[("authorization", "Bearer ")]);
        let error = credential(&headers).err().expect("refused");
        assert_eq!(error.code, "invalid_token");
    }

    #[test]
    fn login_ignores_credentials_but_me_does_not() {
        assert!(ignores_credentials(&Method::POST, "/api/v1/auth/login"));
        assert!(!ignores_credentials(&Method::GET, "/api/v1/auth/me"));
        assert!(!ignores_credentials(&Method::POST, "/api/v1/auth/logout"));
    }

    #[test]
    fn media_bytes_ignore_credentials_but_uploads_and_deletes_do_not() {
        assert!(ignores_credentials(&Method::GET, "/media/123"));
        assert!(ignores_credentials(&Method::HEAD, "/media/123"));
        assert!(!ignores_credentials(&Method::POST, "/api/v1/media"));
        assert!(!ignores_credentials(&Method::DELETE, "/api/v1/media/123"));
        assert!(!ignores_credentials(&Method::DELETE, "/media/123"));
    }
}
