use chorus_core::identity::IDENTITY_HEADER;
use chorus_core::{Identity, IdentityKey, Secret};
use http::StatusCode;

use crate::helpers::{TestApp, next_event};

#[tokio::test]
async fn logout_stops_the_sessions_access_and_refresh_tokens_at_once() {
    let app = TestApp::spawn().await;
    let mut events = app.events(&["session.revoked"]).await;
    let session = app.signed_up("alice").await;
    assert!(app.gateway_accepts(&session.access_token).await);

    let response = app.logout(&session.access_token).await;

    assert_eq!(
        response.status,
        StatusCode::NO_CONTENT,
        "{}",
        response.text()
    );
    assert!(response.body.is_empty());
    assert!(!app.gateway_accepts(&session.access_token).await);
    assert_eq!(
        app.refresh(&session.refresh_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    let event = next_event(&mut events).await;
    assert_eq!(event.payload["session_id"], session.session_id.to_string());
    assert_eq!(event.payload["user_id"], session.user_id.to_string());
    assert_eq!(event.payload["reason"], "logout");
}

#[tokio::test]
async fn logout_leaves_the_users_other_sessions_alone() {
    let app = TestApp::spawn().await;
    let phone = app.signed_up("alice").await;
    let laptop = app.logged_in("alice").await;

    app.logout(&phone.access_token).await;

    assert!(app.gateway_accepts(&laptop.access_token).await);
    assert_eq!(
        app.refresh(&laptop.refresh_token).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn logging_out_twice_still_answers_204() {
    let app = TestApp::spawn().await;
    let session = app.signed_up("alice").await;

    app.logout(&session.access_token).await;
    let again = app.logout(&session.access_token).await;

    assert_eq!(again.status, StatusCode::NO_CONTENT);
    assert!(!app.gateway_accepts(&session.access_token).await);
}

#[tokio::test]
async fn logout_without_an_identity_answers_401() {
    let app = TestApp::spawn().await;

    let response = app
        .send(
            http::Request::post("/api/v1/auth/logout")
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;

    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.error_code(), "unauthorized");
}

#[tokio::test]
async fn an_identity_header_not_signed_by_the_gateway_answers_401() {
    let app = TestApp::spawn().await;
    let session = app.signed_up("alice").await;
    let forged = IdentityKey::new(&Secret::new("an attacker's key")).sign(Identity {
        user_id: session.user_id,
        session_id: session.session_id,
    });

    for header in [forged.as_str(), "v1.1.2.9999999999.bm9wZQ", "garbage"] {
        let response = app
            .send(
                http::Request::post("/api/v1/auth/logout")
                    .header(IDENTITY_HEADER, header)
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await;

        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{header}");
        assert_eq!(response.error_code(), "unauthorized");
    }
    assert!(
        app.gateway_accepts(&session.access_token).await,
        "nothing was revoked"
    );
}
