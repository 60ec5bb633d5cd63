use http::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

#[tokio::test]
async fn a_user_logs_in_with_their_username_or_their_email_in_any_case() {
    let app = TestApp::spawn().await;
    let signed_up = app.signed_up("alice").await;

    for identifier in ["alice", "ALICE", "alice@example.com", "Alice@EXAMPLE.com"] {
        let response = app.login(identifier, PASSWORD).await;

        assert_eq!(
            response.status,
            StatusCode::OK,
            "{identifier}: {}",
            response.text()
        );
        let body = response.json();
        assert_eq!(body["user"]["id"], signed_up.user_id.to_string());
        assert_eq!(body["user"]["username"], "alice");
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 900);
        assert!(body["refresh_token"].is_string());
        assert_eq!(
            app.claims(body["access_token"].as_str().expect("token"))
                .sub,
            signed_up.user_id
        );
    }
}

#[tokio::test]
async fn each_login_opens_its_own_session() {
    let app = TestApp::spawn().await;
    let first = app.signed_up("alice").await;

    let second = app.logged_in("alice").await;

    assert_ne!(first.session_id, second.session_id);
    assert_ne!(first.refresh_token, second.refresh_token);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_get_the_same_401() {
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;

    let wrong_password = app.login("alice", "not the password").await;
    let unknown_user = app.login("nobody", PASSWORD).await;
    let unknown_email = app.login("nobody@example.com", PASSWORD).await;

    for response in [&wrong_password, &unknown_user, &unknown_email] {
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "{}",
            response.text()
        );
        assert_eq!(response.error_code(), "unauthorized");
    }
    assert_eq!(wrong_password.body, unknown_user.body);
    assert_eq!(wrong_password.body, unknown_email.body);
    assert_eq!(
        wrong_password.error_message(),
        "the username or email and password do not match"
    );
}

#[tokio::test]
async fn an_empty_identifier_or_password_or_an_overlong_password_answers_400() {
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;
    let huge = "x".repeat(1024 * 1024);

    for (identifier, password) in [("", PASSWORD), ("alice", ""), ("alice", huge.as_str())] {
        let response = app.login(identifier, password).await;

        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{}",
            response.text()
        );
        assert_eq!(response.error_code(), "validation_failed");
    }
}

#[tokio::test]
async fn login_refuses_unknown_fields_and_non_json_bodies() {
    let app = TestApp::spawn().await;

    let unknown = app
        .post_json(
            "/api/v1/auth/login",
            &json!({ "identifier": "alice", "password": PASSWORD, "remember": true }),
            &[],
        )
        .await;
    let form = app
        .send(
            http::Request::post("/api/v1/auth/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from("identifier=alice&password=x"))
                .expect("request"),
        )
        .await;

    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
}
