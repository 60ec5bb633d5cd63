//! Avatars: one of the caller's images, known from `media.uploaded` (waited
//! for briefly when just uploaded); its URL shows on the profile, on cards
//! and in `user.updated`; `media.deleted` takes it away.

use std::time::{Duration, Instant};

use chorus_core::{Envelope, Id};
use http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, User};
use crate::on_both;

on_both!(
    an_uploaded_image_becomes_the_avatar_everywhere,
    an_avatar_chosen_right_after_its_upload_waits_for_it,
    only_ones_own_known_images_are_avatars,
    a_deleted_media_is_no_longer_the_avatar,
);

/// `media.uploaded` as the media service words it.
fn uploaded(app: &TestApp, media: Id, owner: &User, mime: &str) -> Envelope {
    Envelope::new(
        app.ctx.ids.next_id(),
        "media.uploaded",
        Some(owner.id),
        json!({
            "media_id": media, "owner_id": owner.id, "url": format!("/media/{media}"),
            "mime": mime, "size": 1234, "width": 64, "height": 64, "variants": {},
            "blurhash": "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
        }),
    )
}

async fn upload(app: &TestApp, owner: &User, mime: &str) -> Id {
    let media = app.ctx.ids.next_id();
    app.publish(&uploaded(app, media, owner, mime)).await;
    media
}

fn updated(user: &User, avatar_url: Value) -> Value {
    json!({
        "user_id": user.id(), "username": user.username, "display_name": format!("{} display", user.username),
        "bio": "", "avatar_url": avatar_url, "is_private": false,
    })
}

async fn an_uploaded_image_becomes_the_avatar_everywhere(app: &TestApp) {
    let alice = app.register("alice").await;
    let media = upload(app, &alice, "image/png").await;
    let url = format!("/media/{media}");

    let edited = app
        .patch_me(&alice, json!({ "avatar_media_id": media.to_string() }))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["avatar_url"], url.as_str());
    app.expect_event("user.updated", &alice, updated(&alice, json!(url)))
        .await;
    assert_eq!(app.profile(&alice, None).await["avatar_url"], url.as_str());
    let cards = app.service.api().cards(&[alice.id]).await.expect("cards");
    assert_eq!(cards[0].avatar_url.as_deref(), Some(url.as_str()));

    // The same avatar again changes nothing, so tells nobody.
    let again = app
        .patch_me(&alice, json!({ "avatar_media_id": media.to_string() }))
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    let cleared = app
        .patch_me(&alice, json!({ "avatar_media_id": null }))
        .await;
    assert_eq!(cleared.json()["avatar_url"], Value::Null);
    app.expect_event("user.updated", &alice, updated(&alice, Value::Null))
        .await;
    let cards = app.service.api().cards(&[alice.id]).await.expect("cards");
    assert_eq!(cards[0].avatar_url, None);
}

async fn an_avatar_chosen_right_after_its_upload_waits_for_it(app: &TestApp) {
    let alice = app.register("alice").await;
    let media = app.ctx.ids.next_id();
    let choosing = app.patch_me(&alice, json!({ "avatar_media_id": media.to_string() }));
    let announcing = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.publish(&uploaded(app, media, &alice, "image/webp"))
            .await;
    };
    let (edited, ()) = tokio::join!(choosing, announcing);
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    assert_eq!(edited.json()["avatar_url"], format!("/media/{media}"));
}

async fn only_ones_own_known_images_are_avatars(app: &TestApp) {
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let bobs = upload(app, &bob, "image/jpeg").await;
    let video = upload(app, &alice, "video/mp4").await;

    let started = Instant::now();
    for media in [
        json!(bobs.to_string()),
        json!(video.to_string()),
        json!("abc"),
    ] {
        let refused = app
            .patch_me(&alice, json!({ "avatar_media_id": media }))
            .await;
        refused.assert_error(StatusCode::BAD_REQUEST, "validation_failed");
        assert_eq!(
            refused.json()["error"]["details"]["field"],
            "avatar_media_id",
            "{media}"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "known media are refused at once: {:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let unknown = app
        .patch_me(
            &alice,
            json!({ "avatar_media_id": app.ctx.ids.next_id().to_string() }),
        )
        .await;
    unknown.assert_error(StatusCode::BAD_REQUEST, "validation_failed");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1_900) && waited < Duration::from_secs(5),
        "an unknown media is refused after about 2 s: {waited:?}"
    );
    assert_eq!(app.profile(&alice, None).await["avatar_url"], Value::Null);
}

async fn a_deleted_media_is_no_longer_the_avatar(app: &TestApp) {
    let alice = app.register("alice").await;
    let media = upload(app, &alice, "image/png").await;
    let edited = app
        .patch_me(&alice, json!({ "avatar_media_id": media.to_string() }))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    app.next_event().await;

    let deleted = Envelope::new(
        app.ctx.ids.next_id(),
        "media.deleted",
        Some(alice.id),
        json!({ "media_id": media, "owner_id": alice.id }),
    );
    app.publish(&deleted).await;
    app.publish(&deleted).await;
    app.expect_event("user.updated", &alice, updated(&alice, Value::Null))
        .await;
    assert_eq!(app.profile(&alice, None).await["avatar_url"], Value::Null);
    let cards = app.service.api().cards(&[alice.id]).await.expect("cards");
    assert_eq!(cards[0].avatar_url, None);

    // Forgotten: no longer an avatar to choose (after the short wait).
    app.patch_me(&alice, json!({ "avatar_media_id": media.to_string() }))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "validation_failed");
    // Redelivered, the deletion told nobody twice; a later edit is next.
    app.patch_me(&alice, json!({ "bio": "still here" })).await;
    let next = app.next_event().await;
    assert_eq!(next.payload["bio"], "still here", "{next:?}");
}
