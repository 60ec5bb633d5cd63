use std::time::{Duration, Instant};

use http::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, next_event};

fn alice() -> serde_json::Value {
    json!({ "username": "alice", "email": "alice@example.com", "password": PASSWORD })
}

#[tokio::test]
async fn a_valid_signup_answers_201_with_the_user_and_a_token_pair() {
    let app = TestApp::spawn().await;

    let response = app.signup(alice()).await;

    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let body = response.json();
    let user = &body["user"];
    assert!(
        user["id"]
            .as_str()
            .is_some_and(|id| id.parse::<i64>().is_ok()),
        "{user}"
    );
    assert_eq!(user["username"], "alice");
    assert_eq!(user["email"], "alice@example.com");
    assert_eq!(user["display_name"], "alice");
    let created_at = user["created_at"].as_str().expect("created_at");
    assert!(created_at.ends_with('Z'), "{created_at}");
    chrono::DateTime::parse_from_rfc3339(created_at).expect("RFC 3339");
    assert_eq!(
        user.as_object().map(|o| o.len()),
        Some(5),
        "exactly the contract's fields"
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["refresh_token"].as_str().map(str::len), Some(43));
    let claims = app.claims(body["access_token"].as_str().expect("access_token"));
    assert_eq!(claims.sub.to_string(), user["id"].as_str().expect("id"));
    assert_eq!(claims.exp - claims.iat, 900);
    assert_eq!(claims.csrf, None);
    assert_eq!(response.headers["cache-control"], "no-store");
    assert!(response.set_cookie("chorus_access").is_none());
}

#[tokio::test]
async fn the_display_name_is_trimmed_and_kept() {
    let app = TestApp::spawn().await;
    let mut body = alice();
    body["display_name"] = json!("  Alice Liddell  ");

    let response = app.signup(body).await;

    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    assert_eq!(response.json()["user"]["display_name"], "Alice Liddell");
}

#[tokio::test]
async fn the_email_is_stored_lowercased_and_unique_whatever_its_case() {
    let app = TestApp::spawn().await;
    let first = app
        .signup(json!({ "username": "alice", "email": "Alice@Example.COM", "password": PASSWORD }))
        .await;
    assert_eq!(first.json()["user"]["email"], "alice@example.com");

    let second = app
        .signup(json!({ "username": "alice2", "email": "ALICE@example.com", "password": PASSWORD }))
        .await;

    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.text());
    assert_eq!(second.error_code(), "conflict");
    assert_eq!(second.json()["error"]["details"]["field"], "email");
}

#[tokio::test]
async fn a_taken_username_answers_409_conflict() {
    let app = TestApp::spawn().await;
    app.signed_up("alice").await;

    let response = app
        .signup(json!({ "username": "alice", "email": "other@example.com", "password": PASSWORD }))
        .await;

    assert_eq!(response.status, StatusCode::CONFLICT);
    assert_eq!(response.error_code(), "conflict");
    assert_eq!(response.json()["error"]["details"]["field"], "username");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_concurrent_signups_for_one_username_give_one_201_and_one_409() {
    let app = TestApp::spawn().await;
    let first = json!({ "username": "racer", "email": "one@example.com", "password": PASSWORD });
    let second = json!({ "username": "racer", "email": "two@example.com", "password": PASSWORD });

    let (a, b) = tokio::join!(app.signup(first), app.signup(second));

    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{} / {}",
        a.text(),
        b.text()
    );
    let loser = if a.status == StatusCode::CONFLICT {
        a
    } else {
        b
    };
    assert_eq!(loser.error_code(), "conflict");
}

#[tokio::test]
async fn usernames_outside_the_allowed_alphabet_or_length_are_refused_with_400() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(31);
    for username in [
        "Alice",
        "al",
        long.as_str(),
        "al-ice",
        "al ice",
        "alïce",
        "",
    ] {
        let response = app
            .signup(json!({ "username": username, "email": "x@example.com", "password": PASSWORD }))
            .await;

        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{username:?}: {}",
            response.text()
        );
        assert_eq!(response.error_code(), "validation_failed");
        assert_eq!(response.json()["error"]["details"]["field"], "username");
    }
}

#[tokio::test]
async fn a_password_shorter_than_8_characters_is_refused_with_400() {
    let app = TestApp::spawn().await;

    let response = app
        .signup(json!({ "username": "alice", "email": "alice@example.com", "password": "1234567" }))
        .await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.json()["error"]["details"]["field"], "password");
}

#[tokio::test]
async fn a_one_megabyte_password_is_refused_with_400() {
    let app = TestApp::spawn().await;
    let huge = "x".repeat(1024 * 1024);

    let started = Instant::now();
    let response = app
        .signup(json!({ "username": "alice", "email": "alice@example.com", "password": huge }))
        .await;

    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.text()
    );
    assert_eq!(response.json()["error"]["details"]["field"], "password");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn malformed_emails_are_refused_with_400() {
    let app = TestApp::spawn().await;
    let long = format!("{}@example.com", "a".repeat(250));
    for email in [
        "alice",
        "alice@",
        "@example.com",
        "alice@localhost",
        "a b@example.com",
        long.as_str(),
    ] {
        let response = app
            .signup(json!({ "username": "alice", "email": email, "password": PASSWORD }))
            .await;

        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{email:?}");
        assert_eq!(response.json()["error"]["details"]["field"], "email");
    }
}

#[tokio::test]
async fn blank_long_or_control_character_display_names_are_refused_with_400() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(51);
    for name in ["", "   ", long.as_str(), "Al\u{0}ice", "Al\nice"] {
        let mut body = alice();
        body["display_name"] = json!(name);

        let response = app.signup(body).await;

        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{name:?}");
        assert_eq!(response.json()["error"]["details"]["field"], "display_name");
    }
}

#[tokio::test]
async fn malformed_json_answers_400_in_the_error_shape() {
    let app = TestApp::spawn().await;
    let request = http::Request::post("/api/v1/auth/signup")
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{\"username\": \"alice\",,"))
        .expect("request");

    let response = app.send(request).await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.error_code(), "malformed_request");
}

#[tokio::test]
async fn a_body_without_a_json_content_type_answers_415() {
    let app = TestApp::spawn().await;
    for content_type in [None, Some("text/plain")] {
        let mut request = http::Request::post("/api/v1/auth/signup");
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let request = request
            .body(axum::body::Body::from(alice().to_string()))
            .expect("request");

        let response = app.send(request).await;

        assert_eq!(
            response.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert_eq!(response.error_code(), "unsupported_media_type");
    }
}

#[tokio::test]
async fn an_unknown_field_answers_400() {
    let app = TestApp::spawn().await;
    let mut body = alice();
    body["is_admin"] = json!(true);

    let response = app.signup(body).await;

    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(response.error_code(), "validation_failed");
}

#[tokio::test]
async fn a_missing_field_or_a_wrong_type_answers_400() {
    let app = TestApp::spawn().await;
    for body in [
        json!({ "username": "alice", "password": PASSWORD }),
        json!({ "username": 42, "email": "alice@example.com", "password": PASSWORD }),
        json!({ "username": "alice", "email": "alice@example.com", "password": PASSWORD, "cookie": "yes" }),
        json!([1, 2, 3]),
    ] {
        let response = app.signup(body.clone()).await;

        assert_eq!(response.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(response.error_code(), "validation_failed", "{body}");
    }
}

#[tokio::test]
async fn a_signup_publishes_user_registered_through_the_outbox() {
    let app = TestApp::spawn().await;
    let mut events = app.events(&["user.*"]).await;
    let mut body = alice();
    body["display_name"] = json!("Alice");

    let response = app.signup(body).await;

    let user = &response.json()["user"];
    let event = next_event(&mut events).await;
    assert_eq!(event.kind, "user.registered");
    assert_eq!(
        event.actor.map(|id| id.to_string()).as_deref(),
        user["id"].as_str()
    );
    assert_eq!(event.payload["user_id"], user["id"]);
    assert_eq!(event.payload["username"], "alice");
    assert_eq!(event.payload["display_name"], "Alice");
    assert_eq!(event.payload["created_at"], user["created_at"]);
    assert!(
        event.payload.get("email").is_none(),
        "no personal data beyond the profile"
    );
}

#[tokio::test]
async fn a_refused_signup_publishes_nothing() {
    let app = TestApp::spawn().await;
    let mut events = app.events(&["user.*"]).await;
    app.signed_up("alice").await;
    assert_eq!(next_event(&mut events).await.kind, "user.registered");

    let response = app.signup(alice()).await;

    assert_eq!(response.status, StatusCode::CONFLICT);
    let nothing = tokio::time::timeout(Duration::from_millis(300), events.recv()).await;
    assert!(nothing.is_err(), "{nothing:?}");
}
