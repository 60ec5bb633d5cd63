//! Blocking: every tie is cut both ways, and each side disappears from the
//! other's view (404, never 403), until the block is lifted.

use reqwest::StatusCode;
use serde_json::json;

use crate::client::Api;
use crate::harness::Chorus;
use crate::social::{User, assert_error, id_of, ids, items};

crate::in_both_modes!(
    blocking_removes_follows_and_the_friendship_both_ways,
    blocked_users_disappear_from_each_others_view,
    a_block_can_be_lifted,
    blocking_clears_pending_requests_both_ways,
);

async fn assert_counts(api: &Api, user: &User, followers: i64, following: i64) {
    let profile = api.profile_of(&user.id, None).await;
    assert_eq!(profile["followers_count"], followers, "{profile}");
    assert_eq!(profile["following_count"], following, "{profile}");
}

async fn blocking_removes_follows_and_the_friendship_both_ways(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("blk").await;
    let bo = api.user("blk").await;
    let cy = api.user("blk").await;
    api.befriend(&ana, &bo).await;
    api.follows(&cy, &bo, "following").await;
    api.friend_request(&cy, &ana.id).await;
    assert_counts(&api, &ana, 1, 1).await;
    assert_counts(&api, &bo, 2, 1).await;

    let blocked = api.block(&ana, &bo.id).await;
    assert_eq!(blocked.status, StatusCode::NO_CONTENT, "{}", blocked.body);
    assert_counts(&api, &ana, 0, 0).await;
    assert_counts(&api, &bo, 1, 0).await;
    assert!(
        items(
            &api.get(&format!("/api/v1/users/{}/friends", ana.id), ana.token())
                .await
        )
        .is_empty()
    );

    let blocks = items(&api.get("/api/v1/blocks", ana.token()).await);
    assert_eq!(ids(&blocks), [bo.id.as_str()]);
    assert_eq!(blocks[0]["username"], bo.username.as_str());
    assert!(items(&api.get("/api/v1/blocks", bo.token()).await).is_empty());

    // Blocking again changes nothing; blocking oneself is refused.
    assert_eq!(api.block(&ana, &bo.id).await.status, StatusCode::NO_CONTENT);
    let myself = api.block(&ana, &ana.id).await;
    assert_error(
        &myself,
        StatusCode::BAD_REQUEST,
        "validation_failed",
        "blocking oneself",
    );

    // Neither can follow the other now.
    let by_blocker = api.follow(&ana, &bo.id).await;
    assert_error(
        &by_blocker,
        StatusCode::FORBIDDEN,
        "forbidden",
        "following someone I block",
    );
    let by_blocked = api.follow(&bo, &ana.id).await;
    assert_error(
        &by_blocked,
        StatusCode::NOT_FOUND,
        "not_found",
        "following someone who blocks me",
    );
    let befriend = api.friend_request(&bo, &ana.id).await;
    assert_error(
        &befriend,
        StatusCode::NOT_FOUND,
        "not_found",
        "befriending someone who blocks me",
    );
    assert_counts(&api, &ana, 0, 0).await;
}

async fn blocked_users_disappear_from_each_others_view(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("hid").await;
    let bo = api.user("hid").await;
    let cy = api.user("hid").await;
    let ana_post = id_of(&api.new_post(&ana, "ana's", "public").await);
    let bo_post = id_of(&api.new_post(&bo, "bo's", "public").await);
    let ana_comment = id_of(&api.new_comment(&ana, &bo_post, "from ana", None).await);
    let cy_comment = id_of(&api.new_comment(&cy, &bo_post, "from cy", None).await);
    assert_eq!(
        api.react(&ana, &bo_post, "like").await.status,
        StatusCode::OK
    );

    assert_eq!(api.block(&bo, &ana.id).await.status, StatusCode::NO_CONTENT);

    for (viewer, other, post) in [(&ana, &bo, &bo_post), (&bo, &ana, &ana_post)] {
        let what = |thing: &str| {
            format!(
                "{} looking at {}'s {thing}",
                viewer.username, other.username
            )
        };
        let profile = api.profile(&other.id, Some(viewer)).await;
        assert_error(
            &profile,
            StatusCode::NOT_FOUND,
            "not_found",
            &what("profile"),
        );
        let by_name = api.profile(&other.username, Some(viewer)).await;
        assert_error(&by_name, StatusCode::NOT_FOUND, "not_found", &what("name"));
        let post_answer = api.get_post(post, Some(viewer)).await;
        assert_error(
            &post_answer,
            StatusCode::NOT_FOUND,
            "not_found",
            &what("post"),
        );
        for list in ["posts", "followers", "following"] {
            let answer = api
                .get(
                    &format!("/api/v1/users/{}/{list}", other.id),
                    viewer.token(),
                )
                .await;
            assert_error(&answer, StatusCode::NOT_FOUND, "not_found", &what(list));
        }
        let comments = api
            .get(&format!("/api/v1/posts/{post}/comments"), viewer.token())
            .await;
        assert_error(
            &comments,
            StatusCode::NOT_FOUND,
            "not_found",
            &what("comments"),
        );
        let react = api.react(viewer, post, "like").await;
        assert_error(
            &react,
            StatusCode::NOT_FOUND,
            "not_found",
            &what("reaction"),
        );
        let comment = api.comment(viewer, post, &json!({ "content": "hi" })).await;
        assert_error(
            &comment,
            StatusCode::NOT_FOUND,
            "not_found",
            &what("comment"),
        );
    }

    // On bo's own post, ana's comment is left out for bo, but not for cy.
    let for_bo = ids(&items(
        &api.get(&format!("/api/v1/posts/{bo_post}/comments"), bo.token())
            .await,
    ));
    assert_eq!(for_bo, [cy_comment.as_str()]);
    let for_cy = ids(&items(
        &api.get(&format!("/api/v1/posts/{bo_post}/comments"), cy.token())
            .await,
    ));
    assert_eq!(for_cy, [ana_comment, cy_comment]);

    // Others still see both.
    assert_eq!(api.profile(&ana.id, None).await.status, StatusCode::OK);
    assert_eq!(
        api.get_post(&bo_post, Some(&cy)).await.status,
        StatusCode::OK
    );
}

async fn a_block_can_be_lifted(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("unb").await;
    let bo = api.user("unb").await;
    api.follows(&bo, &ana, "following").await;
    api.block(&ana, &bo.id).await;

    for _ in 0..2 {
        let lifted = api
            .delete(&format!("/api/v1/users/{}/block", bo.id), ana.token())
            .await;
        assert_eq!(lifted.status, StatusCode::NO_CONTENT, "{}", lifted.body);
    }
    assert!(items(&api.get("/api/v1/blocks", ana.token()).await).is_empty());
    let profile = api.profile_of(&ana.id, Some(&bo)).await;
    assert_eq!(
        profile["relationship"]["following"], false,
        "the follows a block removed stay removed: {profile}"
    );
    assert_eq!(api.profile(&bo.id, Some(&ana)).await.status, StatusCode::OK);
    api.follows(&bo, &ana, "following").await;
}

async fn blocking_clears_pending_requests_both_ways(app: &Chorus) {
    let api = Api::new(&app.base);
    let owner = api.user("bcr").await;
    let fan = api.user("bcr").await;
    let private = api.update_me(&owner, &json!({ "is_private": true })).await;
    assert_eq!(private.status, StatusCode::OK, "{}", private.body);
    api.follows(&fan, &owner, "requested").await;
    assert_eq!(
        api.friend_request(&fan, &owner.id).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        api.friend_request(&owner, &fan.id).await.status,
        StatusCode::OK,
        "crossing requests befriend"
    );
    let other = api.user("bcr").await;
    assert_eq!(
        api.friend_request(&owner, &other.id).await.status,
        StatusCode::CREATED
    );
    api.follows(&other, &owner, "requested").await;

    assert_eq!(
        api.block(&other, &owner.id).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.block(&owner, &fan.id).await.status,
        StatusCode::NO_CONTENT
    );

    for (user, list) in [
        (&owner, "/api/v1/follow-requests"),
        (&owner, "/api/v1/friend-requests?direction=outgoing"),
        (&other, "/api/v1/friend-requests?direction=incoming"),
        (&fan, "/api/v1/friend-requests?direction=outgoing"),
    ] {
        let left = items(&api.get(list, user.token()).await);
        assert!(left.is_empty(), "{} {list}: {left:?}", user.username);
    }
    assert!(
        items(
            &api.get(
                &format!("/api/v1/users/{}/friends", owner.id),
                owner.token()
            )
            .await
        )
        .is_empty()
    );
    assert_counts(&api, &owner, 0, 0).await;
    assert_counts(&api, &fan, 0, 0).await;
}
