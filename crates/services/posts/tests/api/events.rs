//! The events posts publishes carry the documented payloads.

use chorus_core::Envelope;
use http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, id_of};
use crate::response::{next_event, no_more_events};

const ALL: &[&str] = &["post.*", "comment.*"];

fn assert_event(event: &Envelope, kind: &str, actor: chorus_core::Id, payload: Value) {
    assert_eq!(event.kind, kind);
    assert_eq!(event.actor, Some(actor), "{kind}");
    assert_eq!(event.payload, payload, "{kind}");
}

#[tokio::test]
async fn post_created_updated_and_deleted() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let media = app.uploaded_media(alice).await;
    let mut events = app.events(ALL).await;

    let post = app
        .create_post(
            alice,
            json!({"content": "Hi #Tag @BOB", "visibility": "followers", "media_ids": [media]}),
        )
        .await;
    let id = id_of(&post);
    assert_event(
        &next_event(&mut events).await,
        "post.created",
        alice,
        json!({
            "post_id": id, "author_id": alice.to_string(), "content": "Hi #Tag @BOB",
            "visibility": "followers", "hashtags": ["tag"],
            "mentions": [{"user_id": bob.to_string(), "username": "bob"}],
            "media_ids": [media.to_string()], "repost_of": null,
            "created_at": post["created_at"],
        }),
    );

    let edited = app
        .patch(
            &format!("/api/v1/posts/{id}"),
            alice,
            &json!({"content": "Bye #new", "visibility": "public"}),
        )
        .await
        .json();
    assert_event(
        &next_event(&mut events).await,
        "post.updated",
        alice,
        json!({
            "post_id": id, "author_id": alice.to_string(), "content": "Bye #new",
            "visibility": "public", "previous_visibility": "followers", "hashtags": ["new"],
            "mentions": [], "media_ids": [media.to_string()], "edited_at": edited["edited_at"],
        }),
    );

    assert_eq!(
        app.delete(&format!("/api/v1/posts/{id}"), alice)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_event(
        &next_event(&mut events).await,
        "post.deleted",
        alice,
        json!({"post_id": id, "author_id": alice.to_string(), "repost_of": null}),
    );
    no_more_events(&mut events).await;
}

#[tokio::test]
async fn a_repost_announces_itself_twice() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let original = app.post_id(alice, "o", "public").await;
    let mut events = app.events(ALL).await;

    let repost = app.create_post(bob, json!({"repost_of": original})).await;
    let created = next_event(&mut events).await;
    assert_eq!(created.kind, "post.created");
    assert_eq!(
        created.payload["repost_of"],
        json!({"post_id": original, "author_id": alice.to_string()})
    );
    assert_event(
        &next_event(&mut events).await,
        "post.reposted",
        bob,
        json!({
            "post_id": original, "original_author_id": alice.to_string(),
            "repost_id": id_of(&repost), "user_id": bob.to_string(),
        }),
    );
    app.delete(&format!("/api/v1/posts/{}", id_of(&repost)), bob)
        .await;
    let deleted = next_event(&mut events).await;
    assert_eq!(deleted.payload["repost_of"], json!(original));
}

#[tokio::test]
async fn comments_created_and_deleted_with_their_replies() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let carol = app.user("carol");
    let post = app.post_id(alice, "p", "followers").await;
    app.users.follow(bob, alice);
    app.users.follow(carol, alice);
    let mut events = app.events(ALL).await;

    let top = app.comment(bob, &post, "top", None).await;
    assert_event(
        &next_event(&mut events).await,
        "comment.created",
        bob,
        json!({
            "comment_id": top, "post_id": post, "post_author_id": alice.to_string(),
            "author_id": bob.to_string(), "parent_id": null, "parent_author_id": null,
            "content": "top", "mentions": [], "post_visibility": "followers",
        }),
    );
    let reply = app
        .comment(carol, &post, "hey @alice @nobody", Some(&top))
        .await;
    assert_event(
        &next_event(&mut events).await,
        "comment.created",
        carol,
        json!({
            "comment_id": reply, "post_id": post, "post_author_id": alice.to_string(),
            "author_id": carol.to_string(), "parent_id": top,
            "parent_author_id": bob.to_string(), "content": "hey @alice @nobody",
            "mentions": [{"user_id": alice.to_string(), "username": "alice"}],
            "post_visibility": "followers",
        }),
    );

    app.delete(&format!("/api/v1/comments/{top}"), alice).await;
    let mut deleted = [next_event(&mut events).await, next_event(&mut events).await];
    deleted.sort_by_key(|e| e.payload["comment_id"].as_str().map(String::from));
    assert_event(
        &deleted[0],
        "comment.deleted",
        alice,
        json!({"comment_id": top, "post_id": post, "author_id": bob.to_string(),
               "post_author_id": alice.to_string()}),
    );
    assert_event(
        &deleted[1],
        "comment.deleted",
        alice,
        json!({"comment_id": reply, "post_id": post, "author_id": carol.to_string(),
               "post_author_id": alice.to_string()}),
    );
    no_more_events(&mut events).await;
}

#[tokio::test]
async fn post_reacted_and_unreacted_only_when_a_reaction_changed() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let post = app.post_id(alice, "p", "public").await;
    let mut events = app.events(ALL).await;
    let like = format!("/api/v1/posts/{post}/reactions/like");

    app.put(&like, bob).await;
    assert_event(
        &next_event(&mut events).await,
        "post.reacted",
        bob,
        json!({"post_id": post, "post_author_id": alice.to_string(), "user_id": bob.to_string(),
               "kind": "like", "post_visibility": "public"}),
    );
    app.put(&like, bob).await;
    app.delete(&like, bob).await;
    assert_event(
        &next_event(&mut events).await,
        "post.unreacted",
        bob,
        json!({"post_id": post, "post_author_id": alice.to_string(), "user_id": bob.to_string(),
               "kind": "like"}),
    );
    // Taking back a reaction that is not there changes nothing.
    app.delete(&like, bob).await;
    app.delete(&format!("/api/v1/posts/{post}/reactions/fire"), bob)
        .await;
    no_more_events(&mut events).await;
}
