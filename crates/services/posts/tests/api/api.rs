//! `PostsApi` in process (what the feed calls): bodies and the viewer's
//! reactions make, through `PostBody::view`, exactly what the REST API shows.

use std::collections::HashMap;

use chorus_core::Id;
use chorus_rpc::UsersApi;
use chorus_rpc::posts::{MAX_IDS, PostBody};
use chorus_rpc::users::UserCard;
use http::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, id_of};

fn id(text: &str) -> Id {
    text.parse().expect("an id")
}

/// Posts of every shape: media, tags, mentions, edited, repost, comments,
/// reactions of several kinds, each visibility. Answers their ids.
async fn varied_posts(app: &TestApp, alice: Id, bob: Id, carol: Id) -> Vec<Id> {
    app.users.follow(bob, alice);
    let media = [
        app.uploaded_media(alice).await,
        app.uploaded_media(alice).await,
    ];
    let rich = app
        .create_post(
            alice,
            json!({"content": "Hi #Chorus #rust @bob", "visibility": "followers",
                   "media_ids": [media[1], media[0]]}),
        )
        .await;
    let rich = id_of(&rich);
    let public = app.post_id(alice, "plain", "public").await;
    let private = app.post_id(alice, "mine only", "private").await;
    let repost = id_of(&app.create_post(bob, json!({"repost_of": public})).await);

    let edit = json!({"content": "Hi #Chorus, edited @carol"});
    app.patch(&format!("/api/v1/posts/{rich}"), alice, &edit)
        .await;
    app.comment(bob, &rich, "nice", None).await;
    app.comment(carol, &public, "ok", None).await;
    for (user, post, kind) in [
        (bob, &rich, "fire"),
        (bob, &rich, "like"),
        (alice, &rich, "like"),
        (carol, &public, "haha"),
        (alice, &private, "clap"),
        (carol, &repost, "sad"),
    ] {
        let response = app
            .put(&format!("/api/v1/posts/{post}/reactions/{kind}"), user)
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    }
    // Taken back: its kind leaves the counts.
    app.delete(&format!("/api/v1/posts/{repost}/reactions/sad"), carol)
        .await;
    [rich, public, private, repost]
        .iter()
        .map(|p| id(p))
        .collect()
}

/// Each of `posts` as `viewer` sees it through `PostsApi`, as JSON.
async fn through_the_api(
    app: &TestApp,
    viewer: Id,
    posts: &[Id],
) -> HashMap<Id, serde_json::Value> {
    let api = app.service.api();
    let bodies = api.bodies(posts).await.expect("bodies");
    let mut mine = api.reactions_of(viewer, posts).await.expect("kinds");
    let authors: Vec<Id> = bodies.iter().map(|body| body.author_id).collect();
    let cards: HashMap<Id, UserCard> = app
        .users
        .cards(&authors)
        .await
        .expect("cards")
        .into_iter()
        .map(|card| (card.id, card))
        .collect();
    bodies
        .into_iter()
        .map(|body| {
            let kinds = mine.remove(&body.id).unwrap_or_default();
            let view = body.clone().view(cards[&body.author_id].clone(), kinds);
            (body.id, serde_json::to_value(view).expect("serializes"))
        })
        .collect()
}

async fn the_api_shows_what_rest_shows(app: &TestApp) {
    let alice = app.user("alice");
    let bob = app.user("bob");
    let carol = app.user("carol");
    let posts = varied_posts(app, alice, bob, carol).await;
    app.outbox_drained().await;

    // Alice sees all four; Bob, her follower, all but the private one; Carol the public two.
    for (viewer, visible) in [(alice, 4), (bob, 3), (carol, 2)] {
        let shown = through_the_api(app, viewer, &posts).await;
        assert_eq!(shown.len(), posts.len(), "no visibility check");
        let mut compared = 0;
        for post in &posts {
            let rest = app
                .get(&format!("/api/v1/posts/{post}"), Some(viewer))
                .await;
            if rest.status == StatusCode::NOT_FOUND {
                continue; // hidden from this viewer: the caller decides that
            }
            assert_eq!(shown[post], rest.json(), "post {post} seen by {viewer}");
            compared += 1;
        }
        assert_eq!(compared, visible, "posts {viewer} sees");
    }

    let rich = through_the_api(app, bob, &posts[..1]).await;
    let rich = &rich[&posts[0]];
    assert_eq!(
        rich["my_reactions"],
        json!(["like", "fire"]),
        "sorted as posts sorts"
    );
    assert_eq!(rich["reaction_counts"], json!({"fire": 1, "like": 2}));
    assert!(rich["edited_at"].is_string());
}

#[tokio::test]
async fn bodies_and_reactions_make_what_the_rest_api_shows() {
    let app = TestApp::spawn().await;
    the_api_shows_what_rest_shows(&app).await;
}

#[tokio::test]
async fn bodies_and_reactions_make_what_the_rest_api_shows_on_postgresql() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = TestApp::spawn_on(backend).await;
    the_api_shows_what_rest_shows(&app).await;
    app.drop_schema().await;
}

#[tokio::test]
async fn bodies_and_reactions_of_skip_what_is_not_there() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let post = id(&app.post_id(alice, "one", "public").await);
    let quiet = id(&app.post_id(alice, "two", "public").await);
    app.put(&format!("/api/v1/posts/{post}/reactions/wow"), bob)
        .await;
    let api = app.service.api();

    let missing = Id(post.as_i64() + 1_000_000);
    let bodies = api
        .bodies(&[post, missing, post, quiet])
        .await
        .expect("bodies");
    let mut ids: Vec<Id> = bodies.iter().map(|body| body.id).collect();
    ids.sort();
    assert_eq!(ids, [post, quiet], "each existing post once");
    let quiet_body: &PostBody = bodies.iter().find(|b| b.id == quiet).expect("quiet");
    assert!(!quiet_body.has_reactions());
    assert!(bodies.iter().any(|b| b.id == post && b.has_reactions()));

    let mine = api.reactions_of(bob, &[post, quiet, missing]).await;
    assert_eq!(
        mine.expect("kinds"),
        HashMap::from([(post, vec!["wow".into()])])
    );
    let none = api
        .reactions_of(alice, &[post, quiet])
        .await
        .expect("kinds");
    assert!(none.is_empty());
    assert!(api.bodies(&[]).await.expect("empty").is_empty());
    assert!(api.reactions_of(bob, &[]).await.expect("empty").is_empty());
}

#[tokio::test]
async fn a_batch_past_the_limit_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let post = id(&app.post_id(alice, "one", "public").await);
    let api = app.service.api();

    let mut at_limit: Vec<Id> = (1..MAX_IDS as i64).map(Id).collect();
    at_limit.push(post);
    assert_eq!(api.bodies(&at_limit).await.expect("at the limit").len(), 1);
    api.reactions_of(alice, &at_limit)
        .await
        .expect("at the limit");

    at_limit.push(Id(i64::MAX));
    for (field, error) in [
        ("ids", api.bodies(&at_limit).await.expect_err("past it")),
        (
            "posts",
            api.reactions_of(alice, &at_limit)
                .await
                .expect_err("past it"),
        ),
    ] {
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(error.code, "validation_failed");
        let details = error.details.expect("details").to_string();
        assert!(details.contains(field), "{details}");
    }
}

/// Every page of a `bodies_after` scan, `limit` at a time, as `bodies` also
/// gives them; asserts each page is in ascending id order and resumes after
/// the last.
async fn scan(app: &TestApp, limit: usize) -> Vec<PostBody> {
    let api = app.service.api();
    let mut all: Vec<PostBody> = Vec::new();
    let mut after = None;
    loop {
        let page = api.bodies_after(after, limit).await.expect("a page");
        assert!(page.len() <= limit, "at most {limit}");
        assert!(
            page.windows(2).all(|pair| pair[0].id < pair[1].id),
            "ascending within a page"
        );
        if let (Some(last), Some(first)) = (all.last(), page.first()) {
            assert!(last.id < first.id, "each page after the one before");
        }
        let done = page.len() < limit;
        after = page.last().map(|body| body.id).or(after);
        all.extend(page);
        if done {
            return all;
        }
    }
}

async fn a_scan_walks_every_post_once(app: &TestApp) {
    let alice = app.user("alice");
    let bob = app.user("bob");
    let carol = app.user("carol");
    let mut posts = varied_posts(app, alice, bob, carol).await;
    let gone = app.post_id(bob, "soon gone", "public").await;
    let response = app.delete(&format!("/api/v1/posts/{gone}"), bob).await;
    assert!(response.status.is_success(), "{}", response.text());
    let last = app.post_id(carol, "after the deleted one", "private").await;
    posts.push(id(&last));
    posts.sort();
    let api = app.service.api();
    let mut expected = api.bodies(&posts).await.expect("bodies");
    expected.sort_by_key(|body| body.id);
    assert_eq!(expected.len(), posts.len());

    for limit in [1, 2, 3, posts.len(), MAX_IDS] {
        let scanned = scan(app, limit).await;
        assert_eq!(
            scanned, expected,
            "limit {limit}: every post once, as bodies has it"
        );
        assert!(
            scanned.iter().all(|body| body.id != id(&gone)),
            "deleted posts are absent"
        );
    }
    let visibilities: Vec<&str> = expected.iter().map(|b| b.visibility.as_str()).collect();
    for visibility in ["public", "followers", "private"] {
        assert!(visibilities.contains(&visibility), "{visibility} posts too");
    }

    let from_the_middle = api.bodies_after(Some(posts[1]), 2).await.expect("page");
    assert_eq!(from_the_middle, expected[2..4], "strictly after `after`");
    let past_the_end = api.bodies_after(posts.last().copied(), 10).await;
    assert!(past_the_end.expect("page").is_empty());
}

#[tokio::test]
async fn bodies_after_walks_every_post_once_in_id_order() {
    let app = TestApp::spawn().await;
    a_scan_walks_every_post_once(&app).await;
}

#[tokio::test]
async fn bodies_after_walks_every_post_once_in_id_order_on_postgresql() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = TestApp::spawn_on(backend).await;
    a_scan_walks_every_post_once(&app).await;
    app.drop_schema().await;
}

#[tokio::test]
async fn a_scan_limit_of_none_or_past_the_maximum_is_refused() {
    let app = TestApp::spawn().await;
    let api = app.service.api();
    for limit in [0, MAX_IDS + 1] {
        let error = api.bodies_after(None, limit).await.expect_err("refused");
        assert_eq!(error.status, StatusCode::BAD_REQUEST);
        assert_eq!(error.code, "validation_failed");
        let details = error.details.expect("details").to_string();
        assert!(details.contains("limit"), "{details}");
    }
    assert!(
        api.bodies_after(None, MAX_IDS)
            .await
            .expect("at the maximum")
            .is_empty()
    );
}
