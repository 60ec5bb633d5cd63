//! The same service on PostgreSQL, when one answers here
//! (`CHORUS_REQUIRE_SERVERS=1` makes its absence a failure).

use http::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, id_of, media_view};
use crate::media::{
    a_post_waits_for_a_media_announced_after_it,
    foreign_media_is_refused_at_once_unknown_after_the_wait,
};
use crate::reactions::two_hundred_concurrent_likes;

async fn app() -> Option<TestApp> {
    Some(TestApp::spawn_on(Backend::postgres()?).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_likes_count_exactly_on_postgresql() {
    let Some(app) = app().await else { return };
    two_hundred_concurrent_likes(&app).await;
    app.drop_schema().await;
}

#[tokio::test]
async fn a_post_waits_for_its_media_on_postgresql() {
    let Some(app) = app().await else { return };
    a_post_waits_for_a_media_announced_after_it(&app).await;
    foreign_media_is_refused_at_once_unknown_after_the_wait(&app).await;
    app.drop_schema().await;
}

#[tokio::test]
async fn posts_comments_reactions_and_reposts_work_on_postgresql() {
    let Some(app) = app().await else { return };
    let alice = app.user("alice");
    let bob = app.user("bob");
    app.users.follow(bob, alice);
    let media = app.uploaded_media(alice).await;

    let post = app
        .create_post(
            alice,
            json!({"content": "Hi #PG @bob", "media_ids": [media]}),
        )
        .await;
    let id = id_of(&post);
    assert_eq!(post["hashtags"], json!(["pg"]));
    assert_eq!(post["mentions"], json!(["bob"]));
    let path = format!("/api/v1/posts/{id}");

    let top = app.comment(bob, &id, "top", None).await;
    app.comment(alice, &id, "reply", Some(&top)).await;
    app.put(&format!("{path}/reactions/like"), bob).await;
    app.put(&format!("{path}/reactions/like"), bob).await;
    app.create_post(bob, json!({"repost_of": id})).await;
    let seen = app.get(&path, Some(bob)).await.json();
    assert_eq!(seen["comment_count"], 2);
    assert_eq!(seen["repost_count"], 1);
    assert_eq!(seen["reaction_counts"], json!({"like": 1}));
    assert_eq!(seen["my_reactions"], json!(["like"]));
    assert_eq!(seen["media"], json!([media_view(media)]));

    let deleted = app.delete(&format!("/api/v1/comments/{top}"), alice).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, None).await.json()["comment_count"], 0);

    let private = app.post_id(alice, "mine", "followers").await;
    let timeline = app
        .get(&format!("/api/v1/users/{alice}/posts?limit=1"), Some(bob))
        .await
        .json();
    assert_eq!(id_of(&timeline["items"][0]), private);
    let anonymous = app
        .get(&format!("/api/v1/users/{alice}/posts"), None)
        .await
        .json();
    assert_eq!(anonymous["items"].as_array().expect("items").len(), 1);

    assert_eq!(
        app.delete(&path, alice).await.status,
        StatusCode::NO_CONTENT
    );
    app.get(&path, None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    app.drop_schema().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_comments_and_deletes_keep_the_count_exact_on_postgresql() {
    let Some(app) = app().await else { return };
    let alice = app.user("alice");
    let post = app.post_id(alice, "busy thread", "public").await;
    let top = app.comment(alice, &post, "top", None).await;
    let posts = app.service.app();
    let post_id: chorus_core::Id = post.parse().expect("id");
    let top_id: chorus_core::Id = top.parse().expect("id");

    // Replies race with the deletion of the comment they answer.
    let mut tasks = Vec::new();
    for n in 0..30 {
        let posts = posts.clone();
        let input = chorus_posts::NewComment {
            content: format!("reply {n}"),
            parent_id: Some(top_id),
        };
        tasks.push(tokio::spawn(async move {
            posts.add_comment(alice, post_id, input).await.is_ok()
        }));
    }
    let deleter = posts.clone();
    let deletion = tokio::spawn(async move { deleter.delete_comment(alice, top_id).await });
    for task in tasks {
        let _ = task.await.expect("the task ends");
    }
    deletion.await.expect("the task ends").expect("deleted");

    let listed = posts
        .comments(None, post_id, chorus_core::PageQuery::first(100))
        .await
        .expect("listed");
    let shown = app.get(&format!("/api/v1/posts/{post}"), None).await.json();
    assert_eq!(shown["comment_count"], listed.items.len() as i64);
    app.drop_schema().await;
}
