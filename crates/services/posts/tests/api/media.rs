//! Media on posts: only the author's own, known from the media service's
//! events, shown as those events described them.

use std::time::{Duration, Instant};

use chorus_core::Id;
use http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, id_of, media_uploaded, media_view};

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
    let expected = json!([media_view(second), media_view(first)]);
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
            .contains("no such media, or not yours")
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

#[tokio::test]
async fn a_post_waits_briefly_for_a_media_announced_after_it() {
    let app = TestApp::spawn().await;
    a_post_waits_for_a_media_announced_after_it(&app).await;
}

#[tokio::test]
async fn someone_elses_media_is_refused_at_once_an_unknown_one_after_the_wait() {
    let app = TestApp::spawn().await;
    foreign_media_is_refused_at_once_unknown_after_the_wait(&app).await;
}

/// A client may post right after uploading, before `media.uploaded` reaches
/// posts: the post waits for it, and shows the media as announced.
pub async fn a_post_waits_for_a_media_announced_after_it(app: &TestApp) {
    let alice = app.user("alice");
    let early = app.uploaded_media(alice).await;
    let late = app.ctx.ids.next_id();
    let body = json!({"content": "quick", "media_ids": [late, early]});
    let posting = app.post("/api/v1/posts", alice, &body);
    let announcing = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.publish("media.uploaded", media_uploaded(late, alice))
            .await;
    };
    let (response, ()) = tokio::join!(posting, announcing);
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let expected = json!([media_view(late), media_view(early)]);
    assert_eq!(response.json()["media"], expected);
    let id = id_of(&response.json());
    assert_eq!(
        app.get(&format!("/api/v1/posts/{id}"), None).await.json()["media"],
        expected
    );
    let id: Id = id.parse().expect("an id");
    let bodies = app.service.api().bodies(&[id]).await.expect("bodies");
    let ids: Vec<_> = bodies[0].media.iter().map(|media| media.id).collect();
    assert_eq!(ids, [late, early], "PostsApi carries the views too");
    assert_eq!(bodies[0].media[0].variants["small"].width, 150);
}

pub async fn foreign_media_is_refused_at_once_unknown_after_the_wait(app: &TestApp) {
    let alice = app.user("alice");
    let mallory = app.user("mallory");
    let alices = app.uploaded_media(alice).await;
    let unknown = app.ctx.ids.next_id();

    // Alice's is known: no wait, even beside an id not known yet.
    let started = Instant::now();
    app.post(
        "/api/v1/posts",
        mallory,
        &json!({"content": "stolen", "media_ids": [unknown, alices]}),
    )
    .await
    .assert_invalid("media_ids");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused at once: {:?}",
        started.elapsed()
    );

    let started = Instant::now();
    app.post(
        "/api/v1/posts",
        alice,
        &json!({"content": "never", "media_ids": [alices, unknown]}),
    )
    .await
    .assert_invalid("media_ids");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1_900) && waited < Duration::from_secs(5),
        "refused after about 2 s: {waited:?}"
    );
}

#[tokio::test]
async fn a_media_known_from_before_views_shows_its_id_and_url() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let media = app.ctx.ids.next_id();
    // As the migration leaves a row recorded before views were kept.
    let db = chorus_ports::Db::connect(&app.ctx.db_target(chorus_posts::NAME))
        .await
        .expect("opens the database");
    sqlx::query(
        "INSERT INTO media_refs (media_id, owner_id, created_at, view_json) \
         VALUES ($1, $2, 0, $3)",
    )
    .bind(media.as_i64())
    .bind(alice.as_i64())
    .bind(format!(r#"{{"id":"{media}","url":"/media/{media}"}}"#))
    .execute(db.writer())
    .await
    .expect("inserts");
    db.close().await;

    let post = app
        .create_post(alice, json!({"content": "old", "media_ids": [media]}))
        .await;
    assert_eq!(
        post["media"],
        json!([{"id": media.to_string(), "url": format!("/media/{media}"), "mime": "",
                "size": 0, "width": null, "height": null, "variants": {}}])
    );
}
