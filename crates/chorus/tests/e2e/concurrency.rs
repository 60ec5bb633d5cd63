//! Counters stay exact under contention: 200 distinct users like one post and
//! follow one account all at once. The users are shared by both checks, as
//! signing up (argon2) is what costs time here.

use std::time::Instant;

use futures::future::join_all;
use reqwest::StatusCode;

use crate::client::Api;
use crate::harness::Chorus;
use crate::social::{User, id_of, items};

crate::in_both_modes!(
    two_hundred_parallel_likes_and_follows_are_counted_exactly,
    racing_repeats_of_one_like_or_follow_count_once,
    crossing_friend_requests_and_repeated_approvals_settle_once,
);

const CROWD: usize = 200;

async fn two_hundred_parallel_likes_and_follows_are_counted_exactly(app: &Chorus) {
    let api = Api::new(&app.base);
    let star = api.user("star").await;
    let post = id_of(&api.new_post(&star, "like me", "public").await);
    let started = Instant::now();
    let crowd = api.users("crowd", CROWD).await;
    eprintln!(
        "{:?}: {CROWD} sign-ups took {:?}",
        app.mode,
        started.elapsed()
    );

    let likes = join_all(crowd.iter().map(|user| api.react(user, &post, "like"))).await;
    for answer in &likes {
        assert_eq!(answer.status, StatusCode::OK, "a like: {}", answer.body);
    }
    let seen = api.get_post(&post, None).await;
    assert_eq!(
        seen.body["reaction_counts"]["like"], CROWD,
        "every like counted once: {}",
        seen.body
    );

    let follows = join_all(crowd.iter().map(|user| api.follow(user, &star.id))).await;
    for answer in &follows {
        assert_eq!(answer.status, StatusCode::OK, "a follow: {}", answer.body);
        assert_eq!(answer.body["state"], "following");
    }
    let profile = api.profile_of(&star.id, None).await;
    assert_eq!(
        profile["followers_count"], CROWD,
        "every follow counted once: {profile}"
    );
    let all = api
        .pages(
            &format!("/api/v1/users/{}/followers", star.id),
            None,
            100,
            id_of,
        )
        .await;
    assert_eq!(all.concat().len(), CROWD, "every follower listed once");
    eprintln!(
        "{:?}: the whole check took {:?}",
        app.mode,
        started.elapsed()
    );
}

/// The same like, follow or unfollow sent many times at once by one user: it
/// happens once, and no request fails on the race.
async fn racing_repeats_of_one_like_or_follow_count_once(app: &Chorus) {
    let api = Api::new(&app.base);
    let star = api.user("rep").await;
    let fan = api.user("rep").await;
    let post = id_of(&api.new_post(&star, "again and again", "public").await);

    let likes = join_all((0..20).map(|_| api.react(&fan, &post, "like"))).await;
    for answer in &likes {
        assert_eq!(answer.status, StatusCode::OK, "a like: {}", answer.body);
    }
    let seen = api.get_post(&post, None).await;
    assert_eq!(seen.body["reaction_counts"]["like"], 1, "{}", seen.body);

    let follows = join_all((0..20).map(|_| api.follow(&fan, &star.id))).await;
    for answer in &follows {
        assert_eq!(answer.status, StatusCode::OK, "a follow: {}", answer.body);
    }
    assert_eq!(api.profile_of(&star.id, None).await["followers_count"], 1);
    assert_eq!(api.profile_of(&fan.id, None).await["following_count"], 1);

    let unfollows = join_all((0..20).map(|_| api.unfollow(&fan, &star.id))).await;
    for answer in &unfollows {
        assert_eq!(
            answer.status,
            StatusCode::NO_CONTENT,
            "an unfollow: {}",
            answer.body
        );
    }
    assert_eq!(api.profile_of(&star.id, None).await["followers_count"], 0);
    assert_eq!(api.profile_of(&fan.id, None).await["following_count"], 0);

    let unlikes = join_all((0..20).map(|_| api.unreact(&fan, &post, "like"))).await;
    for answer in &unlikes {
        assert_eq!(answer.status, StatusCode::OK, "an unlike: {}", answer.body);
    }
    assert_eq!(
        api.get_post(&post, None).await.body["reaction_counts"],
        serde_json::json!({})
    );
}

async fn assert_counts(api: &Api, user: &User, followers: i64, following: i64) {
    let profile = api.profile_of(&user.id, None).await;
    assert_eq!(profile["followers_count"], followers, "{profile}");
    assert_eq!(profile["following_count"], following, "{profile}");
}

/// Two people asking each other at the same moment become friends (each
/// request sees the other, whichever commits first); an approval or an
/// acceptance sent many times at once takes effect once.
async fn crossing_friend_requests_and_repeated_approvals_settle_once(app: &Chorus) {
    let api = Api::new(&app.base);
    let users = api.users("cross", 8).await;
    for pair in users[..6].chunks(2) {
        let (ana, bo) = (&pair[0], &pair[1]);
        let (one, other) = tokio::join!(
            api.friend_request(ana, &bo.id),
            api.friend_request(bo, &ana.id)
        );
        for answer in [&one, &other] {
            assert!(
                answer.status == StatusCode::OK || answer.status == StatusCode::CREATED,
                "{} {}",
                answer.status,
                answer.body
            );
        }
        let friends = items(
            &api.get(&format!("/api/v1/users/{}/friends", ana.id), ana.token())
                .await,
        );
        assert_eq!(
            friends.len(),
            1,
            "crossing requests befriend: {} / {}",
            one.body,
            other.body
        );
        for user in [ana, bo] {
            let pending = items(&api.get("/api/v1/friend-requests", user.token()).await);
            assert!(pending.is_empty(), "{pending:?}");
            assert_counts(&api, user, 1, 1).await;
        }
    }

    let (owner, fan) = (&users[6], &users[7]);
    let empty = serde_json::json!({});
    let request = api.friend_request(fan, &owner.id).await;
    let accept = format!("/api/v1/friend-requests/{}/accept", id_of(&request.body));
    let accepts = join_all((0..10).map(|_| api.post(&accept, owner.token(), &empty))).await;
    let accepted = accepts
        .iter()
        .filter(|a| a.status == StatusCode::OK)
        .count();
    assert!(accepted >= 1, "one acceptance at least");
    for answer in &accepts {
        assert!(
            answer.status.is_success() || answer.status == StatusCode::NOT_FOUND,
            "{} {}",
            answer.status,
            answer.body
        );
    }
    assert_counts(&api, owner, 1, 1).await;
    assert_counts(&api, fan, 1, 1).await;

    let unfriend = api
        .delete(&format!("/api/v1/users/{}/friend", fan.id), owner.token())
        .await;
    assert_eq!(unfriend.status, StatusCode::NO_CONTENT);
    let private = api
        .update_me(owner, &serde_json::json!({ "is_private": true }))
        .await;
    assert_eq!(private.status, StatusCode::OK);
    api.follows(fan, owner, "requested").await;
    let listed = items(&api.get("/api/v1/follow-requests", owner.token()).await);
    let approve = format!("/api/v1/follow-requests/{}/approve", id_of(&listed[0]));
    let approvals = join_all((0..10).map(|_| api.post(&approve, owner.token(), &empty))).await;
    for answer in &approvals {
        assert!(
            answer.status == StatusCode::OK || answer.status == StatusCode::NOT_FOUND,
            "{} {}",
            answer.status,
            answer.body
        );
    }
    assert_counts(&api, owner, 1, 0).await;
    assert_counts(&api, fan, 0, 1).await;
}
