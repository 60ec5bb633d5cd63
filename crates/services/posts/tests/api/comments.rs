//! Comments: threads, who may delete, exact counts, hidden posts.

use http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, id_of};

async fn comment_count(app: &TestApp, post: &str) -> i64 {
    let author_view = app.get(&format!("/api/v1/posts/{post}"), None).await.json();
    author_view["comment_count"].as_i64().expect("a count")
}

async fn listed(app: &TestApp, post: &str, viewer: Option<chorus_core::Id>) -> Vec<Value> {
    let response = app
        .get(&format!("/api/v1/posts/{post}/comments?limit=100"), viewer)
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    response.json()["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn comments_are_threaded_listed_oldest_first_and_counted() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let post = app.post_id(alice, "talk to me", "public").await;

    let first = app.comment(bob, &post, "  first!  ", None).await;
    let reply = app.comment(alice, &post, "a reply", Some(&first)).await;
    let nested = app
        .comment(bob, &post, "a reply to the reply", Some(&reply))
        .await;
    let second = app.comment(alice, &post, "second", None).await;

    let items = listed(&app, &post, None).await;
    let ids: Vec<String> = items.iter().map(id_of).collect();
    assert_eq!(ids, [first.clone(), reply.clone(), nested, second]);
    assert_eq!(items[0]["content"], "first!");
    assert_eq!(items[0]["parent_id"], json!(null));
    assert_eq!(items[1]["parent_id"], json!(first));
    assert_eq!(items[2]["parent_id"], json!(reply));
    assert_eq!(items[0]["post_id"], json!(post));
    assert_eq!(items[0]["author"]["username"], "bob");
    assert_eq!(items[0]["edited_at"], json!(null));
    assert_eq!(comment_count(&app, &post).await, 4);
}

#[tokio::test]
async fn comments_page_with_a_cursor() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let post = app.post_id(alice, "many comments", "public").await;
    let mut written = Vec::new();
    for n in 0..5 {
        written.push(app.comment(alice, &post, &format!("c{n}"), None).await);
    }
    let path = format!("/api/v1/posts/{post}/comments?limit=2");
    let mut seen = Vec::new();
    let mut next = app.get(&path, None).await.json();
    loop {
        seen.extend(next["items"].as_array().expect("items").iter().map(id_of));
        let Some(cursor) = next["next_cursor"].as_str() else {
            break;
        };
        next = app
            .get(&format!("{path}&cursor={cursor}"), None)
            .await
            .json();
    }
    assert_eq!(seen, written);
    let tampered = app.get(&format!("{path}&cursor=AAAA"), None).await;
    tampered.assert_invalid("cursor");
}

#[tokio::test]
async fn a_parent_must_be_a_comment_of_the_same_post() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let post = app.post_id(alice, "one", "public").await;
    let other = app.post_id(alice, "two", "public").await;
    let elsewhere = app.comment(alice, &other, "on the other post", None).await;
    let path = format!("/api/v1/posts/{post}/comments");

    for parent in [json!(elsewhere), json!("12345")] {
        app.post(
            &path,
            alice,
            &json!({"content": "reply", "parent_id": parent}),
        )
        .await
        .assert_invalid("parent_id");
    }
    assert_eq!(
        comment_count(&app, &post).await,
        0,
        "refused replies are not counted"
    );
}

#[tokio::test]
async fn comment_content_must_be_one_to_two_thousand_characters() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let post = app.post_id(alice, "p", "public").await;
    let path = format!("/api/v1/posts/{post}/comments");
    for bad in [json!(""), json!("   "), json!("x".repeat(2_001))] {
        app.post(&path, alice, &json!({"content": bad}))
            .await
            .assert_invalid("content");
    }
    app.comment(alice, &post, &"é".repeat(2_000), None).await;
}

#[tokio::test]
async fn hidden_and_deleted_posts_take_no_comments() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let private = app.post_id(alice, "mine", "private").await;
    let followers = app.post_id(alice, "friends only", "followers").await;
    let deleted = app.post_id(alice, "gone soon", "public").await;
    app.delete(&format!("/api/v1/posts/{deleted}"), alice).await;

    for post in [&private, &followers, &deleted] {
        app.post(
            &format!("/api/v1/posts/{post}/comments"),
            bob,
            &json!({"content": "hi"}),
        )
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    app.get(&format!("/api/v1/posts/{private}/comments"), None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.users.follow(bob, alice);
    app.comment(bob, &followers, "now I may", None).await;
}

#[tokio::test]
async fn the_comment_author_or_the_post_author_deletes_and_replies_go_too() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let carol = app.user("carol");
    let post = app.post_id(alice, "thread", "public").await;
    let bobs = app.comment(bob, &post, "bob's", None).await;
    let reply = app
        .comment(carol, &post, "carol answers", Some(&bobs))
        .await;
    let _deep = app.comment(bob, &post, "bob answers", Some(&reply)).await;
    let carols = app.comment(carol, &post, "carol's own", None).await;
    let leaf = app.comment(bob, &post, "bob again", None).await;
    assert_eq!(comment_count(&app, &post).await, 5);

    // A third user may neither delete nor edit.
    app.delete(&format!("/api/v1/comments/{carols}"), bob)
        .await
        .assert_error(StatusCode::FORBIDDEN, "forbidden");
    app.patch(
        &format!("/api/v1/comments/{carols}"),
        bob,
        &json!({"content": "x"}),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");
    // Not even the post's author edits someone else's comment.
    app.patch(
        &format!("/api/v1/comments/{carols}"),
        alice,
        &json!({"content": "x"}),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "forbidden");

    // Its author deletes a leaf.
    let deleted = app.delete(&format!("/api/v1/comments/{leaf}"), bob).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());
    assert_eq!(comment_count(&app, &post).await, 4);

    // The post's author deletes bob's comment: both replies below go with it.
    let deleted = app.delete(&format!("/api/v1/comments/{bobs}"), alice).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text());
    let left: Vec<String> = listed(&app, &post, None).await.iter().map(id_of).collect();
    assert_eq!(left, vec![carols]);
    assert_eq!(comment_count(&app, &post).await, 1);

    app.delete(&format!("/api/v1/comments/{bobs}"), alice)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.delete(&format!("/api/v1/comments/{reply}"), carol)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.delete("/api/v1/comments/not-an-id", carol)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn a_comment_author_edits_their_comment() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let post = app.post_id(alice, "p", "public").await;
    let comment = app.comment(bob, &post, "typo", None).await;
    let path = format!("/api/v1/comments/{comment}");
    let edited = app.patch(&path, bob, &json!({"content": " fixed "})).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["content"], "fixed");
    assert!(edited.json()["edited_at"].is_string());
    app.patch(&path, bob, &json!({"content": ""}))
        .await
        .assert_invalid("content");
    assert_eq!(listed(&app, &post, None).await[0]["content"], "fixed");
}

#[tokio::test]
async fn comments_by_users_blocked_either_way_are_left_out() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let troll = app.user("troll");
    let victim = app.user("victim");
    let post = app.post_id(alice, "open thread", "public").await;
    app.comment(troll, &post, "trolling", None).await;
    app.comment(victim, &post, "hello", None).await;
    app.users.block(victim, troll);

    let for_victim = listed(&app, &post, Some(victim)).await;
    assert_eq!(for_victim.len(), 1);
    assert_eq!(for_victim[0]["content"], "hello");
    let for_troll = listed(&app, &post, Some(troll)).await;
    assert_eq!(for_troll.len(), 1);
    assert_eq!(for_troll[0]["content"], "trolling");
    assert_eq!(listed(&app, &post, None).await.len(), 2);
}
