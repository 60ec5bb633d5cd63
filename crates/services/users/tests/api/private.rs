//! Private accounts: follows become requests the owner approves or rejects;
//! their lists are for themselves and their followers; going public approves
//! everyone waiting.

use http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, User, user_path};
use crate::on_both;

on_both!(
    a_private_account_approves_or_rejects_each_follower,
    going_public_approves_everyone_waiting,
);

async fn make_private(app: &TestApp, user: &User) {
    let response = app.patch_me(user, json!({ "is_private": true })).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(app.next_event().await.kind, "user.updated");
}

/// The pending requests to `user`: `(request id, follower id)`, newest first.
async fn requests_to(app: &TestApp, user: &User) -> Vec<(String, String)> {
    let list = app.get("/api/v1/follow-requests", Some(user)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    list.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            assert!(item["created_at"].is_string());
            assert!(item["follower"]["followers_count"].is_number(), "a profile");
            let id = item["id"].as_str().expect("id").to_string();
            (id, item["follower"]["id"].as_str().expect("id").to_string())
        })
        .collect()
}

async fn a_private_account_approves_or_rejects_each_follower(app: &TestApp) {
    let bob = app.register("bob").await;
    let alice = app.register("alice").await;
    let carol = app.register("carol").await;
    make_private(app, &bob).await;

    assert_eq!(app.follow(&alice, &bob).await, "requested");
    assert_eq!(app.follow(&alice, &bob).await, "requested");
    let requests = requests_to(app, &bob).await;
    assert_eq!(requests.len(), 1);
    let (request_id, follower) = requests[0].clone();
    assert_eq!(follower, alice.id());
    app.expect_event(
        "follow.requested",
        &alice,
        json!({ "request_id": request_id, "follower_id": alice.id(), "followee_id": bob.id() }),
    )
    .await;
    assert_eq!(app.counts(&bob).await, (0, 0));
    let seen = app.profile(&bob, Some(&alice)).await;
    assert_eq!(seen["relationship"]["follow_requested"], true);
    assert_eq!(seen["relationship"]["following"], false);

    // Its lists are closed to non-followers, anonymous or not; open to itself.
    for viewer in [None, Some(&alice)] {
        for list in ["followers", "following", "friends"] {
            app.get(&user_path(&bob, list), viewer)
                .await
                .assert_error(StatusCode::FORBIDDEN, "forbidden");
        }
    }
    assert_eq!(
        app.get(&user_path(&bob, "followers"), Some(&bob))
            .await
            .status,
        StatusCode::OK
    );

    // Only the addressee answers a request.
    let approve = format!("/api/v1/follow-requests/{request_id}/approve");
    let reject = format!("/api/v1/follow-requests/{request_id}/reject");
    for (path, caller) in [(&approve, &carol), (&approve, &alice), (&reject, &carol)] {
        app.post(path, caller)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    app.post("/api/v1/follow-requests/nope/approve", &bob)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");

    let approved = app.post(&approve, &bob).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    assert_eq!(approved.json(), json!({ "state": "following" }));
    app.expect_event(
        "user.followed",
        &bob,
        json!({ "follower_id": alice.id(), "followee_id": bob.id() }),
    )
    .await;
    assert_eq!(app.counts(&bob).await, (1, 0));
    assert_eq!(app.counts(&alice).await, (0, 1));
    app.post(&approve, &bob)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(requests_to(app, &bob).await.is_empty());
    let followers = app.get(&user_path(&bob, "followers"), Some(&alice)).await;
    assert_eq!(
        followers.ids(""),
        vec![alice.id()],
        "a follower sees the lists"
    );

    // Rejected: no follow, no request; asking again is a new request.
    assert_eq!(app.follow(&carol, &bob).await, "requested");
    assert_eq!(app.next_event().await.kind, "follow.requested");
    let (carols, _) = requests_to(app, &bob).await[0].clone();
    let rejected = app
        .post(&format!("/api/v1/follow-requests/{carols}/reject"), &bob)
        .await;
    assert_eq!(
        rejected.status,
        StatusCode::NO_CONTENT,
        "{}",
        rejected.text()
    );
    assert!(requests_to(app, &bob).await.is_empty());
    assert_eq!(
        app.profile(&bob, Some(&carol)).await["relationship"]["follow_requested"],
        false
    );
    assert_eq!(app.counts(&bob).await, (1, 0));

    // Unfollowing withdraws a pending request.
    assert_eq!(app.follow(&carol, &bob).await, "requested");
    let withdrawn = app.delete(&user_path(&bob, "follow"), &carol).await;
    assert_eq!(withdrawn.status, StatusCode::NO_CONTENT);
    assert!(requests_to(app, &bob).await.is_empty());
}

async fn going_public_approves_everyone_waiting(app: &TestApp) {
    let bob = app.register("bob").await;
    let frank = app.register("frank").await;
    let gina = app.register("gina").await;
    make_private(app, &bob).await;
    for fan in [&frank, &gina] {
        assert_eq!(app.follow(fan, &bob).await, "requested");
        assert_eq!(app.next_event().await.kind, "follow.requested");
    }

    let public = app.patch_me(&bob, json!({ "is_private": false })).await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.text());
    assert_eq!(public.json()["followers_count"], 2);
    assert_eq!(public.json()["is_private"], false);

    assert_eq!(app.next_event().await.kind, "user.updated");
    for fan in [&frank, &gina] {
        app.expect_event(
            "user.followed",
            &bob,
            json!({ "follower_id": fan.id(), "followee_id": bob.id() }),
        )
        .await;
        assert_eq!(app.counts(fan).await, (0, 1));
    }
    assert!(requests_to(app, &bob).await.is_empty());
    let fresh = app.register("hank").await;
    assert_eq!(app.follow(&fresh, &bob).await, "following");
}
