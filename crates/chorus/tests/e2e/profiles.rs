//! Profiles: read by id or username, the viewer's relationship, editing
//! one's own, and the counts the graph and posts keep.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::Api;
use crate::harness::{Chorus, Mode};
use crate::social::{assert_error, assert_invalid_field, eventually, id_of};

crate::in_both_modes!(
    a_new_user_has_a_profile_readable_by_id_and_by_username,
    the_relationship_shows_only_to_an_authenticated_viewer,
    patching_me_changes_my_profile,
    a_numeric_segment_that_is_no_id_is_a_username,
    bad_profile_values_are_refused,
    counts_follow_the_graph_and_the_posts,
);

const PROFILE_FIELDS: [&str; 10] = [
    "id",
    "username",
    "display_name",
    "bio",
    "avatar_url",
    "is_private",
    "followers_count",
    "following_count",
    "posts_count",
    "created_at",
];

fn assert_profile_shape(profile: &Value) {
    for field in PROFILE_FIELDS {
        assert!(profile.get(field).is_some(), "{field} missing: {profile}");
    }
    assert!(
        profile["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "RFC 3339 UTC: {profile}"
    );
}

async fn a_new_user_has_a_profile_readable_by_id_and_by_username(app: &Chorus) {
    let api = Api::new(&app.base);
    let session = api.signup("pr").await;
    let id = id_of(&session.user);
    let username = session.user["username"].as_str().expect("username");

    let profile = match app.mode {
        // In process, signup answers once the profile exists.
        Mode::Embedded => api.profile_of(&id, None).await,
        // Across processes, the profile follows `user.registered`.
        Mode::Distributed => api.wait_for_profile(&id, |_| true).await,
    };
    assert_profile_shape(&profile);
    assert_eq!(profile["id"], id.as_str());
    assert_eq!(profile["username"], username);
    assert_eq!(profile["display_name"], session.user["display_name"]);
    assert_eq!(profile["bio"], "");
    assert_eq!(profile["avatar_url"], Value::Null);
    assert_eq!(profile["is_private"], false);
    for count in ["followers_count", "following_count", "posts_count"] {
        assert_eq!(profile[count], 0, "{count}: {profile}");
    }

    let by_name = api.profile_of(username, None).await;
    assert_eq!(by_name, profile, "by username, the same profile");

    let unknown_id = api.profile("12345", None).await;
    assert_error(
        &unknown_id,
        StatusCode::NOT_FOUND,
        "not_found",
        "unknown id",
    );
    let unknown_name = api.profile("nobody_here_at_all", None).await;
    assert_error(
        &unknown_name,
        StatusCode::NOT_FOUND,
        "not_found",
        "unknown username",
    );
}

async fn the_relationship_shows_only_to_an_authenticated_viewer(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("rel").await;
    let bo = api.user("rel").await;

    let anonymous = api.profile_of(&ana.id, None).await;
    assert!(
        anonymous.get("relationship").is_none(),
        "no relationship for an anonymous viewer: {anonymous}"
    );

    let seen_by_bo = api.profile_of(&ana.id, Some(&bo)).await;
    assert_profile_shape(&seen_by_bo);
    let relationship = &seen_by_bo["relationship"];
    for flag in [
        "following",
        "followed_by",
        "follow_requested",
        "friends",
        "blocking",
    ] {
        assert_eq!(relationship[flag], false, "{flag}: {relationship}");
    }
    assert_eq!(
        relationship["friend_request"],
        Value::Null,
        "{relationship}"
    );

    api.follows(&bo, &ana, "following").await;
    let relationship = &api.profile_of(&ana.id, Some(&bo)).await["relationship"];
    assert_eq!(relationship["following"], true, "{relationship}");
    assert_eq!(relationship["followed_by"], false, "{relationship}");
    let back = &api.profile_of(&bo.id, Some(&ana)).await["relationship"];
    assert_eq!(back["followed_by"], true, "{back}");
    assert_eq!(back["following"], false, "{back}");

    let own = api.profile_of(&ana.id, Some(&ana)).await;
    assert!(own.get("relationship").is_some(), "{own}");
}

async fn patching_me_changes_my_profile(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("me").await;
    let display_name = "Ana Ñandú".repeat(5) + "12345";
    assert_eq!(display_name.chars().count(), 50);
    let bio = "b".repeat(500);

    let post = id_of(&api.new_post(&ana, "before the rename", "public").await);

    let answer = api
        .update_me(
            &ana,
            &json!({ "display_name": display_name, "bio": bio, "is_private": true }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_profile_shape(&answer.body);
    assert_eq!(answer.body["id"], ana.id.as_str());
    assert_eq!(answer.body["display_name"], display_name.as_str());
    assert_eq!(answer.body["bio"], bio.as_str());
    assert_eq!(answer.body["is_private"], true);

    let read = api.profile_of(&ana.id, None).await;
    assert_eq!(read["display_name"], display_name.as_str());
    assert_eq!(read["bio"], bio.as_str());
    assert_eq!(read["is_private"], true);

    // Fields left out stay as they are; a null avatar clears it.
    let partial = api
        .update_me(
            &ana,
            &json!({ "is_private": false, "avatar_media_id": null }),
        )
        .await;
    assert_eq!(partial.status, StatusCode::OK, "{}", partial.body);
    assert_eq!(partial.body["display_name"], display_name.as_str());
    assert_eq!(partial.body["bio"], bio.as_str());
    assert_eq!(partial.body["is_private"], false);
    assert_eq!(partial.body["avatar_url"], Value::Null);

    // Posts learn of the new name from `user.updated`.
    let path = &format!("/api/v1/posts/{post}");
    let expected = display_name.as_str();
    let api = &api;
    eventually("the post's author card shows the new name", || async move {
        let seen = api.get(path, None).await;
        if seen.body["author"]["display_name"] == expected {
            Ok(())
        } else {
            Err(format!("{} {}", seen.status, seen.body))
        }
    })
    .await;

    let anonymous = api
        .patch("/api/v1/users/me", None, &json!({ "bio": "x" }))
        .await;
    assert_error(
        &anonymous,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "anonymous",
    );
}

async fn a_numeric_segment_that_is_no_id_is_a_username(app: &Chorus) {
    let api = Api::new(&app.base);
    let digits = format!("{}", 100_000_000 + rand::random::<u32>() % 900_000_000);
    let signup = api
        .signup_raw(&digits, &format!("{digits}@example.com"), "long enough pw")
        .await;
    assert_eq!(signup.status, StatusCode::CREATED, "{}", signup.body);
    let id = id_of(&signup.body["user"]);
    api.wait_for_profile(&id, |_| true).await;

    let by_name = api.profile(&digits, None).await;
    assert_eq!(by_name.status, StatusCode::OK, "{digits}: {}", by_name.body);
    assert_eq!(by_name.body["id"], id.as_str());
    assert_eq!(api.profile_of(&id, None).await["username"], digits.as_str());
}

async fn bad_profile_values_are_refused(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("bad").await;
    for (body, field) in [
        (json!({ "display_name": "" }), "display_name"),
        (json!({ "display_name": "   " }), "display_name"),
        (json!({ "display_name": "x".repeat(51) }), "display_name"),
        (json!({ "bio": "b".repeat(501) }), "bio"),
        // No media service yet: any id is unknown.
        (json!({ "avatar_media_id": "123" }), "avatar_media_id"),
    ] {
        let answer = api.update_me(&ana, &body).await;
        assert_invalid_field(&answer, field, &body.to_string());
    }
    for body in [
        json!({ "is_private": "yes" }),
        json!({ "display_name": 12 }),
        json!({ "bio": ["a"] }),
    ] {
        let answer = api.update_me(&ana, &body).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            answer.body
        );
        answer.error_code();
    }
    let unchanged = api.profile_of(&ana.id, None).await;
    assert_eq!(unchanged["bio"], "", "nothing was changed: {unchanged}");
    assert_eq!(unchanged["is_private"], false);
}

async fn counts_follow_the_graph_and_the_posts(app: &Chorus) {
    let api = Api::new(&app.base);
    let ana = api.user("cnt").await;
    let bo = api.user("cnt").await;
    let cy = api.user("cnt").await;

    // Follows change the counts in the same transaction: no waiting.
    api.follows(&bo, &ana, "following").await;
    api.follows(&cy, &ana, "following").await;
    api.follows(&ana, &bo, "following").await;
    let profile = api.profile_of(&ana.id, None).await;
    assert_eq!(profile["followers_count"], 2, "{profile}");
    assert_eq!(profile["following_count"], 1, "{profile}");
    assert_eq!(api.profile_of(&bo.id, None).await["following_count"], 1);

    // posts_count follows `post.created` and `post.deleted` events.
    let first = api.new_post(&ana, "one", "public").await;
    api.new_post(&ana, "two", "private").await;
    api.wait_for_profile(&ana.id, |p| p["posts_count"] == 2)
        .await;
    let deleted = api
        .delete(&format!("/api/v1/posts/{}", id_of(&first)), ana.token())
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    api.wait_for_profile(&ana.id, |p| p["posts_count"] == 1)
        .await;

    let unfollowed = api.unfollow(&cy, &ana.id).await;
    assert_eq!(unfollowed.status, StatusCode::NO_CONTENT);
    assert_eq!(api.profile_of(&ana.id, None).await["followers_count"], 1);
    assert_eq!(api.profile_of(&cy.id, None).await["following_count"], 0);
}
