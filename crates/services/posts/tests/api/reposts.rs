//! Reposts: of public posts only, always pointing at the original, counted.

use chorus_core::Id;
use http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, id_of};

/// A post's repost count, as its author sees it.
async fn repost_count(app: &TestApp, post: &str, author: Id) -> i64 {
    let post = app
        .get(&format!("/api/v1/posts/{post}"), Some(author))
        .await
        .json();
    post["repost_count"].as_i64().expect("a count")
}

#[tokio::test]
async fn a_repost_points_at_the_original_and_counts_there() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let carol = app.user("carol");
    let original = app.post_id(alice, "worth sharing", "public").await;

    let repost = app
        .create_post(bob, json!({"content": "", "repost_of": original}))
        .await;
    assert_eq!(repost["repost_of"], json!(original));
    assert_eq!(repost["content"], "");
    assert_eq!(repost_count(&app, &original, alice).await, 1);

    // A repost of the repost points at the original too.
    let again = app
        .create_post(
            carol,
            json!({"content": "so true #yes", "repost_of": id_of(&repost)}),
        )
        .await;
    assert_eq!(again["repost_of"], json!(original));
    assert_eq!(again["hashtags"], json!(["yes"]));
    assert_eq!(repost_count(&app, &original, alice).await, 2);
    assert_eq!(repost_count(&app, &id_of(&repost), bob).await, 0);

    // Deleting a repost gives the original one fewer.
    let deleted = app
        .delete(&format!("/api/v1/posts/{}", id_of(&again)), carol)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(repost_count(&app, &original, alice).await, 1);
}

#[tokio::test]
async fn only_public_posts_the_author_can_see_are_reposted() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let follower = app.user("follower");
    app.users.follow(follower, alice);
    let followers_only = app.post_id(alice, "for followers", "followers").await;
    let private = app.post_id(alice, "for me", "private").await;

    // Visible to the follower, but not public: 400.
    app.post(
        "/api/v1/posts",
        follower,
        &json!({"content": "", "repost_of": followers_only}),
    )
    .await
    .assert_invalid("repost_of");
    // Not visible at all: 404.
    for hidden in [json!(private), json!("98765")] {
        app.post(
            "/api/v1/posts",
            follower,
            &json!({"content": "", "repost_of": hidden}),
        )
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    // The author's own non-public post: visible, still not repostable.
    app.post(
        "/api/v1/posts",
        alice,
        &json!({"content": "", "repost_of": private}),
    )
    .await
    .assert_invalid("repost_of");
    assert_eq!(repost_count(&app, &followers_only, alice).await, 0);
}

#[tokio::test]
async fn only_a_repost_may_be_empty() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let original = app.post_id(alice, "o", "public").await;
    let repost = app.create_post(alice, json!({"repost_of": original})).await;
    let path = format!("/api/v1/posts/{}", id_of(&repost));
    let edited = app.patch(&path, alice, &json!({"content": "  "})).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    app.patch(
        &format!("/api/v1/posts/{original}"),
        alice,
        &json!({"content": ""}),
    )
    .await
    .assert_invalid("content");
}

#[tokio::test]
async fn a_repost_outlives_its_deleted_original() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let original = app.post_id(alice, "o", "public").await;
    let repost = app
        .create_post(bob, json!({"content": "look", "repost_of": original}))
        .await;
    app.delete(&format!("/api/v1/posts/{original}"), alice)
        .await;
    let kept = app
        .get(&format!("/api/v1/posts/{}", id_of(&repost)), None)
        .await;
    assert_eq!(kept.status, StatusCode::OK);
    assert_eq!(kept.json()["repost_of"], json!(original));
    app.post("/api/v1/posts", bob, &json!({"repost_of": original}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}
