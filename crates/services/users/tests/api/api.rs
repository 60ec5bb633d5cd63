//! The in-process `UsersApi`: the same rules as the routes, batched.

use chorus_core::Id;
use chorus_rpc::users::{FollowState, Relation};
use http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, user_path};
use crate::on_both;

on_both!(the_in_process_api_answers_as_the_routes_do);

async fn the_in_process_api_answers_as_the_routes_do(app: &TestApp) {
    let api = app.service.api();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    let missing = Id(5);

    // follow/unfollow through the API is the route's use case: counted, announced.
    assert_eq!(
        api.follow(alice.id, bob.id).await.expect("follows"),
        FollowState::Following
    );
    assert_eq!(app.counts(&bob).await, (1, 0));
    app.expect_event(
        "user.followed",
        &alice,
        json!({ "follower_id": alice.id(), "followee_id": bob.id() }),
    )
    .await;
    let refused = api.follow(alice.id, alice.id).await.expect_err("self");
    assert_eq!(
        (refused.status, refused.code),
        (StatusCode::BAD_REQUEST, "validation_failed")
    );
    let refused = api.follow(alice.id, missing).await.expect_err("missing");
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
    app.patch_me(&dave, json!({ "is_private": true })).await;
    assert_eq!(
        api.follow(alice.id, dave.id).await.expect("asks"),
        FollowState::Requested
    );
    app.post(&user_path(&alice, "block"), &carol).await;

    let mut cards = api
        .cards(&[bob.id, missing, alice.id, bob.id])
        .await
        .expect("cards");
    cards.sort_by_key(|c| c.username.clone());
    let names: Vec<&str> = cards.iter().map(|c| c.username.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(cards[0].display_name, "alice display");
    assert_eq!(cards[0].avatar_url, None);

    let relations = api
        .relations(alice.id, &[bob.id, carol.id, dave.id, missing])
        .await
        .expect("relations");
    assert_eq!(
        relations.get(&bob.id),
        Some(&Relation {
            following: true,
            blocked: false,
            friends: false,
        })
    );
    assert_eq!(
        relations.get(&carol.id),
        Some(&Relation {
            following: false,
            blocked: true,
            friends: false,
        })
    );
    assert_eq!(relations.get(&dave.id), None, "a request is not a follow");
    let from_carol = api
        .relations(carol.id, &[alice.id])
        .await
        .expect("relations");
    assert!(from_carol[&alice.id].blocked, "a block hides both ways");

    let mut found = api
        .find_by_usernames(&["BOB".into(), "carol".into(), "nobody".into(), "bob".into()])
        .await
        .expect("found");
    found.sort_by_key(|c| c.username.clone());
    let ids: Vec<Id> = found.iter().map(|c| c.id).collect();
    assert_eq!(ids, [bob.id, carol.id]);

    let profiles = api
        .profiles(Some(alice.id), &[dave.id, carol.id, missing, bob.id])
        .await
        .expect("profiles");
    let ids: Vec<Id> = profiles.iter().map(|p| p.id).collect();
    assert_eq!(
        ids,
        [dave.id, bob.id],
        "in the asked order, hidden and missing left out"
    );
    let relationship = profiles[0].relationship.expect("a viewer's relationship");
    assert!(relationship.follow_requested);
    let anonymous = api.profiles(None, &[carol.id]).await.expect("profiles");
    assert_eq!(anonymous.len(), 1);
    assert_eq!(anonymous[0].relationship, None);

    let profile = api.profile(Some(bob.id), "ALICE").await.expect("profile");
    assert_eq!(profile.id, alice.id);
    assert!(profile.relationship.expect("relationship").followed_by);
    let hidden = api
        .profile(Some(carol.id), "alice")
        .await
        .expect_err("hidden");
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);

    api.unfollow(alice.id, bob.id).await.expect("unfollows");
    api.unfollow(alice.id, bob.id).await.expect("again");
    assert_eq!(app.counts(&bob).await, (0, 0));
    assert!(api.cards(&[]).await.expect("nothing").is_empty());
}
