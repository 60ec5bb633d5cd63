//! Authentication: tokens, cookies, CSRF, revocation, forged identities.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::{Body, Bytes};
use chorus_core::Identity;
use chorus_core::token::revoked_session_key;
use chorus_gateway::GatewayConfig;
use chorus_ports::Cache;
use http::StatusCode;

use crate::helpers::{
    SESSION, TestApp, USER, assert_error, identity_key, json_of, request, tampered, unsigned,
};

#[tokio::test]
async fn a_valid_token_brings_the_verified_identity_to_the_service() {
    let app = TestApp::new();
    let bearer = format!("Bearer {}", app.token(600, None));
    let response = app
        .get("/api/v1/auth/me", &[("authorization", bearer.as_str())])
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user_id"], USER.to_string());
    assert_eq!(body["session_id"], SESSION.to_string());
}

#[tokio::test]
async fn an_expired_token_is_refused_as_expired() {
    let app = TestApp::new();
    let bearer = format!("Bearer {}", app.token(-5, None));
    let response = app
        .get("/api/v1/auth/me", &[("authorization", bearer.as_str())])
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "token_expired").await;
}

#[tokio::test]
async fn a_tampered_token_is_refused() {
    let app = TestApp::new();
    let bearer = format!("Bearer {}", tampered(&app.token(600, None)));
    let response = app
        .get("/api/v1/whoever", &[("authorization", bearer.as_str())])
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn an_alg_none_token_is_refused() {
    let app = TestApp::new();
    let bearer = format!("Bearer {}", unsigned());
    let response = app
        .get("/api/v1/whoever", &[("authorization", bearer.as_str())])
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn another_authorization_scheme_is_refused() {
    let app = TestApp::new();
    let response = app
        .get(
            "/api/v1/whoever",
            &[("authorization", "Basic dXNlcjpwYXNz")],
        )
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn a_token_of_a_revoked_session_is_refused() {
    let app = TestApp::new();
    app.cache
        .set(
            &revoked_session_key(SESSION),
            Bytes::from_static(b"1"),
            Duration::from_secs(60),
        )
        .await
        .expect("cache set");
    let bearer = format!("Bearer {}", app.token(600, None));
    let response = app
        .get("/api/v1/auth/me", &[("authorization", bearer.as_str())])
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "token_revoked").await;
}

/// A cache that cannot answer.
struct DownCache;

#[async_trait]
impl Cache for DownCache {
    async fn get(&self, _key: &str) -> anyhow::Result<Option<Bytes>> {
        anyhow::bail!("connection refused")
    }
    async fn set(&self, _key: &str, _value: Bytes, _ttl: Duration) -> anyhow::Result<()> {
        anyhow::bail!("connection refused")
    }
    async fn delete(&self, _key: &str) -> anyhow::Result<()> {
        anyhow::bail!("connection refused")
    }
    async fn increment(&self, _key: &str, _by: i64, _ttl: Duration) -> anyhow::Result<i64> {
        anyhow::bail!("connection refused")
    }
    async fn ping(&self) -> anyhow::Result<()> {
        anyhow::bail!("connection refused")
    }
}

#[tokio::test]
async fn a_token_is_refused_while_revocations_cannot_be_checked() {
    let app = TestApp::build(GatewayConfig::default(), Arc::new(DownCache));
    let bearer = format!("Bearer {}", app.token(600, None));
    let response = app
        .get("/api/v1/auth/me", &[("authorization", bearer.as_str())])
        .await;
    assert_error(response, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
}

#[tokio::test]
async fn a_client_sent_identity_header_is_stripped_even_when_validly_signed() {
    let app = TestApp::new();
    let forged = identity_key().sign(Identity {
        user_id: USER,
        session_id: SESSION,
    });
    let response = app
        .get("/api/v1/whoever", &[("x-chorus-identity", forged.as_str())])
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["user_id"].is_null(), "{body}");

    let response = app
        .get("/api/v1/auth/me", &[("x-chorus-identity", forged.as_str())])
        .await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn a_request_without_credentials_reaches_the_service_anonymous() {
    let app = TestApp::new();
    let (status, body) = json_of(app.get("/api/v1/whoever", &[]).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["user_id"].is_null(), "{body}");
}

#[tokio::test]
async fn the_session_cookie_authenticates_a_read_without_csrf() {
    let app = TestApp::new();
    let cookie = format!("theme=dark; chorus_access={}", app.token(600, Some("c5rf")));
    let response = app
        .get("/api/v1/whoever", &[("cookie", cookie.as_str())])
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user_id"], USER.to_string());
}

#[tokio::test]
async fn a_cookie_authenticated_post_without_the_csrf_header_is_forbidden() {
    let app = TestApp::new();
    let cookie = format!("chorus_access={}", app.token(600, Some("c5rf")));
    let response = app
        .send(request(
            "POST",
            "/api/v1/whoever",
            &[("cookie", &cookie)],
            Body::empty(),
        ))
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "csrf_failed").await;

    let wrong = [("cookie", cookie.as_str()), ("x-csrf-token", "guess")];
    let response = app
        .send(request("POST", "/api/v1/whoever", &wrong, Body::empty()))
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "csrf_failed").await;
}

#[tokio::test]
async fn a_cookie_authenticated_post_with_the_csrf_header_passes() {
    let app = TestApp::new();
    let cookie = format!("chorus_access={}", app.token(600, Some("c5rf")));
    let headers = [("cookie", cookie.as_str()), ("x-csrf-token", "c5rf")];
    let response = app
        .send(request("POST", "/api/v1/whoever", &headers, Body::empty()))
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user_id"], USER.to_string());
}

#[tokio::test]
async fn logging_in_works_with_a_stale_token_still_attached() {
    let app = TestApp::new();
    let bearer = format!("Bearer {}", app.token(-5, None));
    let response = app
        .send(request(
            "POST",
            "/api/v1/auth/login",
            &[("authorization", &bearer)],
            Body::empty(),
        ))
        .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["user_id"].is_null(), "{body}");
}
