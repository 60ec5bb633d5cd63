//! `GET /api/v1/users/{id_or_username}`, `GET|PATCH /api/v1/users/me`.

use chorus_core::Id;
use http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both;

on_both!(
    a_profile_is_found_by_id_and_by_username,
    a_segment_that_names_an_id_is_that_account_else_a_username,
    the_caller_edits_their_profile_and_user_updated_tells_others,
    bad_edits_are_refused_naming_the_field,
);

async fn a_profile_is_found_by_id_and_by_username(app: &TestApp) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;

    let anonymous = app.profile(&alice, None).await;
    assert_eq!(
        anonymous,
        json!({
            "id": alice.id(),
            "username": "alice",
            "display_name": "alice display",
            "bio": "",
            "avatar_url": null,
            "is_private": false,
            "followers_count": 0,
            "following_count": 0,
            "posts_count": 0,
            "created_at": "2026-01-02T03:04:05.678Z",
        })
    );

    let by_name = app.get("/api/v1/users/ALICE", Some(&bob)).await;
    assert_eq!(by_name.status, StatusCode::OK, "{}", by_name.text());
    let by_name = by_name.json();
    assert_eq!(by_name["id"], alice.id());
    assert_eq!(
        by_name["relationship"],
        json!({
            "following": false,
            "followed_by": false,
            "follow_requested": false,
            "friends": false,
            "friend_request": null,
            "blocking": false,
        })
    );

    for missing in ["nobody", "999", "-1", "al%20ice", &"x".repeat(200)] {
        app.get(&format!("/api/v1/users/{missing}"), None)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }

    let me = app.get("/api/v1/users/me", Some(&alice)).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text());
    assert_eq!(me.json()["id"], alice.id());
    assert_eq!(me.json()["relationship"]["following"], false);
    app.get("/api/v1/users/me", None)
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
}

async fn a_segment_that_names_an_id_is_that_account_else_a_username(app: &TestApp) {
    // An all-digit username that is no account's id.
    let digits = app.register("12345").await;
    assert_ne!(digits.id, Id(12345));
    let found = app.get("/api/v1/users/12345", None).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text());
    assert_eq!(found.json()["id"], digits.id());
    assert_eq!(found.json()["username"], "12345");

    // A username that spells another account's id: the id wins.
    let carol = app.register("carol").await;
    let impostor = app.register(&carol.id()).await;
    let by_segment = app.get(&format!("/api/v1/users/{}", carol.id), None).await;
    assert_eq!(by_segment.json()["id"], carol.id());
    assert_ne!(by_segment.json()["id"], impostor.id());
}

async fn the_caller_edits_their_profile_and_user_updated_tells_others(app: &TestApp) {
    let alice = app.register("alice").await;
    let edited = app
        .patch_me(
            &alice,
            json!({
                "display_name": "  Alice Liddell  ",
                "bio": "Down the rabbit hole\nand back",
                "is_private": true,
                "avatar_media_id": null,
                "favourite_colour": "blue",
            }),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    let edited = edited.json();
    assert_eq!(edited["display_name"], "Alice Liddell");
    assert_eq!(edited["bio"], "Down the rabbit hole\nand back");
    assert_eq!(edited["is_private"], true);
    assert_eq!(edited["avatar_url"], Value::Null);
    assert!(edited["relationship"].is_object());
    app.expect_event(
        "user.updated",
        &alice,
        json!({
            "user_id": alice.id(),
            "username": "alice",
            "display_name": "Alice Liddell",
            "bio": "Down the rabbit hole\nand back",
            "avatar_url": null,
            "is_private": true,
        }),
    )
    .await;
    assert_eq!(
        app.profile(&alice, None).await["display_name"],
        "Alice Liddell"
    );

    // Only the fields sent change; an edit that changes nothing tells nobody.
    let partial = app.patch_me(&alice, json!({ "bio": "" })).await;
    assert_eq!(partial.json()["bio"], "");
    assert_eq!(partial.json()["display_name"], "Alice Liddell");
    app.next_event().await;
    let unchanged = app.patch_me(&alice, json!({ "bio": "  " })).await;
    assert_eq!(unchanged.status, StatusCode::OK, "{}", unchanged.text());
    app.patch_me(&alice, json!({ "is_private": false })).await;
    let next = app.next_event().await;
    assert_eq!(
        next.payload["is_private"], false,
        "no event in between: {next:?}"
    );
}

async fn bad_edits_are_refused_naming_the_field(app: &TestApp) {
    let alice = app.register("alice").await;
    let cases = [
        (json!({ "display_name": "   " }), "display_name"),
        (json!({ "display_name": "a".repeat(51) }), "display_name"),
        (json!({ "display_name": "tab\there" }), "display_name"),
        (json!({ "bio": "é".repeat(501) }), "bio"),
        (
            json!({ "avatar_media_id": "7244718265810944001" }),
            "avatar_media_id",
        ),
    ];
    for (body, field) in cases {
        let response = app.patch_me(&alice, body.clone()).await;
        response.assert_error(StatusCode::BAD_REQUEST, "validation_failed");
        assert_eq!(
            response.json()["error"]["details"]["field"],
            field,
            "{body}"
        );
    }
    let media = app
        .patch_me(&alice, json!({ "avatar_media_id": "123" }))
        .await;
    assert!(media.text().contains("no such media"), "{}", media.text());
    assert!(
        app.patch_me(&alice, json!({ "bio": "é".repeat(500) }))
            .await
            .status
            .is_success()
    );

    app.patch_me(&alice, json!({ "is_private": "yes" }))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "validation_failed");
    app.patch_me(&alice, json!({ "display_name": 7 }))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "validation_failed");
    let anonymous = app
        .request(
            http::Method::PATCH,
            "/api/v1/users/me",
            None,
            Some(json!({})),
        )
        .await;
    anonymous.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    let not_json = app
        .request(http::Method::PATCH, "/api/v1/users/me", Some(&alice), None)
        .await;
    not_json.assert_error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");

    // An account whose user.registered has not arrived yet.
    let ghost = crate::helpers::User {
        id: app.ctx.ids.next_id(),
        username: "ghost".into(),
    };
    app.patch_me(&ghost, json!({ "bio": "boo" }))
        .await
        .assert_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert_eq!(app.profile(&alice, None).await["bio"], "é".repeat(500));
}
