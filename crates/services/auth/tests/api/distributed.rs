//! The same service on PostgreSQL and Redis, when they answer here
//! (`CHORUS_REQUIRE_SERVERS=1` makes their absence a failure).

use http::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp, test_config};

async fn app() -> Option<TestApp> {
    let backend = Backend::distributed()?;
    Some(TestApp::spawn_on(backend, test_config()).await)
}

#[tokio::test]
async fn the_whole_session_lifecycle_works_on_postgresql_and_redis() {
    let Some(app) = app().await else { return };

    let first = app.signed_up("alice").await;
    let me = app.me(&first.access_token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text());
    assert_eq!(me.json()["email"], "alice@example.com");
    let second = app.logged_in("alice@example.com").await;

    let rotated = app.refresh(&second.refresh_token).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text());
    assert_eq!(
        app.refresh(&second.refresh_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(
        !app.gateway_accepts(&second.access_token).await,
        "replay revoked the session"
    );

    let third = app.logged_in("alice").await;
    let changed = app
        .change_password(&first.access_token, PASSWORD, "a brand new password")
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.text());
    assert!(!app.gateway_accepts(&third.access_token).await);
    assert!(app.gateway_accepts(&first.access_token).await);

    assert_eq!(
        app.logout(&first.access_token).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(!app.gateway_accepts(&first.access_token).await);
    assert_eq!(
        app.refresh(&first.refresh_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.drop_schema().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_signups_on_postgresql_give_one_201_and_the_rest_409() {
    let Some(app) = app().await else { return };
    let signups = (0..4).map(|n| {
        app.signup(json!({
            "username": "racer",
            "email": format!("racer{n}@example.com"),
            "password": PASSWORD,
        }))
    });

    let responses = futures::future::join_all(signups).await;

    let created = responses
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    let conflicts = responses
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT)
        .count();
    assert_eq!(
        (created, conflicts),
        (1, 3),
        "{:?}",
        responses.iter().map(|r| r.text()).collect::<Vec<_>>()
    );
    app.drop_schema().await;
}
