//! `POST|DELETE /api/v1/users/{id}/follow`: idempotent, counted, announced.

use http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, user_path};
use crate::on_both;

on_both!(
    following_is_idempotent_counted_and_announced_once,
    follows_that_make_no_sense_are_refused,
);

async fn following_is_idempotent_counted_and_announced_once(app: &TestApp) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let followed = json!({ "follower_id": alice.id(), "followee_id": bob.id() });

    assert_eq!(app.follow(&alice, &bob).await, "following");
    assert_eq!(app.follow(&alice, &bob).await, "following");
    assert_eq!(app.counts(&bob).await, (1, 0));
    assert_eq!(app.counts(&alice).await, (0, 1));
    app.expect_event("user.followed", &alice, followed.clone())
        .await;

    let seen_by_alice = app.profile(&bob, Some(&alice)).await;
    assert_eq!(seen_by_alice["relationship"]["following"], true);
    assert_eq!(seen_by_alice["relationship"]["followed_by"], false);
    let seen_by_bob = app.profile(&alice, Some(&bob)).await;
    assert_eq!(seen_by_bob["relationship"]["followed_by"], true);

    for _ in 0..2 {
        let unfollowed = app.delete(&user_path(&bob, "follow"), &alice).await;
        assert_eq!(
            unfollowed.status,
            StatusCode::NO_CONTENT,
            "{}",
            unfollowed.text()
        );
    }
    assert_eq!(app.counts(&bob).await, (0, 0));
    assert_eq!(app.counts(&alice).await, (0, 0));
    app.expect_event("user.unfollowed", &alice, followed.clone())
        .await;
    // The repeated unfollow said nothing: the next event is the next follow.
    assert_eq!(app.follow(&alice, &bob).await, "following");
    app.expect_event("user.followed", &alice, followed).await;
    assert_eq!(app.counts(&bob).await, (1, 0));
}

async fn follows_that_make_no_sense_are_refused(app: &TestApp) {
    let alice = app.register("alice").await;

    let myself = app.post(&user_path(&alice, "follow"), &alice).await;
    myself.assert_error(StatusCode::BAD_REQUEST, "validation_failed");
    app.delete(&user_path(&alice, "follow"), &alice)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "validation_failed");
    for missing in ["1", "abc", "99999999999999999999", "-5"] {
        let path = format!("/api/v1/users/{missing}/follow");
        app.post(&path, &alice)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        app.delete(&path, &alice)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    let anonymous = app
        .request(http::Method::POST, &user_path(&alice, "follow"), None, None)
        .await;
    anonymous.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    // A signed identity header that is forged is refused, not taken as anonymous.
    let forged = http::Request::get(format!("/api/v1/users/{}", alice.id))
        .header("x-chorus-identity", "v1.1.1.9999999999.AAAA")
        .body(axum::body::Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), forged)
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.counts(&alice).await, (0, 0));
}
