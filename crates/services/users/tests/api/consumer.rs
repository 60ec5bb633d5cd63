//! The consumer: a profile per `user.registered`, `posts_count` from post
//! events; redelivery changes nothing.

use chorus_core::{Envelope, Id};
use http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, User, registered};
use crate::on_both;

on_both!(
    a_redelivered_registration_changes_nothing,
    posts_are_counted_once_each_and_never_below_zero,
);

async fn a_redelivered_registration_changes_nothing(app: &TestApp) {
    let id = app.ctx.ids.next_id();
    let event = registered(&app.ctx.ids, id, "Alice");
    app.publish(&event).await;
    app.publish(&event).await;
    let alice = User {
        id,
        username: "alice".into(),
    };
    let profile = app.profile(&alice, None).await;
    assert_eq!(profile["username"], "alice", "stored lowercase");

    let edited = app
        .patch_me(&alice, json!({ "display_name": "Edited" }))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    // The same registration again, and once more under a new event id (as
    // if the inbox had been lost): the profile stays as edited.
    app.publish(&event).await;
    app.publish(&registered(&app.ctx.ids, id, "alice")).await;
    let profile = app.profile(&alice, None).await;
    assert_eq!(profile["display_name"], "Edited");

    // A registration reusing a taken username does not disturb its owner.
    app.publish(&registered(&app.ctx.ids, app.ctx.ids.next_id(), "alice"))
        .await;
    let owner = app.get("/api/v1/users/alice", None).await;
    assert_eq!(owner.json()["id"], alice.id());
}

fn post_event(app: &TestApp, kind: &str, author: &User) -> Envelope {
    Envelope::new(
        app.ctx.ids.next_id(),
        kind,
        Some(author.id),
        json!({
            "post_id": app.ctx.ids.next_id(),
            "author_id": author.id,
            "content": "hello",
            "visibility": "public",
            "repost_of": null,
        }),
    )
}

async fn posts_count(app: &TestApp, user: &User) -> i64 {
    app.profile(user, None).await["posts_count"]
        .as_i64()
        .expect("a count")
}

async fn posts_are_counted_once_each_and_never_below_zero(app: &TestApp) {
    let alice = app.register("alice").await;
    let first = post_event(app, "post.created", &alice);
    app.publish(&first).await;
    app.publish(&first).await;
    assert_eq!(posts_count(app, &alice).await, 1);
    app.publish(&post_event(app, "post.created", &alice)).await;
    assert_eq!(posts_count(app, &alice).await, 2);

    let deleted = post_event(app, "post.deleted", &alice);
    app.publish(&deleted).await;
    app.publish(&deleted).await;
    assert_eq!(posts_count(app, &alice).await, 1);
    for _ in 0..3 {
        app.publish(&post_event(app, "post.deleted", &alice)).await;
    }
    assert_eq!(posts_count(app, &alice).await, 0);

    // Posts of an account without a profile change nothing, and fail nothing.
    let stranger = User {
        id: Id(12),
        username: "stranger".into(),
    };
    app.publish(&post_event(app, "post.created", &stranger))
        .await;
    assert_eq!(posts_count(app, &alice).await, 0);
}
