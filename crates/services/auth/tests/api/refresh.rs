use std::time::Duration;

use http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, next_event, test_config};

#[tokio::test]
async fn a_refresh_token_is_exchanged_once_for_a_new_pair_of_the_same_session() {
    let app = TestApp::spawn().await;
    let session = app.signed_up("alice").await;

    let response = app.refresh(&session.refresh_token).await;

    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["user"]["username"], "alice");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let refresh_token = body["refresh_token"].as_str().expect("refresh_token");
    assert_ne!(refresh_token, session.refresh_token);
    let claims = app.claims(body["access_token"].as_str().expect("access_token"));
    assert_eq!(claims.sid, session.session_id);
    assert_eq!(claims.sub, session.user_id);

    // The new one works in turn.
    assert_eq!(app.refresh(refresh_token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn presenting_a_used_refresh_token_again_revokes_the_whole_session() {
    let app = TestApp::spawn().await;
    let mut events = app.events(&["session.*"]).await;
    let session = app.signed_up("alice").await;
    let rotated = app.refresh(&session.refresh_token).await.json();
    let new_refresh = rotated["refresh_token"].as_str().expect("refresh_token");
    let new_access = rotated["access_token"].as_str().expect("access_token");

    let replay = app.refresh(&session.refresh_token).await;

    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(replay.error_code(), "unauthorized");
    // Everything the session holds stops working: the newer refresh token and every access token.
    assert_eq!(
        app.refresh(new_refresh).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(!app.gateway_accepts(new_access).await);
    assert!(!app.gateway_accepts(&session.access_token).await);
    let event = next_event(&mut events).await;
    assert_eq!(event.kind, "session.revoked");
    assert_eq!(event.payload["session_id"], session.session_id.to_string());
    assert_eq!(event.payload["user_id"], session.user_id.to_string());
    assert_eq!(event.payload["reason"], "refresh_token_reused");
}

#[tokio::test]
async fn a_replay_revokes_only_its_own_session() {
    let app = TestApp::spawn().await;
    let stolen = app.signed_up("alice").await;
    let other = app.logged_in("alice").await;
    app.refresh(&stolen.refresh_token).await;

    app.refresh(&stolen.refresh_token).await;

    assert!(app.gateway_accepts(&other.access_token).await);
    assert_eq!(
        app.refresh(&other.refresh_token).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_unknown_or_garbage_refresh_token_answers_401() {
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;
    let huge = "a".repeat(100_000);

    for token in [
        "",
        "not-a-token",
        "0sGZ1mT8hWq6oN3v5cQeXJb9kLr2yPfA4uDiHgE7wBz",
        huge.as_str(),
    ] {
        let response = app.refresh(token).await;

        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{token:.20}");
        assert_eq!(response.error_code(), "unauthorized");
    }
}

#[tokio::test]
async fn a_refresh_without_any_token_answers_401() {
    let app = TestApp::spawn().await;

    let empty_object = app.post_json("/api/v1/auth/refresh", &json!({}), &[]).await;
    let no_body = app
        .send(
            http::Request::post("/api/v1/auth/refresh")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;

    assert_eq!(empty_object.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_body.status, StatusCode::UNAUTHORIZED);
    assert_eq!(no_body.error_code(), "unauthorized");
}

#[tokio::test]
async fn a_refresh_body_is_checked_like_any_other() {
    let app = TestApp::spawn().await;

    let unknown = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({ "refresh_token": "x", "extra": 1 }),
            &[],
        )
        .await;
    let wrong_type = app
        .post_json("/api/v1/auth/refresh", &json!({ "refresh_token": 7 }), &[])
        .await;
    let not_json = app
        .send(
            http::Request::post("/api/v1/auth/refresh")
                .header("content-type", "text/plain")
                .body(axum::body::Body::from("token"))
                .expect("request"),
        )
        .await;

    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(wrong_type.status, StatusCode::BAD_REQUEST);
    assert_eq!(not_json.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn an_expired_refresh_token_answers_401() {
    let mut config = test_config();
    config.refresh_ttl_secs = 1;
    let app = TestApp::spawn_with(config).await;
    let session = app.signed_up("alice").await;

    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let response = app.refresh(&session.refresh_token).await;

    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    // Expiry is not a replay: the session itself stays.
    assert!(app.gateway_accepts(&session.access_token).await);
}
