use axum::body::Body;
use chorus_core::identity::IDENTITY_HEADER;
use http::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, TestResponse, test_config};

async fn cookie_login(app: &TestApp) -> TestResponse {
    app.signed_up("alice").await;
    let body = json!({ "identifier": "alice", "password": PASSWORD, "cookie": true });
    let response = app.post_json("/api/v1/auth/login", &body, &[]).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response
}

fn attributes(header: &str) -> Vec<String> {
    header
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_string())
        .collect()
}

#[tokio::test]
async fn a_cookie_login_sets_the_three_cookies_with_their_attributes() {
    let app = TestApp::spawn().await;

    let response = cookie_login(&app).await;

    let access = response.set_cookie("chorus_access").expect("access cookie");
    assert_eq!(
        attributes(&access),
        ["Path=/", "Max-Age=900", "SameSite=Lax", "HttpOnly"]
    );
    let refresh = response
        .set_cookie("chorus_refresh")
        .expect("refresh cookie");
    assert_eq!(
        attributes(&refresh),
        [
            "Path=/api/v1/auth",
            "Max-Age=2592000",
            "SameSite=Strict",
            "HttpOnly"
        ]
    );
    let csrf = response.set_cookie("chorus_csrf").expect("csrf cookie");
    assert_eq!(
        attributes(&csrf),
        ["Path=/", "Max-Age=900", "SameSite=Lax"],
        "readable by script"
    );
    // The body keeps its shape, with the same tokens.
    let body = response.json();
    assert_eq!(
        response.cookie_value("chorus_access").as_deref(),
        body["access_token"].as_str()
    );
    assert_eq!(
        response.cookie_value("chorus_refresh").as_deref(),
        body["refresh_token"].as_str()
    );
    assert_eq!(body["token_type"], "Bearer");
}

#[tokio::test]
async fn the_csrf_cookie_carries_the_value_bound_into_the_access_token() {
    let app = TestApp::spawn().await;

    let response = cookie_login(&app).await;

    let csrf = response.cookie_value("chorus_csrf").expect("csrf cookie");
    assert_eq!(csrf.len(), 43);
    let access = response
        .cookie_value("chorus_access")
        .expect("access cookie");
    assert_eq!(app.claims(&access).csrf.as_deref(), Some(csrf.as_str()));
}

#[tokio::test]
async fn cookies_are_secure_when_configured() {
    let mut config = test_config();
    config.cookie_secure = true;
    let app = TestApp::spawn_with(config).await;

    let response = cookie_login(&app).await;

    for name in ["chorus_access", "chorus_refresh", "chorus_csrf"] {
        let cookie = response.set_cookie(name).expect("cookie");
        assert!(
            attributes(&cookie).contains(&"Secure".to_string()),
            "{cookie}"
        );
    }
}

#[tokio::test]
async fn a_cookie_signup_sets_the_cookies_too() {
    let app = TestApp::spawn().await;

    let response = app
        .signup(json!({ "username": "alice", "email": "a@example.com", "password": PASSWORD, "cookie": true }))
        .await;

    assert_eq!(response.status, StatusCode::CREATED);
    assert!(response.set_cookie("chorus_access").is_some());
    assert!(response.set_cookie("chorus_refresh").is_some());
    assert!(response.set_cookie("chorus_csrf").is_some());
}

#[tokio::test]
async fn a_refresh_with_the_refresh_cookie_and_no_body_rotates_all_three_cookies() {
    let app = TestApp::spawn().await;
    let login = cookie_login(&app).await;
    let old_refresh = login
        .cookie_value("chorus_refresh")
        .expect("refresh cookie");
    let old_csrf = login.cookie_value("chorus_csrf").expect("csrf cookie");

    let response = app
        .send(
            http::Request::post("/api/v1/auth/refresh")
                .header(
                    "cookie",
                    format!("chorus_refresh={old_refresh}; chorus_csrf={old_csrf}"),
                )
                .body(Body::empty())
                .expect("request"),
        )
        .await;

    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let new_refresh = response
        .cookie_value("chorus_refresh")
        .expect("new refresh cookie");
    let new_csrf = response
        .cookie_value("chorus_csrf")
        .expect("new csrf cookie");
    let new_access = response
        .cookie_value("chorus_access")
        .expect("new access cookie");
    assert_ne!(new_refresh, old_refresh);
    assert_ne!(new_csrf, old_csrf);
    assert_eq!(
        app.claims(&new_access).csrf.as_deref(),
        Some(new_csrf.as_str())
    );
    assert_eq!(
        response.json()["refresh_token"].as_str(),
        Some(new_refresh.as_str())
    );
    // The old cookie is now a used token.
    assert_eq!(
        app.refresh(&old_refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn logout_clears_the_session_cookies_it_was_sent() {
    let app = TestApp::spawn().await;
    let login = cookie_login(&app).await;
    let access = login.cookie_value("chorus_access").expect("access cookie");
    let csrf = login.cookie_value("chorus_csrf").expect("csrf cookie");

    let response = app
        .send(
            http::Request::post("/api/v1/auth/logout")
                .header(IDENTITY_HEADER, app.identity(&access))
                .header(
                    "cookie",
                    format!("chorus_access={access}; chorus_csrf={csrf}"),
                )
                .body(Body::empty())
                .expect("request"),
        )
        .await;

    assert_eq!(response.status, StatusCode::NO_CONTENT);
    let cleared = response
        .set_cookie("chorus_access")
        .expect("access cleared");
    assert!(cleared.starts_with("chorus_access=;"), "{cleared}");
    assert!(
        attributes(&cleared).contains(&"Max-Age=0".to_string()),
        "{cleared}"
    );
    assert!(response.set_cookie("chorus_csrf").is_some());
    assert!(!app.gateway_accepts(&access).await);
}
