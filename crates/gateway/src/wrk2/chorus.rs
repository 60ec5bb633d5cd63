//! The Chorus public API calls a DeathStarBench request turns into, sent
//! through the gateway's own upstream dispatch (in-process routers or the
//! reverse proxy) with the identity header signed for the acting user, as
//! the gateway does after verifying a token.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::{Id, Identity, IdentityKey};
use http::header::{CONTENT_TYPE, HeaderName};
use http::{HeaderValue, Method, Request, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::answer::Failure;
use super::timeline::Page;
use crate::observe::REQUEST_ID;

const IDENTITY: HeaderName = HeaderName::from_static(IDENTITY_HEADER);

/// The largest answer read from a service (a page of 100 posts is ~100 KiB).
const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// No Chorus session stands behind these requests: the signed identity
/// names session 0, which no login ever gets.
const NO_SESSION: Id = Id(0);

/// The services behind the gateway, without its authentication layer.
pub(crate) struct Dispatch {
    pub(crate) services: Router,
    pub(crate) identity_key: IdentityKey,
}

/// The calls of one incoming request (they carry its request id).
pub(crate) struct Chorus {
    dispatch: Arc<Dispatch>,
    request_id: Option<HeaderValue>,
}

/// A service's answer.
struct Reply {
    status: StatusCode,
    body: Bytes,
}

/// A Chorus account as `signup` and the profile answer it.
#[derive(Debug, Deserialize)]
pub(crate) struct Account {
    pub(crate) id: Id,
    pub(crate) username: String,
}

#[derive(Deserialize)]
struct SignedUp {
    user: Account,
}

impl Chorus {
    pub(crate) fn new(dispatch: Arc<Dispatch>, request_id: Option<HeaderValue>) -> Self {
        Self {
            dispatch,
            request_id,
        }
    }

    /// `POST /api/v1/auth/signup`; the new account.
    pub(crate) async fn signup(
        &self,
        username: &str,
        email: &str,
        password: &str,
        display_name: &str,
    ) -> Result<Account, Failure> {
        let mut body = json!({ "username": username, "email": email, "password": password });
        if !display_name.is_empty() {
            body["display_name"] = json!(display_name);
        }
        let reply = self
            .call(Method::POST, "/api/v1/auth/signup".into(), None, Some(body))
            .await?;
        Ok(parse::<SignedUp>(expect(reply, StatusCode::CREATED)?)?.user)
    }

    /// `GET /api/v1/users/{username}`; `None` when no account has that name.
    pub(crate) async fn account_named(&self, username: &str) -> Result<Option<Account>, Failure> {
        // Chorus names are 3–30 of a-z, 0-9 and `_`; nothing else can exist,
        // and nothing else may go into the path unescaped.
        let plausible = (1..=64).contains(&username.len())
            && username
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
        if !plausible {
            return Ok(None);
        }
        let reply = self
            .call(Method::GET, format!("/api/v1/users/{username}"), None, None)
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let account: Account = parse(expect(reply, StatusCode::OK)?)?;
        // An all-digit name reads as an id: only the account of that name counts.
        Ok(Some(account).filter(|account| account.username == username))
    }

    /// Does `GET /api/v1/users/{id}` find the profile? (In distributed mode
    /// the users service makes it from an event, a moment after signup.)
    pub(crate) async fn has_profile(&self, id: Id) -> Result<bool, Failure> {
        let reply = self
            .call(Method::GET, format!("/api/v1/users/{id}"), None, None)
            .await?;
        match reply.status {
            StatusCode::NOT_FOUND => Ok(false),
            _ => expect(reply, StatusCode::OK).map(|_| true),
        }
    }

    /// `POST /api/v1/users/{followee}/follow` as `user`.
    pub(crate) async fn follow(&self, user: Id, followee: Id) -> Result<(), Failure> {
        let path = format!("/api/v1/users/{followee}/follow");
        let reply = self.call(Method::POST, path, Some(user), None).await?;
        expect(reply, StatusCode::OK).map(drop)
    }

    /// `DELETE /api/v1/users/{followee}/follow` as `user`.
    pub(crate) async fn unfollow(&self, user: Id, followee: Id) -> Result<(), Failure> {
        let path = format!("/api/v1/users/{followee}/follow");
        let reply = self.call(Method::DELETE, path, Some(user), None).await?;
        expect(reply, StatusCode::NO_CONTENT).map(drop)
    }

    /// `POST /api/v1/posts` as `author`: `text` as a public post.
    pub(crate) async fn post(&self, author: Id, text: &str) -> Result<(), Failure> {
        let body = json!({ "content": text, "visibility": "public" });
        let reply = self
            .call(
                Method::POST,
                "/api/v1/posts".into(),
                Some(author),
                Some(body),
            )
            .await?;
        expect(reply, StatusCode::CREATED).map(drop)
    }

    /// One page of `GET /api/v1/feed`, as `user`.
    pub(crate) async fn feed(
        &self,
        user: Id,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, Failure> {
        let path = page_path("/api/v1/feed", limit, cursor);
        let reply = self.call(Method::GET, path, Some(user), None).await?;
        parse(expect(reply, StatusCode::OK)?)
    }

    /// One page of `GET /api/v1/users/{user}/posts`, as `user`.
    pub(crate) async fn posts_of(
        &self,
        user: Id,
        limit: usize,
        cursor: Option<&str>,
    ) -> Result<Page, Failure> {
        let path = page_path(&format!("/api/v1/users/{user}/posts"), limit, cursor);
        let reply = self.call(Method::GET, path, Some(user), None).await?;
        parse(expect(reply, StatusCode::OK)?)
    }

    async fn call(
        &self,
        method: Method,
        path_and_query: String,
        acting: Option<Id>,
        body: Option<Value>,
    ) -> Result<Reply, Failure> {
        let mut request = Request::builder().method(method).uri(path_and_query);
        if let Some(user) = acting {
            let signed = self.dispatch.identity_key.sign(Identity {
                user_id: user,
                session_id: NO_SESSION,
            });
            let signed = HeaderValue::try_from(signed).map_err(internal)?;
            request = request.header(IDENTITY, signed);
        }
        if let Some(request_id) = &self.request_id {
            request = request.header(REQUEST_ID, request_id.clone());
        }
        let body = match body {
            Some(json) => {
                request = request.header(CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(&json).map_err(internal)?)
            }
            None => Body::empty(),
        };
        let request = request.body(body).map_err(internal)?;
        let response = match self.dispatch.services.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), MAX_ANSWER_BYTES)
            .await
            .map_err(|error| {
                Failure::new(
                    StatusCode::BAD_GATEWAY,
                    format!("the answer broke off: {error}"),
                )
            })?;
        Ok(Reply { status, body })
    }
}

/// `path?limit=…&cursor=…`.
fn page_path(path: &str, limit: usize, cursor: Option<&str>) -> String {
    match cursor {
        Some(cursor) => format!("{path}?limit={limit}&cursor={}", escape(cursor)),
        None => format!("{path}?limit={limit}"),
    }
}

/// Percent-encodes all but unreserved characters (cursors are base64url,
/// so this changes nothing today, but a cursor is opaque).
fn escape(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// The body of an answer with the `wanted` status, else the service's
/// error as a failure with its status and message.
fn expect(reply: Reply, wanted: StatusCode) -> Result<Bytes, Failure> {
    if reply.status == wanted {
        return Ok(reply.body);
    }
    let message = serde_json::from_slice::<Value>(&reply.body)
        .ok()
        .and_then(|body| body["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&reply.body);
            match text.trim() {
                "" => reply.status.to_string(),
                text => text.chars().take(200).collect(),
            }
        });
    let status = if reply.status.is_client_error() || reply.status.is_server_error() {
        reply.status
    } else {
        StatusCode::BAD_GATEWAY
    };
    Err(Failure::new(status, message))
}

fn parse<T: DeserializeOwned>(body: Bytes) -> Result<T, Failure> {
    serde_json::from_slice(&body).map_err(|error| {
        Failure::new(
            StatusCode::BAD_GATEWAY,
            format!("unexpected answer from Chorus: {error}"),
        )
    })
}

fn internal(error: impl std::fmt::Display) -> Failure {
    Failure::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_path_escapes_its_cursor() {
        assert_eq!(page_path("/api/v1/feed", 10, None), "/api/v1/feed?limit=10");
        assert_eq!(
            page_path("/api/v1/feed", 100, Some("ab-_C9+/=")),
            "/api/v1/feed?limit=100&cursor=ab-_C9%2B%2F%3D"
        );
    }

    #[test]
    fn a_service_error_keeps_its_status_and_message() {
        let reply = Reply {
            status: StatusCode::CONFLICT,
            body: Bytes::from_static(
                br#"{"error": {"code": "conflict", "message": "this username is already taken"}}"#,
            ),
        };
        let failure = expect(reply, StatusCode::CREATED).expect_err("refused");
        assert_eq!(failure.status, StatusCode::CONFLICT);
        assert_eq!(failure.text, "this username is already taken");
    }

    #[test]
    fn an_unexpected_success_is_a_bad_gateway() {
        let reply = Reply {
            status: StatusCode::ACCEPTED,
            body: Bytes::new(),
        };
        let failure = expect(reply, StatusCode::OK).expect_err("refused");
        assert_eq!(failure.status, StatusCode::BAD_GATEWAY);
    }
}
