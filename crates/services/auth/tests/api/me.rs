use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::{Id, Identity};
use http::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

#[tokio::test]
async fn me_answers_the_callers_account_as_signup_showed_it() {
    let app = TestApp::spawn().await;
    let signup = app
        .signup(json!({
            "username": "alice",
            "email": "Alice@Example.com",
            "password": PASSWORD,
            "display_name": "Alice",
        }))
        .await
        .json();
    let access_token = signup["access_token"].as_str().expect("access_token");

    let response = app.me(access_token).await;

    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.headers["content-type"], "application/json");
    assert_eq!(response.json(), signup["user"]);
}

#[tokio::test]
async fn me_answers_from_the_cache_and_after_a_miss_from_the_database() {
    let app = TestApp::spawn().await;
    let session = app.signed_up("alice").await;
    let first = app.me(&session.access_token).await;

    // A cache emptied (a restart of Redis, an expiry) is filled again from the database.
    app.cache()
        .delete(&format!("auth:user:v1:{}", session.user_id))
        .await
        .expect("deletes");
    let reloaded = app.me(&session.access_token).await;

    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(reloaded.status, StatusCode::OK);
    assert_eq!(first.body, reloaded.body);
}

#[tokio::test]
async fn me_is_served_without_touching_the_database_once_cached() {
    let app = TestApp::spawn().await;
    let session = app.signed_up("alice").await;
    app.me(&session.access_token).await;

    // The row is gone, but the hot path never asks the database while the cache holds the user.
    app.execute_sql("DELETE FROM users WHERE id = $1", session.user_id)
        .await;
    let cached = app.me(&session.access_token).await;

    assert_eq!(cached.status, StatusCode::OK);
    assert_eq!(cached.json()["username"], "alice");
}

#[tokio::test]
async fn me_for_an_account_that_no_longer_exists_answers_401() {
    let app = TestApp::spawn().await;
    let identity = app.ctx.identity_key.sign(Identity {
        user_id: Id(123_456_789),
        session_id: Id(987_654_321),
    });

    let response = app
        .send(
            http::Request::get("/api/v1/auth/me")
                .header(IDENTITY_HEADER, identity)
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;

    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.error_code(), "unauthorized");
}

#[tokio::test]
async fn me_without_an_identity_answers_401() {
    let app = TestApp::spawn().await;

    let response = app
        .send(
            http::Request::get("/api/v1/auth/me")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;

    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.error_code(), "unauthorized");
}

#[tokio::test]
async fn a_method_a_route_does_not_take_answers_405_in_the_error_shape() {
    let app = TestApp::spawn().await;

    let response = app
        .send(
            http::Request::delete("/api/v1/auth/me")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;

    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.error_code(), "method_not_allowed");
}
