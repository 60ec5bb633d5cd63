//! The OpenAPI document the gateway serves describes every social route
//! of API.md (the gateway routes by those very path templates).

use reqwest::StatusCode;

use crate::client::Api;
use crate::harness::Chorus;

crate::in_both_modes!(the_openapi_document_lists_every_social_route);

const ROUTES: [(&str, &str); 52] = [
    ("/api/v1/users/{id_or_username}", "get"),
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
    ("/api/v1/friend-requests/{id}/accept", "post"),
    ("/api/v1/friend-requests/{id}/decline", "post"),
    ("/api/v1/friend-requests/{id}", "delete"),
    ("/api/v1/users/{id}/friends", "get"),
    ("/api/v1/users/{id}/friend", "delete"),
    ("/api/v1/users/{id}/block", "post"),
    ("/api/v1/users/{id}/block", "delete"),
    ("/api/v1/blocks", "get"),
    ("/api/v1/posts", "post"),
    ("/api/v1/posts/{id}", "get"),
    ("/api/v1/posts/{id}", "patch"),
    ("/api/v1/posts/{id}", "delete"),
    ("/api/v1/users/{id}/posts", "get"),
    ("/api/v1/posts/{id}/comments", "post"),
    ("/api/v1/posts/{id}/comments", "get"),
    ("/api/v1/comments/{id}", "patch"),
    ("/api/v1/comments/{id}", "delete"),
    ("/api/v1/posts/{id}/reactions/{kind}", "put"),
    ("/api/v1/posts/{id}/reactions/{kind}", "delete"),
    ("/api/v1/posts/{id}/reactions", "get"),
    ("/api/v1/posts/{id}/comments/stream", "get"),
    ("/api/v1/notifications", "get"),
    ("/api/v1/notifications/unread-count", "get"),
    ("/api/v1/notifications/{id}/read", "post"),
    ("/api/v1/notifications/read-all", "post"),
    ("/api/v1/notifications/preferences", "get"),
    ("/api/v1/notifications/preferences", "patch"),
    ("/api/v1/conversations", "post"),
    ("/api/v1/conversations", "get"),
    ("/api/v1/conversations/{id}", "get"),
    ("/api/v1/conversations/{id}/messages", "get"),
    ("/api/v1/conversations/{id}/messages", "post"),
    ("/api/v1/conversations/{id}/read", "post"),
    ("/api/v1/conversations/{id}/calls", "get"),
    ("/api/v1/calls/ice-servers", "get"),
    ("/api/v1/media", "post"),
    ("/api/v1/media/{id}", "get"),
    ("/api/v1/media/{id}", "delete"),
    ("/media/{id}", "get"),
    ("/api/v1/search", "get"),
    ("/api/v1/trends", "get"),
];

async fn the_openapi_document_lists_every_social_route(app: &Chorus) {
    let api = Api::new(&app.base);
    let answer = api.get("/api/v1/openapi.json", None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let paths = &answer.body["paths"];
    for (path, method) in ROUTES {
        assert!(
            paths[path][method].is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
}
