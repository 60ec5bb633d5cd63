//! The auth routes, one file per action, and what their answers share.

pub mod cookies;
pub mod login;
pub mod logout;
pub mod me;
pub mod password;
pub mod refresh;
pub mod signup;

use std::convert::Infallible;
use std::net::IpAddr;

use axum::extract::FromRequestParts;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Router, middleware};
use chorus_core::time::Timestamp;
use chorus_core::{ApiError, Id};
use http::HeaderValue;
use http::header::CACHE_CONTROL;
use http::request::Parts;
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;
use crate::store::UserRecord;
use crate::tokens::{ClientInfo, Issued};

pub const SIGNUP: &str = "/api/v1/auth/signup";
pub const LOGIN: &str = "/api/v1/auth/login";
pub const REFRESH: &str = "/api/v1/auth/refresh";
pub const LOGOUT: &str = "/api/v1/auth/logout";
pub const ME: &str = "/api/v1/auth/me";
pub const PASSWORD: &str = "/api/v1/auth/password";

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(SIGNUP, post(signup::signup))
        .route(LOGIN, post(login::login))
        .route(REFRESH, post(refresh::refresh))
        .route(LOGOUT, post(logout::logout))
        .route(ME, get(me::me))
        .route(PASSWORD, post(password::change_password))
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(middleware::map_response(no_store))
        .with_state(state)
}

/// Answers carry tokens or personal data: no cache along the way may keep them.
async fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An account: `{id, username, email, display_name, created_at}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = User)]
pub struct UserView {
    pub id: Id,
    #[schema(example = "alice")]
    pub username: String,
    #[schema(example = "alice@example.com")]
    pub email: String,
    #[schema(example = "Alice")]
    pub display_name: String,
    /// RFC 3339, UTC.
    #[serde(serialize_with = "chorus_core::time::rfc3339::serialize")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-21T19:03:00.000Z")]
    pub created_at: Timestamp,
}

impl From<UserRecord> for UserView {
    fn from(user: UserRecord) -> Self {
        Self {
            id: user.id,
            username: user.username,
            email: user.email,
            display_name: user.display_name,
            created_at: user.created_at,
        }
    }
}

/// What sign-up, login and refresh answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub user: UserView,
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Exchange at `POST /api/v1/auth/refresh` for a new pair; usable once.
    pub refresh_token: String,
    #[schema(value_type = String, example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
}

impl TokenResponse {
    pub fn new(user: UserView, issued: &Issued) -> Self {
        Self {
            user,
            access_token: issued.access_token.clone(),
            refresh_token: issued.refresh_token.clone(),
            token_type: "Bearer",
            expires_in: issued.expires_in,
        }
    }
}

/// The user agent and address of the caller, for its session record.
impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let user_agent = parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .map(|agent| agent.chars().take(512).collect());
        // The first address is the client's, as the proxies in front saw it.
        let ip = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok())
            .and_then(|list| list.split(',').next())
            .and_then(|first| first.trim().parse::<IpAddr>().ok())
            .map(|ip| ip.to_string());
        Ok(ClientInfo { user_agent, ip })
    }
}
