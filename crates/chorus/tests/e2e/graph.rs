//! The social graph: follows, follow requests of private accounts, lists of
//! followers and following page by page, friendships.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::Api;
use crate::harness::Chorus;
use crate::social::{User, assert_error, id_of, ids, items};

crate::in_both_modes!(
    following_and_unfollowing_are_idempotent,
    a_private_account_approves_or_rejects_follow_requests,
    a_private_accounts_lists_are_for_itself_and_its_followers,
    going_public_approves_the_pending_requests,
    followers_and_following_lists_page_without_duplicates_or_gaps,
);

async fn counts(api: &Api, user: &User) -> (i64, i64) {
    let profile = api.profile_of(&user.id, None).await;
    (
        profile["followers_count"]
            .as_i64()
            .expect("followers_count"),
        profile["following_count"]
            .as_i64()
            .expect("following_count"),
    )
}

async fn relationship(api: &Api, viewer: &User, of: &User) -> Value {
    api.profile_of(&of.id, Some(viewer)).await["relationship"].clone()
}

async fn following_and_unfollowing_are_idempotent(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("fol").await;
    let bo = api.user("fol").await;

    api.follows(&bo, &ana, "following").await;
    api.follows(&bo, &ana, "following").await;
    assert_eq!(counts(&api, &ana).await, (1, 0), "one follow, counted once");
    assert_eq!(counts(&api, &bo).await, (0, 1));

    for _ in 0..2 {
        let answer = api.unfollow(&bo, &ana.id).await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
        assert_eq!(counts(&api, &ana).await, (0, 0));
        assert_eq!(counts(&api, &bo).await, (0, 0));
    }
    assert_eq!(relationship(&api, &bo, &ana).await["following"], false);

    let anonymous = api
        .post(
            &format!("/api/v1/users/{}/follow", ana.id),
            None,
            &json!({}),
        )
        .await;
    assert_error(
        &anonymous,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "anonymous follow",
    );
}

async fn a_private_account_approves_or_rejects_follow_requests(app: &Chorus) {
    let api = Api::new(&app.base);
    let owner = api.user("prv").await;
    let (ana, bo, cy, di) = (
        api.user("prv").await,
        api.user("prv").await,
        api.user("prv").await,
        api.user("prv").await,
    );
    let private = api.update_me(&owner, &json!({ "is_private": true })).await;
    assert_eq!(private.status, StatusCode::OK, "{}", private.body);

    let for_followers = id_of(&api.new_post(&owner, "followers only", "followers").await);
    api.follows(&ana, &owner, "requested").await;
    api.follows(&ana, &owner, "requested").await;
    assert_eq!(
        api.get_post(&for_followers, Some(&ana)).await.status,
        StatusCode::NOT_FOUND,
        "a request is not a follow"
    );
    api.follows(&bo, &owner, "requested").await;
    api.follows(&cy, &owner, "requested").await;
    assert_eq!(
        counts(&api, &owner).await,
        (0, 0),
        "requests are not follows"
    );
    let asked = relationship(&api, &ana, &owner).await;
    assert_eq!(asked["follow_requested"], true, "{asked}");
    assert_eq!(asked["following"], false, "{asked}");

    // Withdrawing a request: unfollow.
    let withdrawn = api.unfollow(&cy, &owner.id).await;
    assert_eq!(withdrawn.status, StatusCode::NO_CONTENT);
    assert_eq!(
        relationship(&api, &cy, &owner).await["follow_requested"],
        false
    );

    let listed = items(&api.get("/api/v1/follow-requests", owner.token()).await);
    assert_eq!(listed.len(), 2, "ana's (once) and bo's: {listed:?}");
    let followers: Vec<Value> = listed.iter().map(|r| r["follower"].clone()).collect();
    let mut follower_ids = ids(&followers);
    follower_ids.sort();
    let mut expected = vec![ana.id.clone(), bo.id.clone()];
    expected.sort();
    assert_eq!(follower_ids, expected);
    for request in &listed {
        assert!(
            request["id"].is_string() && request["created_at"].is_string(),
            "{request}"
        );
        assert!(request["follower"]["username"].is_string(), "{request}");
    }
    let request_of = |user: &User| {
        listed
            .iter()
            .find(|r| r["follower"]["id"] == user.id.as_str())
            .map(id_of)
            .expect("request listed")
    };
    let (ana_request, bo_request) = (request_of(&ana), request_of(&bo));

    // Only the addressee decides.
    for (path, who) in [
        (
            format!("/api/v1/follow-requests/{ana_request}/approve"),
            &di,
        ),
        (
            format!("/api/v1/follow-requests/{ana_request}/approve"),
            &ana,
        ),
        (format!("/api/v1/follow-requests/{bo_request}/reject"), &di),
    ] {
        let answer = api.post(&path, who.token(), &json!({})).await;
        assert_error(&answer, StatusCode::NOT_FOUND, "not_found", &path);
    }
    assert!(
        items(&api.get("/api/v1/follow-requests", di.token()).await).is_empty(),
        "requests to others are not mine"
    );

    let approved = api
        .post(
            &format!("/api/v1/follow-requests/{ana_request}/approve"),
            owner.token(),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(approved.body["state"], "following");
    let rejected = api
        .post(
            &format!("/api/v1/follow-requests/{bo_request}/reject"),
            owner.token(),
            &json!({}),
        )
        .await;
    assert_eq!(rejected.status, StatusCode::NO_CONTENT, "{}", rejected.body);

    assert!(items(&api.get("/api/v1/follow-requests", owner.token()).await).is_empty());
    assert_eq!(counts(&api, &owner).await, (1, 0));
    assert_eq!(counts(&api, &ana).await, (0, 1));
    assert_eq!(relationship(&api, &ana, &owner).await["following"], true);
    assert_eq!(
        api.get_post(&for_followers, Some(&ana)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.get_post(&for_followers, Some(&bo)).await.status,
        StatusCode::NOT_FOUND
    );
    let turned_down = relationship(&api, &bo, &owner).await;
    assert_eq!(turned_down["following"], false, "{turned_down}");
    assert_eq!(turned_down["follow_requested"], false, "{turned_down}");

    // Once following, asking again just says so.
    api.follows(&ana, &owner, "following").await;
}

async fn a_private_accounts_lists_are_for_itself_and_its_followers(app: &Chorus) {
    let api = Api::new(&app.base);
    let owner = api.user("lst").await;
    let fan = api.user("lst").await;
    let stranger = api.user("lst").await;
    api.follows(&fan, &owner, "following").await;
    let private = api.update_me(&owner, &json!({ "is_private": true })).await;
    assert_eq!(private.status, StatusCode::OK);

    for list in ["followers", "following"] {
        let path = format!("/api/v1/users/{}/{list}", owner.id);
        for viewer in [&owner, &fan] {
            items(&api.get(&path, viewer.token()).await);
        }
        let refused = api.get(&path, stranger.token()).await;
        assert_error(&refused, StatusCode::FORBIDDEN, "forbidden", &path);
        let anonymous = api.get(&path, None).await;
        assert_error(&anonymous, StatusCode::FORBIDDEN, "forbidden", &path);
    }
}

async fn going_public_approves_the_pending_requests(app: &Chorus) {
    let api = Api::new(&app.base);
    let owner = api.user("pub").await;
    let fan = api.user("pub").await;
    api.update_me(&owner, &json!({ "is_private": true })).await;
    api.follows(&fan, &owner, "requested").await;

    let public = api.update_me(&owner, &json!({ "is_private": false })).await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    assert_eq!(counts(&api, &owner).await, (1, 0));
    assert_eq!(relationship(&api, &fan, &owner).await["following"], true);
    assert!(items(&api.get("/api/v1/follow-requests", owner.token()).await).is_empty());
}

async fn followers_and_following_lists_page_without_duplicates_or_gaps(app: &Chorus) {
    let api = Api::new(&app.base);
    let star = api.user("pg").await;
    let fans = api.users("pg", 7).await;

    // One at a time, so "newest follow first" has one answer.
    for fan in &fans {
        api.follows(fan, &star, "following").await;
    }
    let first = &fans[0];
    for other in &fans[1..] {
        api.follows(first, other, "following").await;
    }

    let pages = api
        .pages(
            &format!("/api/v1/users/{}/followers", star.id),
            Some(first),
            3,
            id_of,
        )
        .await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let listed: Vec<Value> = pages.concat();
    let newest_first: Vec<String> = fans.iter().rev().map(|f| f.id.clone()).collect();
    assert_eq!(
        ids(&listed),
        newest_first,
        "every follower once, newest first"
    );
    for profile in &listed {
        assert!(profile["username"].is_string() && profile["followers_count"].is_number());
        assert!(
            profile.get("relationship").is_some(),
            "with the viewer's relationship: {profile}"
        );
    }
    let me_listed = listed.iter().find(|p| p["id"] == first.id.as_str());
    assert_eq!(
        me_listed.expect("first fan")["relationship"]["following"],
        false,
        "no one follows themselves"
    );

    let following = api
        .pages(
            &format!("/api/v1/users/{}/following", first.id),
            None,
            2,
            id_of,
        )
        .await;
    let sizes: Vec<usize> = following.iter().map(Vec::len).collect();
    assert_eq!(sizes, [2, 2, 2, 1]);
    let mut expected: Vec<String> = fans[1..].iter().rev().map(|f| f.id.clone()).collect();
    expected.push(star.id.clone());
    assert_eq!(ids(&following.concat()), expected);
    assert_eq!(counts(&api, first).await, (0, 7));

    let unknown = api.get("/api/v1/users/4242/followers", None).await;
    assert_error(&unknown, StatusCode::NOT_FOUND, "not_found", "unknown user");
}
