//! Follows, follow requests, friendships and blocks.

use http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, card_ids, summary};
use crate::on_both;

on_both!(
    follows_group_until_read,
    a_private_account_hears_of_requests_and_the_follower_of_the_approval,
    a_friendship_is_told_once_each_way,
    a_block_takes_back_and_keeps_out_the_other_side,
);

async fn follows_group_until_read(app: &TestApp) {
    let me = app.register("me").await;
    let fans = [
        app.register("ana").await,
        app.register("bo").await,
        app.register("cy").await,
        app.register("dan").await,
    ];
    app.follow(&fans[0], &me).await;
    let first = app.notifications(&me).await;
    assert_eq!(summary(&first), [("follow".into(), fans[0].id())]);
    assert_eq!(first[0]["subject"], json!({"type": "user", "id": me.id()}));
    assert_eq!(first[0]["actor_count"], 1);
    assert_eq!(first[0]["actor"]["username"], fans[0].username.as_str());

    for fan in &fans[1..] {
        app.follow(fan, &me).await;
    }
    let grouped = app.notifications(&me).await;
    assert_eq!(grouped.len(), 1, "{grouped:?}");
    assert_eq!(grouped[0]["id"], first[0]["id"], "the same notification");
    assert_eq!(
        card_ids(&grouped[0]["actors"]),
        [fans[3].id(), fans[2].id(), fans[1].id()],
        "newest first, three kept"
    );
    assert_eq!(grouped[0]["actor_count"], 4);
    assert_eq!(grouped[0]["actor"]["id"], fans[3].id().as_str());
    assert!(grouped[0]["updated_at"].as_str() > grouped[0]["created_at"].as_str());
    assert_eq!(app.unread_count(&me).await, 1);

    let path = format!(
        "/api/v1/notifications/{}/read",
        first[0]["id"].as_str().expect("id")
    );
    assert_eq!(app.post(&path, &me).await.status, StatusCode::OK);
    // Unfollowing and following again after it was read: a new one starts.
    let unfollow = app
        .request(
            http::Method::DELETE,
            &format!("/api/v1/users/{}/follow", me.id),
            Some(&fans[0]),
            None,
        )
        .await;
    assert_eq!(
        unfollow.status,
        StatusCode::NO_CONTENT,
        "{}",
        unfollow.text()
    );
    app.follow(&fans[0], &me).await;
    let after_read = app.notifications(&me).await;
    assert_eq!(after_read.len(), 2);
    assert_eq!(after_read[0]["actor_count"], 1);
    assert_eq!(after_read[0]["actor"]["id"], fans[0].id().as_str());
    assert_eq!(after_read[0]["read_at"], serde_json::Value::Null);
    assert!(after_read[1]["read_at"].is_string());
}

async fn a_private_account_hears_of_requests_and_the_follower_of_the_approval(app: &TestApp) {
    let owner = app.register("owner").await;
    let ana = app.register("ana").await;
    let private = app
        .request(
            http::Method::PATCH,
            "/api/v1/users/me",
            Some(&owner),
            Some(json!({"is_private": true})),
        )
        .await;
    assert_eq!(private.status, StatusCode::OK, "{}", private.text());
    assert_eq!(app.follow(&ana, &owner).await, "requested");

    let requests = app
        .get("/api/v1/follow-requests", Some(&owner))
        .await
        .items();
    let request_id = requests[0]["id"].as_str().expect("id").to_string();
    let told = app.notifications(&owner).await;
    assert_eq!(summary(&told), [("follow_request".into(), ana.id())]);
    assert_eq!(
        told[0]["subject"],
        json!({"type": "follow_request", "id": request_id})
    );

    let approved = app
        .post(
            &format!("/api/v1/follow-requests/{request_id}/approve"),
            &owner,
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    let accepted = app.notifications(&ana).await;
    assert_eq!(summary(&accepted), [("follow_accepted".into(), owner.id())]);
    assert_eq!(
        accepted[0]["subject"],
        json!({"type": "user", "id": owner.id()})
    );
    assert_eq!(
        summary(&app.notifications(&owner).await),
        [("follow_request".into(), ana.id())],
        "the owner approved it: no follow notification besides the request"
    );
}

async fn a_friendship_is_told_once_each_way(app: &TestApp) {
    let ana = app.register("ana").await;
    let bo = app.register("bo").await;
    let sent = app
        .post(&format!("/api/v1/users/{}/friend-request", bo.id), &ana)
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text());
    let request = sent.json()["id"].as_str().expect("id").to_string();
    let asked = app.notifications(&bo).await;
    assert_eq!(summary(&asked), [("friend_request".into(), ana.id())]);
    assert_eq!(
        asked[0]["subject"],
        json!({"type": "friend_request", "id": request})
    );

    let accepted = app
        .post(&format!("/api/v1/friend-requests/{request}/accept"), &bo)
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
    // Accepting made each follow the other: the friendship says it all.
    assert_eq!(
        summary(&app.notifications(&ana).await),
        [("friend_accepted".into(), bo.id())]
    );
    assert_eq!(
        summary(&app.notifications(&bo).await),
        [("friend_request".into(), ana.id())]
    );
}

async fn a_block_takes_back_and_keeps_out_the_other_side(app: &TestApp) {
    let me = app.register("me").await;
    let pest = app.register("pest").await;
    let friend = app.register("friend").await;
    let post = app.new_id();
    app.react(&pest, post, &me).await;
    app.react(&friend, post, &me).await;
    app.follow(&pest, &me).await;
    app.post_mentioning(&pest, "public", &[&me]).await;
    app.post_mentioning(&me, "public", &[&pest]).await;
    assert_eq!(app.notifications(&me).await.len(), 3);
    assert_eq!(app.notifications(&pest).await.len(), 1);

    app.block(&me, &pest).await;
    let left = app.notifications(&me).await;
    assert_eq!(summary(&left), [("reaction".into(), friend.id())]);
    assert_eq!(left[0]["actor_count"], 1, "the pest is out of the group");
    assert_eq!(card_ids(&left[0]["actors"]), [friend.id()]);
    assert!(app.notifications(&pest).await.is_empty(), "both ways");

    // What either does now reaches the other no more.
    app.react(&pest, post, &me).await;
    app.post_mentioning(&pest, "public", &[&me]).await;
    app.post_mentioning(&me, "public", &[&pest]).await;
    assert_eq!(
        summary(&app.notifications(&me).await),
        [("reaction".into(), friend.id())]
    );
    assert!(app.notifications(&pest).await.is_empty());
}
