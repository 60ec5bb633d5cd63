//! What a request may cost: refusals are 400 before anything runs, never a 500.

use axum::body::Body;
use http::{Request, StatusCode};
use serde_json::json;

use crate::support::{Gql, TestApp};

/// `{ post(id: "1") { repostOf { … { id } } } }`, `depth` fields deep.
fn nested(depth: usize) -> String {
    let inner = depth - 2;
    format!(
        "{{ post(id: \"1\") {}{{ id }}{} }}",
        "{ repostOf ".repeat(inner),
        " }".repeat(inner)
    )
}

fn assert_refused(answer: &Gql, code: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(answer.error_code(), code, "{}", answer.body);
    assert_eq!(answer.error_status(), 400);
}

#[tokio::test]
async fn a_query_fifty_levels_deep_is_refused_for_its_depth() {
    let app = TestApp::spawn().await;
    let answer = app.gql(None, &nested(50), json!({})).await;
    assert_refused(&answer, "depth_limit_exceeded");
    assert!(
        answer.error_message().contains("depth limit is 10"),
        "{}",
        answer.body
    );
    for depth in [11, 12, 30, 200] {
        let answer = app.gql(None, &nested(depth), json!({})).await;
        assert_refused(&answer, "depth_limit_exceeded");
    }
    // Ten are allowed (and the missing post is simply null).
    let allowed = app.gql(None, &nested(10), json!({})).await;
    assert_eq!(allowed.data()["post"], serde_json::Value::Null);
}

#[tokio::test]
async fn a_query_of_huge_complexity_is_refused() {
    let app = TestApp::spawn().await;
    let fan_out = "query($id: ID!) { userPosts(userId: $id, first: 100) {
        nodes { comments(first: 100) { nodes { author { posts(first: 100) { nodes { id } } } } } }
    } }";
    let answer = app.gql(None, fan_out, json!({ "id": "1" })).await;
    assert_refused(&answer, "complexity_limit_exceeded");
    assert!(
        answer.error_message().contains("complexity limit is 1000"),
        "{}",
        answer.body
    );

    let aliases: String = (0..1001)
        .map(|n| format!("a{n}: viewer {{ id }} "))
        .collect();
    let answer = app.gql(None, &format!("{{ {aliases} }}"), json!({})).await;
    assert_refused(&answer, "complexity_limit_exceeded");

    let ordinary = "query($id: ID!) { userPosts(userId: $id, first: 20) {
        nodes { id content author { username } reactionCounts { kind count } commentCount }
        pageInfo { hasNextPage endCursor } } }";
    let answer = app.gql(None, ordinary, json!({ "id": "1" })).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.error_code(),
        "not_found",
        "ran, for a user that does not exist"
    );
}

#[tokio::test]
async fn long_unparseable_or_invalid_queries_are_refused() {
    let app = TestApp::spawn().await;
    let padded = format!("{{ viewer {{ id }} }}\n#{}", "x".repeat(21 * 1024));
    assert_refused(&app.gql(None, &padded, json!({})).await, "query_too_large");
    assert_refused(&app.gql(None, "{ post(", json!({})).await, "invalid_query");
    assert_refused(
        &app.gql(None, "{ nosuchfield }", json!({})).await,
        "invalid_query",
    );

    // Bad arguments are found while running: 200, with a code all the same.
    let missing = app
        .gql(None, "query($id: ID!) { post(id: $id) { id } }", json!({}))
        .await;
    assert_eq!(missing.status, StatusCode::OK, "{}", missing.body);
    assert_eq!(
        missing.error_code(),
        "validation_failed",
        "{}",
        missing.body
    );
    let wrong_type = app
        .gql(
            None,
            "{ userPosts(userId: \"1\", first: \"ten\") { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_refused(&wrong_type, "invalid_query");
}

#[tokio::test]
async fn bodies_must_be_json_post_requests_of_bounded_size() {
    let app = TestApp::spawn().await;
    let post = |content_type: &str, body: String| {
        Request::post("/graphql")
            .header("content-type", content_type)
            .body(Body::from(body))
            .expect("request")
    };
    let malformed = app.send(post("application/json", "{not json".into())).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.error_code(), "malformed_request");

    let text = app
        .send(post(
            "text/plain",
            r#"{"query":"{ viewer { id } }"}"#.into(),
        ))
        .await;
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(text.error_code(), "unsupported_media_type");

    let huge =
        json!({ "query": "{ viewer { id } }", "variables": { "x": "y".repeat(300 * 1024) } });
    let too_large = app.send(post("application/json", huge.to_string())).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.error_code(), "payload_too_large");

    let get = Request::get("/graphql?query=%7Bviewer%7Bid%7D%7D")
        .body(Body::empty())
        .expect("request");
    let get = app.send(get).await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get.error_code(), "method_not_allowed");
}

#[tokio::test]
async fn introspection_is_allowed() {
    let app = TestApp::spawn().await;
    let answer = app
        .gql(None, "{ __schema { queryType { name } mutationType { name } } __type(name: \"Post\") { fields { name } } }", json!({}))
        .await;
    let data = answer.data();
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    assert_eq!(data["__schema"]["mutationType"]["name"], "Mutation");
    let fields: Vec<&str> = data["__type"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["name"].as_str().expect("name"))
        .collect();
    for field in [
        "author",
        "repostOf",
        "reactionCounts",
        "myReactions",
        "comments",
    ] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    let sdl = chorus_graphql::sdl();
    assert!(sdl.contains("type PostConnection"), "{sdl}");
}
