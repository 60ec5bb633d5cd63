//! Friend requests: send (idempotent), accept (both follow each other),
//! decline, cancel, auto-accept of a crossed request, unfriend.

use http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User, user_path};
use crate::on_both;

on_both!(
    a_friend_request_is_sent_once_and_accepted_into_mutual_follows,
    requests_can_be_declined_cancelled_or_crossed,
    unfriending_ends_both_follows,
);

fn card(user: &User) -> Value {
    json!({
        "id": user.id(),
        "username": user.username,
        "display_name": format!("{} display", user.username),
        "avatar_url": null,
    })
}

/// `from` asks `to`; the answer, which must have `status`.
async fn ask(app: &TestApp, from: &User, to: &User, status: StatusCode) -> Value {
    let response = app.post(&user_path(to, "friend-request"), from).await;
    assert_eq!(response.status, status, "{}", response.text());
    response.json()
}

async fn a_friend_request_is_sent_once_and_accepted_into_mutual_follows(app: &TestApp) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;

    let sent = ask(app, &alice, &bob, StatusCode::CREATED).await;
    let request_id = sent["id"].as_str().expect("id").to_string();
    assert_eq!(sent["from"], card(&alice));
    assert_eq!(sent["to"], card(&bob));
    assert_eq!(sent["status"], "pending");
    assert!(sent["created_at"].is_string());
    app.expect_event(
        "friend.requested",
        &alice,
        json!({ "request_id": request_id, "from_id": alice.id(), "to_id": bob.id() }),
    )
    .await;
    let again = ask(app, &alice, &bob, StatusCode::OK).await;
    assert_eq!(again, sent, "the same pending request");

    let incoming = app.get("/api/v1/friend-requests", Some(&bob)).await;
    assert_eq!(incoming.ids(""), vec![request_id.clone()]);
    let outgoing = app
        .get("/api/v1/friend-requests?direction=outgoing", Some(&alice))
        .await;
    assert_eq!(outgoing.ids(""), vec![request_id.clone()]);
    let none = app.get("/api/v1/friend-requests", Some(&alice)).await;
    assert!(none.ids("").is_empty());
    app.get("/api/v1/friend-requests?direction=sideways", Some(&alice))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "validation_failed");
    let relationship = &app.profile(&bob, Some(&alice)).await["relationship"];
    assert_eq!(relationship["friend_request"], "sent");
    let relationship = &app.profile(&alice, Some(&bob)).await["relationship"];
    assert_eq!(relationship["friend_request"], "received");

    let accept = format!("/api/v1/friend-requests/{request_id}/accept");
    for outsider in [&carol, &alice] {
        app.post(&accept, outsider)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    let accepted = app.post(&accept, &bob).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
    assert_eq!(accepted.json()["status"], "accepted");
    assert_eq!(accepted.json()["id"], request_id);
    for (follower, followee) in [(&alice, &bob), (&bob, &alice)] {
        let payload = json!({ "follower_id": follower.id(), "followee_id": followee.id() });
        app.expect_event("user.followed", &bob, payload).await;
    }
    app.expect_event(
        "friend.accepted",
        &bob,
        json!({ "request_id": request_id, "from_id": alice.id(), "to_id": bob.id() }),
    )
    .await;
    assert_eq!(app.counts(&alice).await, (1, 1));
    assert_eq!(app.counts(&bob).await, (1, 1));
    let relationship = &app.profile(&bob, Some(&alice)).await["relationship"];
    assert_eq!(relationship["friends"], true);
    assert_eq!(relationship["following"], true);
    assert_eq!(relationship["followed_by"], true);
    assert_eq!(relationship["friend_request"], Value::Null);
    let friends = app.get(&user_path(&alice, "friends"), None).await;
    assert_eq!(friends.ids(""), vec![bob.id()]);

    app.post(&accept, &bob)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let conflict = app.post(&user_path(&bob, "friend-request"), &alice).await;
    conflict.assert_error(StatusCode::CONFLICT, "conflict");
    app.post(&user_path(&alice, "friend-request"), &alice)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "validation_failed");
    app.post("/api/v1/users/42/friend-request", &alice)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

async fn requests_can_be_declined_cancelled_or_crossed(app: &TestApp) {
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    let erin = app.register("erin").await;

    let declined = ask(app, &carol, &dave, StatusCode::CREATED).await;
    let decline = format!(
        "/api/v1/friend-requests/{}/decline",
        declined["id"].as_str().expect("id")
    );
    app.post(&decline, &carol)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        app.post(&decline, &dave).await.status,
        StatusCode::NO_CONTENT
    );
    app.post(&decline, &dave)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert!(
        app.get("/api/v1/friend-requests", Some(&dave))
            .await
            .ids("")
            .is_empty()
    );

    let cancelled = ask(app, &carol, &erin, StatusCode::CREATED).await;
    let cancel = format!(
        "/api/v1/friend-requests/{}",
        cancelled["id"].as_str().expect("id")
    );
    app.delete(&cancel, &erin)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        app.delete(&cancel, &carol).await.status,
        StatusCode::NO_CONTENT
    );
    assert!(
        app.get("/api/v1/friend-requests", Some(&erin))
            .await
            .ids("")
            .is_empty()
    );

    // Erin, private, asked Dave; Dave asking back accepts hers.
    app.patch_me(&erin, json!({ "is_private": true })).await;
    let hers = ask(app, &erin, &dave, StatusCode::CREATED).await;
    let crossed = ask(app, &dave, &erin, StatusCode::OK).await;
    assert_eq!(crossed["id"], hers["id"]);
    assert_eq!(crossed["status"], "accepted");
    assert_eq!(crossed["from"], card(&erin));
    assert_eq!(
        app.counts(&erin).await,
        (1, 1),
        "friends follow each other, private or not"
    );
    assert_eq!(app.counts(&dave).await, (1, 1));
    assert!(
        app.get("/api/v1/friend-requests", Some(&dave))
            .await
            .ids("")
            .is_empty()
    );
}

async fn unfriending_ends_both_follows(app: &TestApp) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let sent = ask(app, &alice, &bob, StatusCode::CREATED).await;
    let accept = format!(
        "/api/v1/friend-requests/{}/accept",
        sent["id"].as_str().expect("id")
    );
    assert_eq!(app.post(&accept, &bob).await.status, StatusCode::OK);
    for _ in 0..4 {
        app.next_event().await;
    }

    for _ in 0..2 {
        let response = app.delete(&user_path(&bob, "friend"), &alice).await;
        assert_eq!(
            response.status,
            StatusCode::NO_CONTENT,
            "{}",
            response.text()
        );
    }
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
    assert_eq!(app.counts(&alice).await, (0, 0));
    assert_eq!(app.counts(&bob).await, (0, 0));
    assert!(
        app.get(&user_path(&bob, "friends"), None)
            .await
            .ids("")
            .is_empty()
    );
    // The second unfriend said nothing: the next event is this request.
    ask(app, &bob, &alice, StatusCode::CREATED).await;
    assert_eq!(app.next_event().await.kind, "friend.requested");
    app.delete(&user_path(&alice, "friend"), &alice)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "validation_failed");
}
