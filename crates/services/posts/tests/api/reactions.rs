//! Reactions: idempotent, counted exactly, even under 200 concurrent likes.

use axum::body::Body;
use chorus_core::identity::IDENTITY_HEADER;
use http::{Request, StatusCode};
use serde_json::json;
use tower::ServiceExt;

use crate::helpers::TestApp;

#[tokio::test]
async fn reacting_is_idempotent_both_ways() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let post = app.post_id(alice, "react to me", "public").await;
    let like = format!("/api/v1/posts/{post}/reactions/like");
    let fire = format!("/api/v1/posts/{post}/reactions/fire");

    for _ in 0..2 {
        let response = app.put(&like, bob).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        assert_eq!(
            response.json(),
            json!({"counts": {"like": 1}, "mine": ["like"]})
        );
    }
    let both = app.put(&fire, bob).await.json();
    assert_eq!(
        both,
        json!({"counts": {"like": 1, "fire": 1}, "mine": ["like", "fire"]})
    );
    let alices = app.put(&like, alice).await.json();
    assert_eq!(
        alices,
        json!({"counts": {"like": 2, "fire": 1}, "mine": ["like"]})
    );

    let seen_by_bob = app
        .get(&format!("/api/v1/posts/{post}"), Some(bob))
        .await
        .json();
    assert_eq!(
        seen_by_bob["reaction_counts"],
        json!({"like": 2, "fire": 1})
    );
    assert_eq!(seen_by_bob["my_reactions"], json!(["like", "fire"]));
    let anonymous = app.get(&format!("/api/v1/posts/{post}"), None).await.json();
    assert_eq!(anonymous["my_reactions"], json!([]));

    for _ in 0..2 {
        let response = app.delete(&like, bob).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        assert_eq!(
            response.json(),
            json!({"counts": {"like": 1, "fire": 1}, "mine": ["fire"]})
        );
    }
    let last = app.delete(&fire, bob).await.json();
    assert_eq!(
        last,
        json!({"counts": {"like": 1}, "mine": []}),
        "kinds at 0 are left out"
    );
}

#[tokio::test]
async fn an_unknown_kind_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let post = app.post_id(alice, "p", "public").await;
    for kind in ["dislike", "LIKE", "%F0%9F%91%8D"] {
        let path = format!("/api/v1/posts/{post}/reactions/{kind}");
        app.put(&path, alice).await.assert_invalid("kind");
        app.delete(&path, alice).await.assert_invalid("kind");
    }
}

#[tokio::test]
async fn hidden_posts_take_no_reactions_and_anonymous_callers_none_at_all() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let private = app.post_id(alice, "mine", "private").await;
    let path = format!("/api/v1/posts/{private}/reactions/like");
    app.put(&path, bob)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.delete(&path, bob)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.put("/api/v1/posts/77/reactions/like", bob)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let anonymous = app.request(http::Method::PUT, &path, None, None).await;
    anonymous.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn who_reacted_is_listed_newest_first_without_blocked_users() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let carol = app.user("carol");
    let post = app.post_id(alice, "p", "public").await;
    app.put(&format!("/api/v1/posts/{post}/reactions/like"), bob)
        .await;
    app.put(&format!("/api/v1/posts/{post}/reactions/wow"), carol)
        .await;
    app.put(&format!("/api/v1/posts/{post}/reactions/clap"), bob)
        .await;

    let path = format!("/api/v1/posts/{post}/reactions");
    let all = app.get(&path, None).await.json();
    let seen: Vec<(String, String)> = all["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["user"]["username"].as_str().expect("u").into(),
                r["kind"].as_str().expect("k").into(),
            )
        })
        .collect();
    let expected = [("bob", "clap"), ("carol", "wow"), ("bob", "like")];
    assert_eq!(seen, expected.map(|(u, k)| (u.to_string(), k.to_string())));
    assert!(all["items"][0]["created_at"].is_string());

    let first = app.get(&format!("{path}?limit=2"), None).await.json();
    assert_eq!(first["items"].as_array().expect("items").len(), 2);
    let cursor = first["next_cursor"].as_str().expect("more");
    let rest = app
        .get(&format!("{path}?limit=2&cursor={cursor}"), None)
        .await
        .json();
    assert_eq!(rest["items"][0]["kind"], "like");
    assert_eq!(rest["next_cursor"], json!(null));

    app.users.block(carol, bob);
    let for_carol = app.get(&path, Some(carol)).await.json();
    assert_eq!(for_carol["items"].as_array().expect("items").len(), 1);
}

/// 200 distinct users like one post at once: the count is 200 exactly.
pub async fn two_hundred_concurrent_likes(app: &TestApp) {
    let alice = app.user("alice");
    let post = app.post_id(alice, "go viral", "public").await;
    let path = format!("/api/v1/posts/{post}/reactions/like");
    let likers: Vec<_> = (0..200).map(|n| app.user(&format!("fan{n}"))).collect();

    // Each like on its own task, so that they truly run in parallel.
    let likes: Vec<_> = likers
        .iter()
        .map(|fan| {
            let request = Request::put(path.as_str())
                .header(IDENTITY_HEADER, app.identity(*fan))
                .body(Body::empty())
                .expect("request");
            tokio::spawn(app.router.clone().oneshot(request))
        })
        .collect();
    for like in likes {
        let response = like.await.expect("the task ends").expect("infallible");
        assert_eq!(response.status(), StatusCode::OK);
    }
    let post = app.get(&format!("/api/v1/posts/{post}"), None).await.json();
    assert_eq!(post["reaction_counts"], json!({"like": 200}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_likes_count_exactly_on_sqlite() {
    let app = TestApp::spawn().await;
    two_hundred_concurrent_likes(&app).await;
}
