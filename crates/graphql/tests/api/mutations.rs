//! Writes go through the same application calls as REST, for the signed-in
//! caller only, and refusals arrive as GraphQL errors with REST's code and status.

use axum::body::Body;
use chorus_core::identity::IDENTITY_HEADER;
use http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::support::TestApp;

#[tokio::test]
async fn every_mutation_needs_an_identity() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let post = app.post(alice, "hello", "public").await.to_string();
    let comment = app
        .comment(alice, post.parse().expect("id"), "hi")
        .await
        .to_string();
    let user = alice.to_string();
    let mutations = [
        r#"mutation { createPost(content: "x") { id } }"#.to_string(),
        format!(r#"mutation {{ editPost(id: "{post}", content: "y") {{ id }} }}"#),
        format!(r#"mutation {{ deletePost(id: "{post}") }}"#),
        format!(r#"mutation {{ addComment(postId: "{post}", content: "z") {{ id }} }}"#),
        format!(r#"mutation {{ editComment(id: "{comment}", content: "z") {{ id }} }}"#),
        format!(r#"mutation {{ deleteComment(id: "{comment}") }}"#),
        format!(r#"mutation {{ react(postId: "{post}", kind: "like") {{ mine }} }}"#),
        format!(r#"mutation {{ unreact(postId: "{post}", kind: "like") {{ mine }} }}"#),
        format!(r#"mutation {{ follow(userId: "{user}") }}"#),
        format!(r#"mutation {{ unfollow(userId: "{user}") }}"#),
    ];
    for mutation in &mutations {
        let answer = app.gql(None, mutation, json!({})).await;
        assert_eq!(answer.status, StatusCode::OK, "{mutation}");
        assert_eq!(
            answer.error_code(),
            "unauthorized",
            "{mutation}: {}",
            answer.body
        );
        assert_eq!(answer.error_status(), 401);
        assert_eq!(answer.body["data"], Value::Null, "{mutation}");
    }
    let still_there = app.posts.get_post(None, post.parse().expect("id")).await;
    assert!(still_there.is_ok(), "nothing changed");
}

#[tokio::test]
async fn a_forged_identity_is_refused_with_401() {
    let app = TestApp::spawn().await;
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header(IDENTITY_HEADER, "v1.1.1.9999999999.forged")
        .body(Body::from(
            json!({ "query": "{ viewer { id } }" }).to_string(),
        ))
        .expect("request");
    let answer = app.send(request).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.error_code(), "unauthorized");
}

#[tokio::test]
async fn a_post_is_created_edited_by_its_author_only_and_deleted() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");

    let created = app
        .gql(
            Some(alice),
            "mutation($content: String!) { createPost(content: $content, visibility: \"public\") {
                id content visibility hashtags author { username } createdAt editedAt } }",
            json!({ "content": "  Hello #GraphQL  " }),
        )
        .await;
    let post = &created.data()["createPost"];
    assert_eq!(post["content"], "Hello #GraphQL");
    assert_eq!(post["hashtags"], json!(["graphql"]));
    assert_eq!(post["author"]["username"], "alice");
    assert_eq!(post["editedAt"], Value::Null);
    let post_id = post["id"].as_str().expect("id").to_string();

    let edit = "mutation($id: ID!) { editPost(id: $id, content: \"edited\") { content editedAt } }";
    let refused = app.gql(Some(bob), edit, json!({ "id": post_id })).await;
    assert_eq!(refused.status, StatusCode::OK);
    assert_eq!(refused.error_code(), "forbidden");
    assert_eq!(refused.error_status(), 403);

    let edited = app.gql(Some(alice), edit, json!({ "id": post_id })).await;
    assert_eq!(edited.data()["editPost"]["content"], "edited");
    assert!(edited.data()["editPost"]["editedAt"].is_string());

    let delete = "mutation($id: ID!) { deletePost(id: $id) }";
    assert_eq!(
        app.gql(Some(bob), delete, json!({ "id": post_id }))
            .await
            .error_code(),
        "forbidden"
    );
    assert_eq!(
        app.gql(Some(alice), delete, json!({ "id": post_id }))
            .await
            .data()["deletePost"],
        true
    );
    let gone = app
        .gql(
            Some(alice),
            "query($id: ID!) { post(id: $id) { id } }",
            json!({ "id": post_id }),
        )
        .await;
    assert_eq!(gone.data()["post"], Value::Null);
    let again = app.gql(Some(alice), delete, json!({ "id": post_id })).await;
    assert_eq!(again.error_code(), "not_found");
    assert_eq!(again.error_status(), 404);
}

#[tokio::test]
async fn refusals_carry_code_status_and_the_field() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let post = app.post(alice, "hello", "public").await.to_string();
    let cases = [
        (
            r#"mutation { createPost(content: "   ") { id } }"#.to_string(),
            "content",
        ),
        (
            r#"mutation { createPost(content: "x", visibility: "everyone") { id } }"#.to_string(),
            "visibility",
        ),
        (
            r#"mutation { createPost(content: "x", mediaIds: ["12"]) { id } }"#.to_string(),
            "media_ids",
        ),
        (
            format!(r#"mutation {{ react(postId: "{post}", kind: "meh") {{ mine }} }}"#),
            "kind",
        ),
        (
            format!(r#"mutation {{ addComment(postId: "{post}", content: "") {{ id }} }}"#),
            "content",
        ),
    ];
    for (mutation, field) in &cases {
        let answer = app.gql(Some(alice), mutation, json!({})).await;
        assert_eq!(answer.status, StatusCode::OK, "{mutation}");
        assert_eq!(
            answer.error_code(),
            "validation_failed",
            "{mutation}: {}",
            answer.body
        );
        assert_eq!(answer.error_status(), 400);
        assert_eq!(
            answer.body["errors"][0]["extensions"]["details"]["field"], *field,
            "{mutation}"
        );
        assert!(answer.error_message().contains(field), "{}", answer.body);
    }
    let missing = app
        .gql(
            Some(alice),
            r#"mutation { react(postId: "123", kind: "like") { mine } }"#,
            json!({}),
        )
        .await;
    assert_eq!(missing.error_code(), "not_found");
    let not_an_id = app
        .gql(
            Some(alice),
            r#"mutation { deletePost(id: "abc") }"#,
            json!({}),
        )
        .await;
    assert_eq!(not_an_id.error_code(), "not_found");
}
