//! Blocks: follows both ways end (counts follow), requests and friendship
//! go, each is hidden from the other, and following is refused.

use http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, User, user_path};
use crate::on_both;

on_both!(
    a_block_undoes_every_tie_and_hides_each_from_the_other,
    a_block_withdraws_pending_requests_and_lists_page,
);

async fn befriend(app: &TestApp, from: &User, to: &User) {
    let sent = app
        .post(&user_path(to, "friend-request"), from)
        .await
        .json();
    let accept = format!(
        "/api/v1/friend-requests/{}/accept",
        sent["id"].as_str().expect("id")
    );
    assert_eq!(app.post(&accept, to).await.status, StatusCode::OK);
}

async fn a_block_undoes_every_tie_and_hides_each_from_the_other(app: &TestApp) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    befriend(app, &alice, &bob).await;
    app.follow(&bob, &carol).await;
    for _ in 0..5 {
        app.next_event().await;
    }

    let blocked = app.post(&user_path(&bob, "block"), &alice).await;
    assert_eq!(blocked.status, StatusCode::NO_CONTENT, "{}", blocked.text());
    for (follower, followee) in [(&alice, &bob), (&bob, &alice)] {
        let payload = json!({ "follower_id": follower.id(), "followee_id": followee.id() });
        app.expect_event("user.unfollowed", &alice, payload).await;
    }
    app.expect_event(
        "friend.removed",
        &alice,
        json!({ "user_id": alice.id(), "friend_id": bob.id() }),
    )
    .await;
    app.expect_event(
        "user.blocked",
        &alice,
        json!({ "blocker_id": alice.id(), "blocked_id": bob.id() }),
    )
    .await;
    assert_eq!(app.counts(&alice).await, (0, 0));
    assert_eq!(app.counts(&bob).await, (0, 1), "bob still follows carol");

    // Hidden both ways; anonymous callers still see both.
    for (viewer, target) in [(&alice, &bob), (&bob, &alice)] {
        app.get(&format!("/api/v1/users/{}", target.id), Some(viewer))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        app.get(&format!("/api/v1/users/{}", target.username), Some(viewer))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        app.get(&user_path(target, "followers"), Some(viewer))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        app.post(&user_path(target, "friend-request"), viewer)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    app.profile(&bob, None).await;
    app.follow(&alice, &carol).await;
    // In a third account's list, each is left out for the other.
    let carols_followers = app.get(&user_path(&carol, "followers"), Some(&alice)).await;
    assert_eq!(carols_followers.ids(""), vec![alice.id()]);
    let carols_followers = app.get(&user_path(&carol, "followers"), None).await;
    assert_eq!(carols_followers.ids("").len(), 2);

    // Following: the blocked one is told nothing exists; the blocker to unblock first.
    app.post(&user_path(&alice, "follow"), &bob)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let refused = app.post(&user_path(&bob, "follow"), &alice).await;
    refused.assert_error(StatusCode::FORBIDDEN, "forbidden");
    assert!(refused.text().contains("unblock"), "{}", refused.text());

    let list = app.get("/api/v1/blocks", Some(&alice)).await.json();
    assert_eq!(
        list["items"],
        json!([{
            "id": bob.id(), "username": "bob", "display_name": "bob display", "avatar_url": null,
        }])
    );
    assert_eq!(
        app.next_event().await.kind,
        "user.followed",
        "alice follows carol"
    );

    // Blocking again says nothing; unblocking once says so once.
    assert_eq!(
        app.post(&user_path(&bob, "block"), &alice).await.status,
        StatusCode::NO_CONTENT
    );
    for _ in 0..2 {
        let lifted = app.delete(&user_path(&bob, "block"), &alice).await;
        assert_eq!(lifted.status, StatusCode::NO_CONTENT, "{}", lifted.text());
    }
    app.expect_event(
        "user.unblocked",
        &alice,
        json!({ "blocker_id": alice.id(), "blocked_id": bob.id() }),
    )
    .await;
    assert_eq!(app.follow(&alice, &bob).await, "following");
    assert_eq!(app.next_event().await.kind, "user.followed");
    assert_eq!(
        app.profile(&bob, Some(&alice)).await["relationship"]["following"],
        true
    );

    app.post(&user_path(&alice, "block"), &alice)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "validation_failed");
    app.post("/api/v1/users/77/block", &alice)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

async fn a_block_withdraws_pending_requests_and_lists_page(app: &TestApp) {
    let dave = app.register("dave").await;
    let alice = app.register("alice").await;
    app.patch_me(&dave, json!({ "is_private": true })).await;
    assert_eq!(app.follow(&alice, &dave).await, "requested");
    let sent = app.post(&user_path(&alice, "friend-request"), &dave).await;
    assert_eq!(sent.status, StatusCode::CREATED);

    assert_eq!(
        app.post(&user_path(&alice, "block"), &dave).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(
        app.get("/api/v1/follow-requests", Some(&dave))
            .await
            .ids("")
            .is_empty()
    );
    assert!(
        app.get("/api/v1/friend-requests", Some(&alice))
            .await
            .ids("")
            .is_empty()
    );
    assert!(
        app.get("/api/v1/friend-requests?direction=outgoing", Some(&dave))
            .await
            .ids("")
            .is_empty()
    );

    let mut blocked = vec![alice.id()];
    for name in ["eve", "fay", "gus"] {
        let user = app.register(name).await;
        app.post(&user_path(&user, "block"), &dave).await;
        blocked.push(user.id());
    }
    blocked.reverse();
    let first = app.get("/api/v1/blocks?limit=3", Some(&dave)).await.json();
    let cursor = first["next_cursor"].as_str().expect("more").to_string();
    let second = app
        .get(
            &format!("/api/v1/blocks?limit=3&cursor={cursor}"),
            Some(&dave),
        )
        .await;
    let mut all: Vec<String> = first["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect();
    all.extend(second.ids(""));
    assert_eq!(all, blocked);
    assert!(second.json()["next_cursor"].is_null());
}
