use http::StatusCode;

use crate::helpers::{PASSWORD, TestApp, next_event};

const NEW_PASSWORD: &str = "staple battery horse correct";

#[tokio::test]
async fn changing_the_password_revokes_every_other_session_and_keeps_this_one() {
    let app = TestApp::spawn().await;
    let mut events = app.events(&["session.revoked"]).await;
    let here = app.signed_up("alice").await;
    let elsewhere = app.logged_in("alice").await;
    let third = app.logged_in("alice").await;

    let response = app
        .change_password(&here.access_token, PASSWORD, NEW_PASSWORD)
        .await;

    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        response.text()
    );
    assert!(app.gateway_accepts(&here.access_token).await);
    assert_eq!(
        app.refresh(&here.refresh_token).await.status,
        StatusCode::OK
    );
    for other in [&elsewhere, &third] {
        assert!(!app.gateway_accepts(&other.access_token).await);
        assert_eq!(
            app.refresh(&other.refresh_token).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let mut revoked = vec![
        next_event(&mut events).await.payload["session_id"].clone(),
        next_event(&mut events).await.payload["session_id"].clone(),
    ];
    revoked.sort_by_key(|id| id.to_string());
    let mut expected = vec![
        serde_json::json!(elsewhere.session_id.to_string()),
        serde_json::json!(third.session_id.to_string()),
    ];
    expected.sort_by_key(|id| id.to_string());
    assert_eq!(revoked, expected);
}

#[tokio::test]
async fn after_a_change_only_the_new_password_logs_in() {
    let app = TestApp::spawn().await;
    let session = app.signed_up("alice").await;

    app.change_password(&session.access_token, PASSWORD, NEW_PASSWORD)
        .await;

    assert_eq!(
        app.login("alice", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("alice", NEW_PASSWORD).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_wrong_current_password_answers_403_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let session = app.signed_up("alice").await;
    let other = app.logged_in("alice").await;

    let response = app
        .change_password(&session.access_token, "not my password", NEW_PASSWORD)
        .await;

    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(response.error_code(), "forbidden");
    assert_eq!(
        response.json()["error"]["details"]["field"],
        "current_password"
    );
    assert!(app.gateway_accepts(&other.access_token).await);
    assert_eq!(app.login("alice", PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_weak_or_unchanged_new_password_answers_400() {
    let app = TestApp::spawn().await;
    let session = app.signed_up("alice").await;
    let huge = "x".repeat(1024 * 1024);

    for new in ["short", huge.as_str(), PASSWORD] {
        let response = app
            .change_password(&session.access_token, PASSWORD, new)
            .await;

        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{}",
            response.text()
        );
        assert_eq!(response.json()["error"]["details"]["field"], "new_password");
    }
}

#[tokio::test]
async fn changing_the_password_needs_an_identity() {
    let app = TestApp::spawn().await;

    let response = app
        .post_json(
            "/api/v1/auth/password",
            &serde_json::json!({ "current_password": PASSWORD, "new_password": NEW_PASSWORD }),
            &[],
        )
        .await;

    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
}
