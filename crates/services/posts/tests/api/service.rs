//! The service as the process sees it: its OpenAPI document, its
//! subscriptions, readiness and migrations.

use chorus_posts::PostsService;

use crate::helpers::TestApp;

#[test]
fn the_openapi_document_declares_every_posts_route_and_only_those() {
    let document = chorus_posts::openapi();
    let paths: Vec<&str> = document.paths.paths.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "/api/v1/comments/{id}",
            "/api/v1/posts",
            "/api/v1/posts/{id}",
            "/api/v1/posts/{id}/comments",
            "/api/v1/posts/{id}/comments/stream",
            "/api/v1/posts/{id}/reactions",
            "/api/v1/posts/{id}/reactions/{kind}",
            "/api/v1/users/{id}/posts",
        ]
    );
    let json = serde_json::to_value(&document).expect("serializes");
    let schemas = &json["components"]["schemas"];
    for schema in [
        "Post",
        "Comment",
        "ReactionSummary",
        "Reaction",
        "UserCard",
        "NewPost",
    ] {
        assert!(schemas.get(schema).is_some(), "schema {schema} missing");
    }
    let post = &json["paths"]["/api/v1/posts/{id}"];
    for method in ["get", "patch", "delete"] {
        assert!(post.get(method).is_some(), "{method} /api/v1/posts/{{id}}");
    }
}

#[test]
fn it_consumes_media_and_user_updates_as_posts() {
    let subscriptions = chorus_posts::subscriptions();
    assert_eq!(subscriptions.len(), 1);
    assert_eq!(subscriptions[0].consumer, "posts");
    assert_eq!(
        subscriptions[0].topics,
        ["media.uploaded", "media.deleted", "user.updated"]
    );
}

#[tokio::test]
async fn it_is_ready_when_its_database_answers_and_migrates_again_harmlessly() {
    let app = TestApp::spawn().await;
    let readiness = app.service.readiness();
    let failures = readiness.failures().await;
    assert!(failures.is_empty(), "{failures:?}");
    PostsService::migrate(&app.ctx)
        .await
        .expect("migrates again");
    // A user.updated event is acknowledged.
    app.publish(
        "user.updated",
        serde_json::json!({"user_id": "1", "username": "x", "display_name": "X"}),
    )
    .await;
}
