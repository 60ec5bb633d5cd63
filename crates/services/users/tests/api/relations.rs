//! `UsersApi::relations_among`: follows, friendships and blocks for many
//! `(viewer, target)` pairs at once, whatever the viewers.

use std::collections::HashMap;

use chorus_core::Id;
use chorus_rpc::users::Relation;
use http::StatusCode;

use crate::helpers::{TestApp, User, user_path};
use crate::on_both;

on_both!(
    relations_among_answers_each_pair_its_own_way,
    relations_among_takes_duplicates_and_many_statements,
);

/// `from` asks `to` to be friends and `to` accepts: both follow each other.
async fn befriend(app: &TestApp, from: &User, to: &User) {
    let sent = app.post(&user_path(to, "friend-request"), from).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text());
    let id = sent.json()["id"].as_str().expect("id").to_string();
    let accepted = app
        .post(&format!("/api/v1/friend-requests/{id}/accept"), to)
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.text());
}

const FOLLOWING: Relation = Relation {
    following: true,
    blocked: false,
    friends: false,
};
const FRIENDS: Relation = Relation {
    following: false,
    blocked: false,
    friends: true,
};
const BLOCKED: Relation = Relation {
    following: false,
    blocked: true,
    friends: false,
};

async fn relations_among_answers_each_pair_its_own_way(app: &TestApp) {
    let api = app.service.api();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    let dave = app.register("dave").await;
    let erin = app.register("erin").await;
    let frank = app.register("frank").await;
    // Alice follows Bob, not the other way.
    app.follow(&alice, &bob).await;
    // Carol and Dave are friends (stored once, Carol's smaller id first);
    // Carol then stops following Dave: friends without a follow that way.
    befriend(app, &carol, &dave).await;
    api.unfollow(carol.id, dave.id).await.expect("unfollows");
    // Erin blocks Alice: hidden both ways.
    app.post(&user_path(&alice, "block"), &erin).await;
    // Frank has nothing to do with anyone; id 5 names no account.

    let pairs = [
        (alice.id, bob.id),
        (bob.id, alice.id),
        (carol.id, dave.id),
        (dave.id, carol.id),
        (alice.id, erin.id),
        (erin.id, alice.id),
        (alice.id, frank.id),
        (frank.id, alice.id),
        (alice.id, Id(5)),
    ];
    let among = api.relations_among(&pairs).await.expect("relations");
    let expected = HashMap::from([
        ((alice.id, bob.id), FOLLOWING),
        ((carol.id, dave.id), FRIENDS),
        (
            (dave.id, carol.id),
            Relation {
                following: true,
                ..FRIENDS
            },
        ),
        ((alice.id, erin.id), BLOCKED),
        ((erin.id, alice.id), BLOCKED),
    ]);
    assert_eq!(among, expected, "unrelated and missing pairs are absent");

    // The same, pair by pair, as one `relations` call per viewer answers it.
    let mut one_viewer_at_a_time = HashMap::new();
    for &(viewer, target) in &pairs {
        let relations = api.relations(viewer, &[target]).await.expect("relations");
        if let Some(relation) = relations.get(&target) {
            one_viewer_at_a_time.insert((viewer, target), *relation);
        }
    }
    assert_eq!(among, one_viewer_at_a_time);

    assert!(api.relations_among(&[]).await.expect("none").is_empty());
}

async fn relations_among_takes_duplicates_and_many_statements(app: &TestApp) {
    let api = app.service.api();
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let carol = app.register("carol").await;
    app.follow(&alice, &bob).await;
    app.follow(&carol, &alice).await;
    befriend(app, &bob, &carol).await;

    let related = [(alice.id, bob.id), (carol.id, alice.id), (bob.id, carol.id)];
    let twice: Vec<(Id, Id)> = related.iter().chain(&related).copied().collect();
    let among = api.relations_among(&twice).await.expect("relations");
    assert_eq!(among.len(), 3, "one entry per distinct pair");
    assert_eq!(among[&(alice.id, bob.id)], FOLLOWING);
    assert_eq!(among[&(carol.id, alice.id)], FOLLOWING);
    let friends = Relation {
        following: true,
        ..FRIENDS
    };
    assert_eq!(among[&(bob.id, carol.id)], friends);

    // Far more pairs than one statement takes (and viewers without an
    // account): the related ones come out the same, in whichever statement.
    let mut many: Vec<(Id, Id)> = (1..=1_200)
        .flat_map(|n| [(alice.id, Id(n)), (Id(n), carol.id)])
        .collect();
    many.extend(related);
    many.extend((1_201..=1_300).map(|n| (Id(n), Id(n + 1))));
    let among_many = api.relations_among(&many).await.expect("relations");
    assert_eq!(among_many, among);
}
