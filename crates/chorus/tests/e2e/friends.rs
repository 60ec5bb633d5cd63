//! Friendships: requests sent, accepted, declined and cancelled; friends
//! follow each other and so see each other's followers-only posts.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::Api;
use crate::harness::Chorus;
use crate::social::{User, assert_error, id_of, ids, items};

crate::in_both_modes!(
    a_friend_request_is_sent_once_and_accepted,
    friend_requests_can_be_declined_cancelled_or_crossed,
    unfriending_ends_the_friendship_and_both_follows,
    befriending_adds_only_the_missing_follows_even_to_a_private_account,
    friends_see_each_others_followers_only_posts,
);

async fn friends_of(api: &Api, user: &User) -> Vec<String> {
    ids(&items(
        &api.get(&format!("/api/v1/users/{}/friends", user.id), user.token())
            .await,
    ))
}

async fn requests(api: &Api, user: &User, direction: &str) -> Vec<Value> {
    items(
        &api.get(
            &format!("/api/v1/friend-requests?direction={direction}"),
            user.token(),
        )
        .await,
    )
}

async fn a_friend_request_is_sent_once_and_accepted(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("fr").await;
    let bo = api.user("fr").await;

    let sent = api.friend_request(&ana, &bo.id).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    let request = &sent.body;
    assert_eq!(request["status"], "pending");
    assert_eq!(request["from"]["id"], ana.id.as_str());
    assert_eq!(request["from"]["username"], ana.username.as_str());
    assert_eq!(request["to"]["id"], bo.id.as_str());
    assert!(
        request["to"].get("avatar_url").is_some(),
        "a card: {request}"
    );
    assert!(request["created_at"].is_string(), "{request}");

    let again = api.friend_request(&ana, &bo.id).await;
    assert_eq!(again.status, StatusCode::OK, "idempotent: {}", again.body);
    assert_eq!(again.body["id"], request["id"]);
    assert_eq!(again.body["status"], "pending");

    assert_eq!(
        ids(&requests(&api, &bo, "incoming").await),
        [id_of(request)]
    );
    let default_direction = items(&api.get("/api/v1/friend-requests", bo.token()).await);
    assert_eq!(
        ids(&default_direction),
        [id_of(request)],
        "incoming by default"
    );
    assert_eq!(
        ids(&requests(&api, &ana, "outgoing").await),
        [id_of(request)]
    );
    assert!(requests(&api, &ana, "incoming").await.is_empty());
    let seen_by_ana = &api.profile_of(&bo.id, Some(&ana)).await["relationship"];
    assert_eq!(seen_by_ana["friend_request"], "sent", "{seen_by_ana}");
    let seen_by_bo = &api.profile_of(&ana.id, Some(&bo)).await["relationship"];
    assert_eq!(seen_by_bo["friend_request"], "received", "{seen_by_bo}");

    // Only the addressee accepts.
    let path = format!("/api/v1/friend-requests/{}/accept", id_of(request));
    let by_sender = api.post(&path, ana.token(), &json!({})).await;
    assert!(by_sender.status.is_client_error(), "{}", by_sender.body);
    by_sender.error_code();

    let accepted = api.post(&path, bo.token(), &json!({})).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert_eq!(accepted.body["status"], "accepted");
    assert_eq!(accepted.body["id"], request["id"]);

    assert_eq!(friends_of(&api, &ana).await, [bo.id.as_str()]);
    assert_eq!(friends_of(&api, &bo).await, [ana.id.as_str()]);
    let relationship = &api.profile_of(&bo.id, Some(&ana)).await["relationship"];
    assert_eq!(relationship["friends"], true, "{relationship}");
    assert_eq!(relationship["following"], true, "{relationship}");
    assert_eq!(relationship["followed_by"], true, "{relationship}");
    assert_eq!(
        relationship["friend_request"],
        Value::Null,
        "{relationship}"
    );
    for user in [&ana, &bo] {
        let profile = api.profile_of(&user.id, None).await;
        assert_eq!(
            profile["followers_count"], 1,
            "friends follow each other: {profile}"
        );
        assert_eq!(profile["following_count"], 1, "{profile}");
    }
    assert!(requests(&api, &bo, "incoming").await.is_empty());

    let already = api.friend_request(&bo, &ana.id).await;
    assert_error(
        &already,
        StatusCode::CONFLICT,
        "conflict",
        "already friends",
    );
    let myself = api.friend_request(&ana, &ana.id).await;
    assert_error(
        &myself,
        StatusCode::BAD_REQUEST,
        "validation_failed",
        "befriending oneself",
    );
}

async fn friend_requests_can_be_declined_cancelled_or_crossed(app: &Chorus) {
    let api = Api::new(&app.base);
    let owner = api.user("frd").await;
    let (ana, bo, cy) = (
        api.user("frd").await,
        api.user("frd").await,
        api.user("frd").await,
    );

    let declined = id_of(&api.friend_request(&ana, &owner.id).await.body);
    let cancelled = id_of(&api.friend_request(&bo, &owner.id).await.body);
    assert_eq!(requests(&api, &owner, "incoming").await.len(), 2);

    let by_other = api
        .post(
            &format!("/api/v1/friend-requests/{declined}/decline"),
            cy.token(),
            &json!({}),
        )
        .await;
    assert!(by_other.status.is_client_error(), "{}", by_other.body);
    by_other.error_code();
    let decline = api
        .post(
            &format!("/api/v1/friend-requests/{declined}/decline"),
            owner.token(),
            &json!({}),
        )
        .await;
    assert_eq!(decline.status, StatusCode::NO_CONTENT, "{}", decline.body);

    let not_sender = api
        .delete(&format!("/api/v1/friend-requests/{cancelled}"), cy.token())
        .await;
    assert!(not_sender.status.is_client_error(), "{}", not_sender.body);
    not_sender.error_code();
    let cancel = api
        .delete(&format!("/api/v1/friend-requests/{cancelled}"), bo.token())
        .await;
    assert_eq!(cancel.status, StatusCode::NO_CONTENT, "{}", cancel.body);

    assert!(requests(&api, &owner, "incoming").await.is_empty());
    assert!(requests(&api, &bo, "outgoing").await.is_empty());
    assert!(friends_of(&api, &owner).await.is_empty());
    let relationship = &api.profile_of(&owner.id, Some(&ana)).await["relationship"];
    assert_eq!(relationship["friends"], false, "{relationship}");
    assert_eq!(
        relationship["friend_request"],
        Value::Null,
        "{relationship}"
    );

    // Asking someone who already asked me accepts their request.
    let theirs = api.friend_request(&cy, &owner.id).await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{}", theirs.body);
    let crossed = api.friend_request(&owner, &cy.id).await;
    assert_eq!(crossed.status, StatusCode::OK, "{}", crossed.body);
    assert_eq!(crossed.body["status"], "accepted");
    assert_eq!(crossed.body["id"], theirs.body["id"]);
    assert_eq!(friends_of(&api, &owner).await, [cy.id.as_str()]);
}

async fn unfriending_ends_the_friendship_and_both_follows(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("unf").await;
    let bo = api.user("unf").await;
    api.befriend(&ana, &bo).await;

    let answer = api
        .delete(&format!("/api/v1/users/{}/friend", bo.id), ana.token())
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
    assert!(friends_of(&api, &ana).await.is_empty());
    assert!(friends_of(&api, &bo).await.is_empty());
    for user in [&ana, &bo] {
        let profile = api.profile_of(&user.id, None).await;
        assert_eq!(profile["followers_count"], 0, "{profile}");
        assert_eq!(profile["following_count"], 0, "{profile}");
    }
}

async fn friends_see_each_others_followers_only_posts(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("frp").await;
    let bo = api.user("frp").await;
    let stranger = api.user("frp").await;
    let for_followers = id_of(&api.new_post(&bo, "friends only", "followers").await);
    let private = id_of(&api.new_post(&bo, "just me", "private").await);

    assert_eq!(
        api.get_post(&for_followers, Some(&ana)).await.status,
        StatusCode::NOT_FOUND,
        "not yet friends"
    );
    api.befriend(&ana, &bo).await;

    let seen = api.get_post(&for_followers, Some(&ana)).await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
    let timeline = items(
        &api.get(&format!("/api/v1/users/{}/posts", bo.id), ana.token())
            .await,
    );
    assert_eq!(ids(&timeline), [for_followers.as_str()]);

    let hidden = api.get_post(&private, Some(&ana)).await;
    assert_error(&hidden, StatusCode::NOT_FOUND, "not_found", "private post");
    let stranger_view = api.get_post(&for_followers, Some(&stranger)).await;
    assert_error(
        &stranger_view,
        StatusCode::NOT_FOUND,
        "not_found",
        "a stranger",
    );
}

async fn befriending_adds_only_the_missing_follows_even_to_a_private_account(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("frm").await;
    let bo = api.user("frm").await;
    api.follows(&ana, &bo, "following").await;
    let private = api.update_me(&ana, &json!({ "is_private": true })).await;
    assert_eq!(private.status, StatusCode::OK, "{}", private.body);
    api.follows(&bo, &ana, "requested").await;

    api.befriend(&bo, &ana).await;
    for user in [&ana, &bo] {
        let profile = api.profile_of(&user.id, None).await;
        assert_eq!(
            profile["followers_count"], 1,
            "one follow each way: {profile}"
        );
        assert_eq!(profile["following_count"], 1, "{profile}");
    }
    let relationship = &api.profile_of(&ana.id, Some(&bo)).await["relationship"];
    assert_eq!(relationship["following"], true, "{relationship}");
    assert_eq!(relationship["friends"], true, "{relationship}");
    assert_eq!(
        relationship["follow_requested"], false,
        "the follow is there, so no request is pending: {relationship}"
    );
    assert!(
        items(&api.get("/api/v1/follow-requests", ana.token()).await).is_empty(),
        "no request left to approve"
    );
}
