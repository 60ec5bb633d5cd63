//! The in-process `UsersApi`: the same rules as the routes, batched.

use chorus_core::Id;
use chorus_rpc::users::{FollowState, MAX_CARDS, Relation, UserCard};
use http::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, user_path};
use crate::on_both;

on_both!(
    the_in_process_api_answers_as_the_routes_do,
    a_card_scan_walks_every_account_once,
);

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

/// Every page of a `cards_after` scan, `limit` at a time; asserts each page
/// is in ascending id order and resumes after the last.
async fn scan(app: &TestApp, limit: usize) -> Vec<UserCard> {
    let api = app.service.api();
    let mut all: Vec<UserCard> = Vec::new();
    let mut after = None;
    loop {
        let page = api.cards_after(after, limit).await.expect("a page");
        assert!(page.len() <= limit, "at most {limit}");
        assert!(
            page.windows(2).all(|pair| pair[0].id < pair[1].id),
            "ascending within a page"
        );
        if let (Some(last), Some(first)) = (all.last(), page.first()) {
            assert!(last.id < first.id, "each page after the one before");
        }
        let done = page.len() < limit;
        after = page.last().map(|card| card.id).or(after);
        all.extend(page);
        if done {
            return all;
        }
    }
}

async fn a_card_scan_walks_every_account_once(app: &TestApp) {
    let api = app.service.api();
    let mut users = Vec::new();
    for name in ["zoe", "alice", "mallory", "bob", "dave"] {
        users.push(app.register(name).await);
    }
    // Neither privacy nor a block hides an account from a scan.
    app.patch_me(&users[2], json!({ "is_private": true })).await;
    app.post(&user_path(&users[0], "block"), &users[1]).await;
    let mut ids: Vec<Id> = users.iter().map(|user| user.id).collect();
    ids.sort();
    let mut expected = api.cards(&ids).await.expect("cards");
    expected.sort_by_key(|card| card.id);
    assert_eq!(expected.len(), users.len());

    for limit in [1, 2, 3, users.len(), MAX_CARDS] {
        let scanned = scan(app, limit).await;
        assert_eq!(
            scanned, expected,
            "limit {limit}: every account once, as cards has it"
        );
    }

    let from_the_middle = api.cards_after(Some(ids[1]), 2).await.expect("page");
    assert_eq!(from_the_middle, expected[2..4], "strictly after `after`");
    let past_the_end = api.cards_after(ids.last().copied(), 10).await;
    assert!(past_the_end.expect("page").is_empty());

    for limit in [0, MAX_CARDS + 1] {
        let error = api.cards_after(None, limit).await.expect_err("refused");
        assert_eq!(
            (error.status, error.code),
            (StatusCode::BAD_REQUEST, "validation_failed")
        );
        let details = error.details.expect("details").to_string();
        assert!(details.contains("limit"), "{details}");
    }
}
