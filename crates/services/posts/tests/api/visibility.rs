//! Who sees what: each visibility from the viewpoint of an anonymous
//! visitor, a stranger, a follower and the author; blocks hide both ways.

use chorus_core::Id;
use http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

struct Cast {
    author: Id,
    stranger: Id,
    follower: Id,
}

fn cast(app: &TestApp) -> Cast {
    let cast = Cast {
        author: app.user("author"),
        stranger: app.user("stranger"),
        follower: app.user("follower"),
    };
    app.users.follow(cast.follower, cast.author);
    // Following the other way round gives the author's posts nothing.
    app.users.follow(cast.author, cast.stranger);
    cast
}

#[tokio::test]
async fn each_visibility_shows_to_exactly_the_right_viewers() {
    let app = TestApp::spawn().await;
    let cast = cast(&app);
    let viewers = [
        ("anonymous", None),
        ("stranger", Some(cast.stranger)),
        ("follower", Some(cast.follower)),
        ("author", Some(cast.author)),
    ];
    let expected = [
        ("public", [true, true, true, true]),
        ("followers", [false, false, true, true]),
        ("private", [false, false, false, true]),
    ];
    for (visibility, sees) in expected {
        let id = app.post_id(cast.author, visibility, visibility).await;
        let path = format!("/api/v1/posts/{id}");
        for ((who, viewer), sees) in viewers.iter().zip(sees) {
            let response = app.get(&path, *viewer).await;
            match sees {
                true => assert_eq!(response.status, StatusCode::OK, "{who} sees {visibility}"),
                false => response.assert_error(StatusCode::NOT_FOUND, "not_found"),
            }
        }
    }

    // The timeline shows each viewer the same subset, newest first.
    let path = format!("/api/v1/users/{}/posts", cast.author);
    for ((who, viewer), expected) in viewers.iter().zip([
        vec!["public"],
        vec!["public"],
        vec!["followers", "public"],
        vec!["private", "followers", "public"],
    ]) {
        let page = app.get(&path, *viewer).await;
        assert_eq!(page.status, StatusCode::OK, "{who}: {}", page.text());
        let seen: Vec<String> = page.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|post| post["visibility"].as_str().expect("visibility").to_string())
            .collect();
        assert_eq!(seen, expected, "{who}");
    }
}

#[tokio::test]
async fn a_block_hides_posts_both_ways_as_not_found() {
    let app = TestApp::spawn().await;
    let blocker = app.user("blocker");
    let blocked = app.user("blocked");
    app.users.follow(blocked, blocker);
    let blockers_post = app.post_id(blocker, "by the blocker", "public").await;
    let blocked_post = app.post_id(blocked, "by the blocked", "public").await;
    app.users.block(blocker, blocked);

    for (viewer, post, author) in [
        (blocked, &blockers_post, blocker),
        (blocker, &blocked_post, blocked),
    ] {
        let path = format!("/api/v1/posts/{post}");
        app.get(&path, Some(viewer))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        app.get(&format!("/api/v1/users/{author}/posts"), Some(viewer))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        app.post(
            &format!("{path}/comments"),
            viewer,
            &json!({"content": "hi"}),
        )
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
        app.put(&format!("{path}/reactions/like"), viewer)
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        app.get(&format!("{path}/comments"), Some(viewer))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
        app.post(
            "/api/v1/posts",
            viewer,
            &json!({"content": "", "repost_of": post}),
        )
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
        app.patch(&path, viewer, &json!({"content": "x"}))
            .await
            .assert_error(StatusCode::NOT_FOUND, "not_found");
    }
    // Anyone else still sees both.
    let other = app.user("other");
    for post in [&blockers_post, &blocked_post] {
        let response = app.get(&format!("/api/v1/posts/{post}"), Some(other)).await;
        assert_eq!(response.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn making_a_post_private_hides_it_from_followers() {
    let app = TestApp::spawn().await;
    let cast = cast(&app);
    let id = app.post_id(cast.author, "soon private", "followers").await;
    let path = format!("/api/v1/posts/{id}");
    assert_eq!(
        app.get(&path, Some(cast.follower)).await.status,
        StatusCode::OK
    );
    let edited = app
        .patch(&path, cast.author, &json!({"visibility": "private"}))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text());
    app.get(&path, Some(cast.follower))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn get_posts_answers_the_visible_ones_in_the_order_asked() {
    let app = TestApp::spawn().await;
    let cast = cast(&app);
    let public = app.post_id(cast.author, "p", "public").await;
    let followers = app.post_id(cast.author, "f", "followers").await;
    let private = app.post_id(cast.author, "x", "private").await;
    let posts = app.service.app();
    let ids: Vec<Id> = [&private, &followers, &public, &followers]
        .iter()
        .map(|id| id.parse().expect("an id"))
        .chain([Id(42)])
        .collect();

    let shown = |views: Vec<chorus_posts::PostView>| -> Vec<String> {
        views.into_iter().map(|view| view.content).collect()
    };
    let for_follower = posts
        .get_posts(Some(cast.follower), &ids)
        .await
        .expect("ok");
    assert_eq!(shown(for_follower), ["f", "p", "f"]);
    let for_author = posts.get_posts(Some(cast.author), &ids).await.expect("ok");
    assert_eq!(shown(for_author), ["x", "f", "p", "f"]);
    let for_anonymous = posts.get_posts(None, &ids).await.expect("ok");
    assert_eq!(shown(for_anonymous), ["p"]);
    assert!(posts.get_posts(None, &[]).await.expect("ok").is_empty());
}
