use std::collections::BTreeSet;

use chorus_auth::{AuthService, openapi};
use http::StatusCode;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_restart_with_an_empty_cache_marks_the_revoked_sessions_again() {
    let app = TestApp::spawn().await;
    let revoked = app.signed_up("alice").await;
    let live = app.logged_in("alice").await;
    app.logout(&revoked.access_token).await;

    let app = app.restart().await;

    assert!(!app.gateway_accepts(&revoked.access_token).await);
    assert!(app.gateway_accepts(&live.access_token).await);
    // The data survived the restart.
    assert_eq!(
        app.refresh(&live.refresh_token).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn readiness_checks_the_database() {
    let app = TestApp::spawn().await;

    let failures = app.service.readiness().failures().await;

    assert!(failures.is_empty(), "{failures:?}");
}

#[tokio::test]
async fn migrate_can_run_before_and_after_start() {
    let app = TestApp::spawn().await;

    AuthService::migrate(&app.ctx)
        .await
        .expect("migrates again, changing nothing");

    app.signed_up("alice").await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_its_bodies_and_security() {
    let document = serde_json::to_value(openapi()).expect("serializes");

    let paths: BTreeSet<&str> = document["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "/api/v1/auth/login",
            "/api/v1/auth/logout",
            "/api/v1/auth/me",
            "/api/v1/auth/password",
            "/api/v1/auth/refresh",
            "/api/v1/auth/signup",
        ])
    );
    let schemas = &document["components"]["schemas"];
    for schema in [
        "User",
        "TokenResponse",
        "SignupRequest",
        "LoginRequest",
        "RefreshRequest",
        "ErrorBody",
    ] {
        assert!(schemas.get(schema).is_some(), "{schema} missing");
    }
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(
        document["paths"]["/api/v1/auth/me"]["get"]["security"][0]["bearer"],
        serde_json::json!([])
    );
    let signup = &document["paths"]["/api/v1/auth/signup"]["post"];
    for status in ["201", "400", "409", "415"] {
        assert!(signup["responses"].get(status).is_some(), "signup {status}");
    }
    assert!(signup["requestBody"].is_object());
}
