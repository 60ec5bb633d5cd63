//! Reads answer what REST answers, to the same people.

use chorus_core::Id;
use serde_json::{Value, json};

use crate::support::{TestApp, id};

const POST: &str =
    "query($id: ID!) { post(id: $id) { id content visibility author { id username } } }";

async fn post_as(app: &TestApp, viewer: Option<Id>, post: Id) -> Value {
    app.gql(viewer, POST, json!({ "id": post.to_string() }))
        .await
        .data()["post"]
        .clone()
}

#[tokio::test]
async fn a_followers_only_post_is_null_for_a_stranger_and_shown_to_a_follower() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let follower = app.user("bob");
    let stranger = app.user("carol");
    app.users.follow_now(follower, alice);
    let post = app.post(alice, "for my followers", "followers").await;

    assert_eq!(post_as(&app, Some(stranger), post).await, Value::Null);
    assert_eq!(post_as(&app, None, post).await, Value::Null);
    // The same refusal REST gives: 404.
    let rest = app.posts.get_post(Some(stranger), post).await;
    assert_eq!(rest.expect_err("hidden").code, "not_found");

    let shown = post_as(&app, Some(follower), post).await;
    assert_eq!(id(&shown["id"]), post);
    assert_eq!(shown["content"], "for my followers");
    assert_eq!(shown["visibility"], "followers");
    assert_eq!(shown["author"]["username"], "alice");
    assert_eq!(id(&post_as(&app, Some(alice), post).await["id"]), post);
}

#[tokio::test]
async fn timelines_hold_only_what_the_viewer_may_see() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let follower = app.user("bob");
    let stranger = app.user("carol");
    app.users.follow_now(follower, alice);
    for visibility in ["public", "followers", "private"] {
        app.post(alice, &format!("a {visibility} post"), visibility)
            .await;
    }
    let query = "query($id: ID!) {
        userPosts(userId: $id) { nodes { visibility } }
        user(id: $id) { posts { nodes { visibility } } }
    }";
    let seen = |body: &Value, field: &str| -> Vec<String> {
        let nodes = match field {
            "userPosts" => &body["userPosts"]["nodes"],
            _ => &body["user"]["posts"]["nodes"],
        };
        nodes
            .as_array()
            .expect("nodes")
            .iter()
            .map(|node| node["visibility"].as_str().expect("visibility").to_string())
            .collect()
    };
    for (viewer, expected) in [
        (None, vec!["public"]),
        (Some(stranger), vec!["public"]),
        (Some(follower), vec!["followers", "public"]),
        (Some(alice), vec!["private", "followers", "public"]),
    ] {
        let answer = app
            .gql(viewer, query, json!({ "id": alice.to_string() }))
            .await;
        let data = answer.data();
        assert_eq!(seen(data, "userPosts"), expected, "{viewer:?}");
        assert_eq!(seen(data, "user"), expected, "{viewer:?}");
    }
}

#[tokio::test]
async fn a_block_hides_the_user_their_posts_and_their_timeline() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let blocked = app.user("mallory");
    app.users.block(alice, blocked);
    let post = app
        .post(alice, "public, but not for mallory", "public")
        .await;

    assert_eq!(post_as(&app, Some(blocked), post).await, Value::Null);
    let user = app
        .gql(
            Some(blocked),
            "query($id: ID) { user(id: $id) { id } }",
            json!({ "id": alice.to_string() }),
        )
        .await;
    assert_eq!(user.data()["user"], Value::Null);

    let timeline = app
        .gql(
            Some(blocked),
            "query($id: ID!) { userPosts(userId: $id) { nodes { id } } }",
            json!({ "id": alice.to_string() }),
        )
        .await;
    assert_eq!(timeline.status, 200);
    assert_eq!(timeline.error_code(), "not_found");
    assert_eq!(timeline.error_status(), 404);
    assert_eq!(timeline.body["data"], Value::Null);
}

#[tokio::test]
async fn the_viewer_and_users_by_id_or_username() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    app.users.follow_now(bob, alice);

    let anonymous = app.gql(None, "{ viewer { id } }", json!({})).await;
    assert_eq!(anonymous.data()["viewer"], Value::Null);
    let me = app
        .gql(Some(bob), "{ viewer { id username } }", json!({}))
        .await;
    assert_eq!(id(&me.data()["viewer"]["id"]), bob);

    let query = "query($id: ID, $name: String) {
        user(id: $id, username: $name) {
            id username displayName bio avatarUrl isPrivate followersCount followingCount
            postsCount createdAt
            relationship { following followedBy followRequested friends friendRequest blocking }
        }
    }";
    let by_name = app.gql(Some(bob), query, json!({ "name": "ALICE" })).await;
    let user = &by_name.data()["user"];
    assert_eq!(id(&user["id"]), alice);
    assert_eq!(user["displayName"], "alice (display)");
    assert_eq!(user["followersCount"], 1);
    assert_eq!(user["relationship"]["following"], true);
    assert_eq!(user["relationship"]["followedBy"], false);
    assert!(user["createdAt"].as_str().expect("time").ends_with('Z'));

    let by_id = app
        .gql(None, query, json!({ "id": alice.to_string() }))
        .await;
    assert_eq!(by_id.data()["user"]["username"], "alice");
    assert_eq!(
        by_id.data()["user"]["relationship"],
        Value::Null,
        "anonymous"
    );

    for missing in [
        json!({ "id": "not-an-id" }),
        json!({ "id": "42" }),
        json!({ "name": "nobody" }),
    ] {
        let answer = app.gql(None, query, missing).await;
        assert_eq!(answer.data()["user"], Value::Null);
    }
    let neither = app.gql(None, query, json!({})).await;
    assert_eq!(neither.error_code(), "validation_failed");
}

#[tokio::test]
async fn a_post_shows_its_author_counts_reactions_comments_and_original() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let carol = app.user("carol");
    let original = app.post(alice, "hello #Chorus @bob", "public").await;
    app.react(bob, original, "like").await;
    app.react(carol, original, "like").await;
    app.react(bob, original, "fire").await;
    app.comment(bob, original, "first").await;
    app.comment(carol, original, "second").await;
    let repost = app.repost(bob, original).await;

    let query = "query($id: ID!) { post(id: $id) {
        id author { username } repostOf {
            id content hashtags mentions author { username followersCount }
            reactionCounts { kind count } myReactions commentCount repostCount createdAt editedAt
            comments(first: 10) { nodes { content postId parentId author { username } } }
        }
    } }";
    let answer = app
        .gql(Some(bob), query, json!({ "id": repost.to_string() }))
        .await;
    let post = &answer.data()["post"];
    assert_eq!(post["author"]["username"], "bob");
    let original_view = &post["repostOf"];
    assert_eq!(id(&original_view["id"]), original);
    assert_eq!(original_view["hashtags"], json!(["chorus"]));
    assert_eq!(original_view["mentions"], json!(["bob"]));
    assert_eq!(original_view["author"]["username"], "alice");
    assert_eq!(
        original_view["reactionCounts"],
        json!([{ "kind": "like", "count": 2 }, { "kind": "fire", "count": 1 }])
    );
    assert_eq!(original_view["myReactions"], json!(["like", "fire"]));
    assert_eq!(original_view["commentCount"], 2);
    assert_eq!(original_view["repostCount"], 1);
    assert_eq!(original_view["editedAt"], Value::Null);
    let comments = original_view["comments"]["nodes"]
        .as_array()
        .expect("comments");
    let texts: Vec<&str> = comments
        .iter()
        .map(|c| c["content"].as_str().expect("text"))
        .collect();
    assert_eq!(texts, ["first", "second"], "oldest first");
    assert_eq!(id(&comments[0]["postId"]), original);
    assert_eq!(comments[1]["author"]["username"], "carol");
    assert_eq!(comments[0]["parentId"], Value::Null);
}
