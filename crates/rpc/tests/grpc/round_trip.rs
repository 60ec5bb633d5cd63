//! Every method answers over gRPC exactly what the implementation answers in
//! process: same values, same optional fields, same empty batches.

use std::collections::HashMap;

use chorus_core::Id;
use chorus_rpc::UsersApi;
use chorus_rpc::users::{FollowState, MAX_CARDS, Relation};
use http::StatusCode;

use crate::fake::{ALICE, BOB, CAROL, FakeUsers, MISSING};
use crate::helpers::connected;

const VIEWER: Id = Id(99);

fn sorted<T: Clone, K: Ord>(items: &[T], key: impl Fn(&T) -> K) -> Vec<T> {
    let mut items = items.to_vec();
    items.sort_by_key(key);
    items
}

#[tokio::test]
async fn cards_round_trip_exactly() {
    let (_, remote) = connected().await;
    let local = FakeUsers::default();
    let ids = [ALICE, BOB, CAROL, MISSING];
    let over_grpc = remote.cards(&ids).await.expect("cards over grpc");
    let in_process = local.cards(&ids).await.expect("cards in process");
    assert_eq!(over_grpc.len(), 3);
    assert_eq!(over_grpc, in_process);
    assert_eq!(
        over_grpc[0].avatar_url.as_deref(),
        Some("https://cdn.example/a.png")
    );
    assert_eq!(over_grpc[1].avatar_url, None);
    assert_eq!(
        over_grpc[2].avatar_url.as_deref(),
        Some(""),
        "empty is not absent"
    );
}

#[tokio::test]
async fn a_cards_scan_round_trips_in_id_order_from_after() {
    let (users, remote) = connected().await;
    let everything = remote.cards_after(None, MAX_CARDS).await.expect("all");
    let local = FakeUsers::default();
    let in_process = local.cards_after(None, MAX_CARDS).await.expect("local");
    assert_eq!(everything, in_process);
    let ids: Vec<Id> = everything.iter().map(|card| card.id).collect();
    assert_eq!(ids, [BOB, ALICE, CAROL], "ascending ids");
    assert_eq!(
        everything[1].avatar_url.as_deref(),
        Some("https://cdn.example/a.png")
    );
    assert_eq!(everything[0].avatar_url, None);
    assert_eq!(
        everything[2].avatar_url.as_deref(),
        Some(""),
        "empty is not absent"
    );

    let first_page = remote.cards_after(None, 2).await.expect("first page");
    assert_eq!(first_page, everything[..2], "the limit holds");
    let rest = remote.cards_after(Some(ALICE), 2).await.expect("rest");
    assert_eq!(rest, everything[2..], "strictly after `after`");
    let between = remote.cards_after(Some(Id(3)), 1).await.expect("page");
    assert_eq!(between, everything[1..2], "`after` need not be an account");
    let none = remote.cards_after(Some(CAROL), 10).await.expect("none");
    assert_eq!(none, []);
    assert_eq!(users.calls(), 5, "each call reached the implementation");
}

#[tokio::test]
async fn a_cards_scan_limit_of_none_or_past_the_maximum_is_refused() {
    let (_, remote) = connected().await;
    for limit in [0, MAX_CARDS + 1, usize::MAX] {
        let expected = FakeUsers::default()
            .cards_after(None, limit.min(MAX_CARDS + 1))
            .await
            .expect_err("in process");
        let error = remote.cards_after(None, limit).await.expect_err("refused");
        assert_eq!(error.status, StatusCode::BAD_REQUEST, "limit {limit}");
        assert_eq!(error.code, "validation_failed");
        assert_eq!(error.message, expected.message);
        assert_eq!(error.details, expected.details);
    }
}

#[tokio::test]
async fn relations_round_trip_exactly_including_empty_entries() {
    let (_, remote) = connected().await;
    let targets = [ALICE, BOB, CAROL];
    let over_grpc = remote.relations(VIEWER, &targets).await.expect("relations");
    let expected = FakeUsers::default()
        .relations(VIEWER, &targets)
        .await
        .expect("relations in process");
    assert_eq!(over_grpc, expected);
    assert_eq!(over_grpc.get(&BOB), Some(&Relation::default()));
    assert!(over_grpc[&CAROL].blocked && over_grpc[&ALICE].following);
    assert!(over_grpc[&ALICE].friends && !over_grpc[&CAROL].friends);
}

#[tokio::test]
async fn relations_among_round_trip_exactly_per_pair() {
    let (_, remote) = connected().await;
    let pairs = [
        (BOB, ALICE),
        (ALICE, BOB),
        (VIEWER, CAROL),
        (ALICE, CAROL),
        (VIEWER, BOB),
        (VIEWER, MISSING),
    ];
    let over_grpc = remote.relations_among(&pairs).await.expect("relations");
    let expected = FakeUsers::default()
        .relations_among(&pairs)
        .await
        .expect("relations in process");
    assert_eq!(over_grpc, expected);
    assert_eq!(
        over_grpc.len(),
        5,
        "only the pair without a relation is absent"
    );
    let bob_alice = over_grpc[&(BOB, ALICE)];
    assert!(bob_alice.following && bob_alice.friends && !bob_alice.blocked);
    let alice_bob = over_grpc[&(ALICE, BOB)];
    assert!(
        alice_bob.friends && !alice_bob.following,
        "viewer and target kept apart"
    );
    assert!(over_grpc[&(VIEWER, CAROL)].blocked && over_grpc[&(ALICE, CAROL)].blocked);
    assert_eq!(over_grpc.get(&(VIEWER, BOB)), Some(&Relation::default()));
    assert_eq!(over_grpc.get(&(VIEWER, MISSING)), None);
}

#[tokio::test]
async fn find_by_usernames_round_trips_exactly() {
    let (_, remote) = connected().await;
    let names = ["ALICE".to_string(), "carol_99".into(), "nobody".into()];
    let over_grpc = remote.find_by_usernames(&names).await.expect("find");
    let expected = FakeUsers::default()
        .find_by_usernames(&names)
        .await
        .expect("find in process");
    assert_eq!(over_grpc, expected);
    let ids: Vec<Id> = over_grpc.iter().map(|c| c.id).collect();
    assert_eq!(ids, [ALICE, CAROL]);
}

#[tokio::test]
async fn profiles_round_trip_with_and_without_a_viewer() {
    let (_, remote) = connected().await;
    let local = FakeUsers::default();
    let ids = [CAROL, BOB, ALICE, MISSING];
    for viewer in [None, Some(VIEWER)] {
        let over_grpc = remote.profiles(viewer, &ids).await.expect("profiles");
        let expected = local.profiles(viewer, &ids).await.expect("in process");
        assert_eq!(
            sorted(&over_grpc, |p| p.id),
            sorted(&expected, |p| p.id),
            "viewer {viewer:?}"
        );
        assert_eq!(over_grpc.len(), 3);
        for profile in &over_grpc {
            assert_eq!(profile.relationship.is_some(), viewer.is_some());
        }
    }
}

#[tokio::test]
async fn one_profile_round_trips_by_id_and_by_username() {
    let (_, remote) = connected().await;
    let local = FakeUsers::default();
    for (viewer, key) in [
        (None, "alice".to_string()),
        (Some(VIEWER), ALICE.to_string()),
        (Some(VIEWER), "bob".to_string()),
        (Some(VIEWER), CAROL.to_string()),
    ] {
        let over_grpc = remote.profile(viewer, &key).await.expect("profile");
        let expected = local.profile(viewer, &key).await.expect("in process");
        assert_eq!(over_grpc, expected, "{viewer:?} {key}");
        // Microsecond timestamps, relationship presence: all preserved.
        assert_eq!(over_grpc.created_at, expected.created_at);
        assert_eq!(over_grpc.relationship, expected.relationship);
    }
}

#[tokio::test]
async fn follow_and_unfollow_round_trip() {
    let (_, remote) = connected().await;
    assert_eq!(
        remote.follow(VIEWER, ALICE).await.expect("follow public"),
        FollowState::Following
    );
    assert_eq!(
        remote.follow(VIEWER, BOB).await.expect("follow private"),
        FollowState::Requested
    );
    remote.unfollow(VIEWER, ALICE).await.expect("unfollow");
}

#[tokio::test]
async fn empty_batches_cross_the_wire_and_come_back_empty() {
    let (users, remote) = connected().await;
    assert_eq!(remote.cards(&[]).await.expect("cards"), []);
    assert_eq!(
        remote.relations(VIEWER, &[]).await.expect("relations"),
        HashMap::new()
    );
    assert_eq!(
        remote.relations_among(&[]).await.expect("relations among"),
        HashMap::new()
    );
    assert_eq!(remote.find_by_usernames(&[]).await.expect("find"), []);
    assert_eq!(remote.profiles(None, &[]).await.expect("profiles"), []);
    assert_eq!(
        remote.profiles(Some(VIEWER), &[]).await.expect("profiles"),
        []
    );
    assert_eq!(users.calls(), 6, "each call reached the implementation");
}
