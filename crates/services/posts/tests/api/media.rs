//! Media on posts: only the author's own, known from the media service's events.

use http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn a_post_carries_media_its_author_uploaded() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let first = app.uploaded_media(alice).await;
    let second = app.uploaded_media(alice).await;

    let post = app
        .create_post(
            alice,
            json!({"content": "pics", "media_ids": [second.to_string(), first.to_string(), second.to_string()]}),
        )
        .await;
    let expected = json!([{"id": second.to_string()}, {"id": first.to_string()}]);
    assert_eq!(post["media"], expected, "in the order given, once each");
    let fetched = app
        .get(
            &format!("/api/v1/posts/{}", post["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(fetched.json()["media"], expected);
}

#[tokio::test]
async fn unknown_and_foreign_media_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let mallory = app.user("mallory");
    let alices = app.uploaded_media(alice).await;

    let response = app
        .post(
            "/api/v1/posts",
            mallory,
            &json!({"content": "stolen", "media_ids": [alices]}),
        )
        .await;
    response.assert_invalid("media_ids");
    assert!(
        response.json()["error"]["message"]
            .as_str()
            .expect("message")
            .contains("no such media")
    );
    app.post(
        "/api/v1/posts",
        alice,
        &json!({"content": "x", "media_ids": ["123456"]}),
    )
    .await
    .assert_invalid("media_ids");
    app.post(
        "/api/v1/posts",
        alice,
        &json!({"content": "x", "media_ids": [alices, "123456"]}),
    )
    .await
    .assert_invalid("media_ids");
}

#[tokio::test]
async fn at_most_ten_media() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let mut media = Vec::new();
    for _ in 0..11 {
        media.push(app.uploaded_media(alice).await.to_string());
    }
    app.post(
        "/api/v1/posts",
        alice,
        &json!({"content": "many", "media_ids": media}),
    )
    .await
    .assert_invalid("media_ids");
    media.pop();
    let post = app
        .create_post(alice, json!({"content": "ten", "media_ids": media}))
        .await;
    assert_eq!(post["media"].as_array().expect("media").len(), 10);
}

#[tokio::test]
async fn a_deleted_media_leaves_posts_and_cannot_be_attached() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let media = app.uploaded_media(alice).await;
    let post = app
        .create_post(alice, json!({"content": "soon bare", "media_ids": [media]}))
        .await;
    app.publish(
        "media.deleted",
        json!({"media_id": media, "owner_id": alice}),
    )
    .await;

    let path = format!("/api/v1/posts/{}", post["id"].as_str().expect("id"));
    assert_eq!(app.get(&path, None).await.json()["media"], json!([]));
    app.post(
        "/api/v1/posts",
        alice,
        &json!({"content": "x", "media_ids": [media]}),
    )
    .await
    .assert_invalid("media_ids");
}

#[tokio::test]
async fn a_repeated_media_event_changes_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let media = app.ctx.ids.next_id();
    let uploaded = chorus_core::Envelope::new(
        app.ctx.ids.next_id(),
        "media.uploaded",
        None,
        json!({"media_id": media, "owner_id": alice}),
    );
    app.ctx
        .infra
        .bus
        .publish(&uploaded)
        .await
        .expect("published");
    app.ctx
        .infra
        .bus
        .publish(&uploaded)
        .await
        .expect("published again");
    // The same media claimed by someone else later does not change its owner.
    app.publish(
        "media.uploaded",
        json!({"media_id": media, "owner_id": bob}),
    )
    .await;

    let post = app
        .post(
            "/api/v1/posts",
            alice,
            &json!({"content": "ok", "media_ids": [media]}),
        )
        .await;
    assert_eq!(post.status, StatusCode::CREATED, "{}", post.text());
    app.post(
        "/api/v1/posts",
        bob,
        &json!({"content": "no", "media_ids": [media]}),
    )
    .await
    .assert_invalid("media_ids");
}
