//! Writing, reading, editing and deleting posts; what bad input gets.

use axum::body::Body;
use chorus_core::identity::IDENTITY_HEADER;
use http::{Method, Request, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, id_of};

#[tokio::test]
async fn a_new_post_answers_201_in_the_contract_shape() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("Bob_1");

    let post = app
        .create_post(
            alice,
            json!({"content": "  Hello #Rust and #café, @bob_1! @ghost_x mail x@y.z #123  "}),
        )
        .await;

    assert_eq!(
        post["content"],
        "Hello #Rust and #café, @bob_1! @ghost_x mail x@y.z #123"
    );
    assert_eq!(post["visibility"], "public");
    assert_eq!(post["hashtags"], json!(["rust", "café"]));
    assert_eq!(post["mentions"], json!(["bob_1"]), "only existing users");
    assert_eq!(
        post["author"],
        json!({"id": alice.to_string(), "username": "alice",
               "display_name": "alice (display)", "avatar_url": null})
    );
    assert_eq!(post["media"], json!([]));
    assert_eq!(post["repost_of"], json!(null));
    assert_eq!(post["reaction_counts"], json!({}));
    assert_eq!(post["my_reactions"], json!([]));
    assert_eq!(post["comment_count"], 0);
    assert_eq!(post["repost_count"], 0);
    assert_eq!(post["edited_at"], json!(null));
    assert!(post["created_at"].as_str().expect("a time").ends_with('Z'));
    let _ = bob;

    let fetched = app
        .get(&format!("/api/v1/posts/{}", id_of(&post)), None)
        .await;
    assert_eq!(fetched.status, StatusCode::OK, "{}", fetched.text());
    assert_eq!(fetched.json(), post, "a read answers what the write did");
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    for path in [
        "/api/v1/posts/123",
        "/api/v1/posts/abc",
        "/api/v1/posts/-1",
        "/api/v1/posts/99999999999999999999",
    ] {
        app.get(path, Some(alice))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    app.delete("/api/v1/posts/nope", alice)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn only_the_author_edits_and_an_edit_reparses_the_text() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let stranger = app.user("stranger");
    let _carol = app.user("carol");
    let id = app.post_id(alice, "first #draft", "public").await;
    let path = format!("/api/v1/posts/{id}");

    app.patch(&path, stranger, &json!({"content": "mine now"}))
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    let anonymous = app
        .request(Method::PATCH, &path, None, Some(&json!({"content": "x"})))
        .await;
    anonymous.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    let edited = app
        .patch(&path, alice, &json!({"content": "final #Done with @carol"}))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    let edited = edited.json();
    assert_eq!(edited["content"], "final #Done with @carol");
    assert_eq!(edited["hashtags"], json!(["done"]));
    assert_eq!(edited["mentions"], json!(["carol"]));
    assert!(edited["edited_at"].is_string());
    assert_eq!(edited["visibility"], "public", "unchanged when absent");

    let private = app
        .patch(&path, alice, &json!({"visibility": "private"}))
        .await;
    assert_eq!(private.json()["visibility"], "private");
    assert_eq!(private.json()["content"], "final #Done with @carol");
    // Now the stranger cannot see it: 404, not 403.
    app.patch(&path, stranger, &json!({"content": "x"}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn an_edit_with_bad_values_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let path = format!(
        "/api/v1/posts/{}",
        app.post_id(alice, "text", "public").await
    );
    app.patch(&path, alice, &json!({"content": "  "}))
        .await
        .assert_invalid("content");
    app.patch(&path, alice, &json!({"content": "a".repeat(5_001)}))
        .await
        .assert_invalid("content");
    app.patch(&path, alice, &json!({"visibility": "friends"}))
        .await
        .assert_invalid("visibility");
    let unchanged = app.get(&path, Some(alice)).await.json();
    assert_eq!(unchanged["content"], "text");
    assert_eq!(unchanged["edited_at"], json!(null));
}

#[tokio::test]
async fn only_the_author_deletes_and_a_deleted_post_is_gone() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let stranger = app.user("stranger");
    let path = format!(
        "/api/v1/posts/{}",
        app.post_id(alice, "bye", "public").await
    );
    let private = format!(
        "/api/v1/posts/{}",
        app.post_id(alice, "secret", "private").await
    );

    app.delete(&path, stranger)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.delete(&private, stranger)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let anonymous = app.request(Method::DELETE, &path, None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    assert_eq!(
        app.delete(&path, alice).await.status,
        StatusCode::NO_CONTENT
    );
    app.get(&path, Some(alice))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.delete(&path, alice)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn content_must_be_one_to_five_thousand_characters() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    for empty in ["", "   ", "\n\t "] {
        app.post("/api/v1/posts", alice, &json!({"content": empty}))
            .await
            .assert_invalid("content");
    }
    app.post("/api/v1/posts", alice, &json!({}))
        .await
        .assert_invalid("content");
    app.post(
        "/api/v1/posts",
        alice,
        &json!({"content": "a".repeat(5_001)}),
    )
    .await
    .assert_invalid("content");
    // 5,000 characters of 4 bytes each: counted in characters.
    let emoji = "🎉".repeat(5_000);
    let post = app.create_post(alice, json!({"content": emoji})).await;
    assert_eq!(
        post["content"].as_str().expect("text").chars().count(),
        5_000
    );
}

#[tokio::test]
async fn an_unknown_visibility_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    for bad in [json!("friends"), json!("PUBLIC"), json!(""), json!(3)] {
        let response = app
            .post(
                "/api/v1/posts",
                alice,
                &json!({"content": "hi", "visibility": bad}),
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            response.text()
        );
    }
    app.post(
        "/api/v1/posts",
        alice,
        &json!({"content": "hi", "visibility": "friends"}),
    )
    .await
    .assert_invalid("visibility");
}

#[tokio::test]
async fn requests_without_a_valid_identity_or_body_are_refused_in_the_error_shape() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");

    let anonymous = app
        .request(
            Method::POST,
            "/api/v1/posts",
            None,
            Some(&json!({"content": "hi"})),
        )
        .await;
    anonymous.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    let forged = Request::post("/api/v1/posts")
        .header(IDENTITY_HEADER, "v1.1.1.9999999999.AAAA")
        .header("content-type", "application/json")
        .body(Body::from(r#"{"content":"hi"}"#))
        .expect("request");
    app.send(forged)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    let malformed = Request::post("/api/v1/posts")
        .header(IDENTITY_HEADER, app.identity(alice))
        .header("content-type", "application/json")
        .body(Body::from("{not json"))
        .expect("request");
    app.send(malformed)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "malformed_request");

    let not_json = Request::post("/api/v1/posts")
        .header(IDENTITY_HEADER, app.identity(alice))
        .body(Body::from("content=hi"))
        .expect("request");
    assert_eq!(
        app.send(not_json).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );

    let wrong_type = app
        .post("/api/v1/posts", alice, &json!({"content": 5}))
        .await;
    assert_eq!(
        wrong_type.status,
        StatusCode::BAD_REQUEST,
        "{}",
        wrong_type.text()
    );

    let method = app
        .request(Method::PUT, "/api/v1/posts", Some(alice), None)
        .await;
    method.assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn a_signed_in_user_without_a_profile_yet_is_asked_to_retry() {
    let app = TestApp::spawn().await;
    let newcomer = app.ctx.ids.next_id();
    let response = app
        .post("/api/v1/posts", newcomer, &json!({"content": "too early"}))
        .await;
    response.assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}
