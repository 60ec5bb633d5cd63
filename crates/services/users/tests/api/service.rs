//! What the binary relies on: the OpenAPI document matches the router, the
//! subscriptions, readiness, and migrations that run twice harmlessly.

use std::collections::BTreeSet;

use chorus_users::{NAME, UsersService, openapi, subscriptions};
use http::StatusCode;

use crate::helpers::TestApp;

const ROUTES: &[(&str, &str)] = &[
    ("/api/v1/users/{id_or_username}", "get"),
    ("/api/v1/users/me", "get"),
    ("/api/v1/users/me", "patch"),
    ("/api/v1/users/{id}/follow", "post"),
    ("/api/v1/users/{id}/follow", "delete"),
    ("/api/v1/users/{id}/followers", "get"),
    ("/api/v1/users/{id}/following", "get"),
    ("/api/v1/follow-requests", "get"),
    ("/api/v1/follow-requests/{id}/approve", "post"),
    ("/api/v1/follow-requests/{id}/reject", "post"),
    ("/api/v1/users/{id}/friend-request", "post"),
    ("/api/v1/friend-requests", "get"),
    ("/api/v1/friend-requests/{id}", "delete"),
    ("/api/v1/friend-requests/{id}/accept", "post"),
    ("/api/v1/friend-requests/{id}/decline", "post"),
    ("/api/v1/users/{id}/friends", "get"),
    ("/api/v1/users/{id}/friend", "delete"),
    ("/api/v1/users/{id}/block", "post"),
    ("/api/v1/users/{id}/block", "delete"),
    ("/api/v1/blocks", "get"),
];

#[test]
fn the_openapi_document_describes_every_route_and_no_other() {
    let document = serde_json::to_value(openapi()).expect("serializes");
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("methods").keys() {
            if ["get", "post", "patch", "put", "delete"].contains(&method.as_str()) {
                documented.insert((path.clone(), method.clone()));
            }
        }
    }
    let expected: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(p, m)| (p.to_string(), m.to_string()))
        .collect();
    assert_eq!(documented, expected);
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    for schema in [
        "Profile",
        "UserCard",
        "FriendRequest",
        "FollowRequest",
        "ErrorBody",
    ] {
        assert!(schemas.contains_key(schema), "{schema} missing");
    }
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let app = TestApp::sqlite().await;
    for (path, method) in ROUTES {
        let path = path
            .replace("{id_or_username}", "nobody")
            .replace("{id}", "1");
        let method = http::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let response = app.request(method.clone(), &path, None, None).await;
        assert!(
            [StatusCode::UNAUTHORIZED, StatusCode::NOT_FOUND].contains(&response.status),
            "{method} {path}: {} {}",
            response.status,
            response.text()
        );
        // A 404 must come from a handler (the error shape), not from a missing route.
        assert!(
            response.json()["error"]["code"].is_string(),
            "{method} {path}"
        );
    }
    let wrong = app
        .request(http::Method::PUT, "/api/v1/blocks", None, None)
        .await;
    wrong.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[test]
fn the_consumer_subscribes_to_exactly_its_five_topics() {
    let subscriptions = subscriptions();
    assert_eq!(subscriptions.len(), 1);
    assert_eq!(subscriptions[0].consumer, NAME);
    assert_eq!(NAME, "users");
    assert_eq!(
        subscriptions[0].topics,
        [
            "user.registered",
            "post.created",
            "post.deleted",
            "media.uploaded",
            "media.deleted"
        ]
    );
}

#[tokio::test]
async fn the_service_is_ready_and_migrates_again_harmlessly() {
    let app = TestApp::sqlite().await;
    assert!(app.service.readiness().failures().await.is_empty());
    UsersService::migrate(&app.ctx)
        .await
        .expect("migrates again");
    let alice = app.register("alice").await;
    assert_eq!(app.profile(&alice, None).await["username"], "alice");
}
