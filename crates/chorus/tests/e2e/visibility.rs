//! Who sees which post: public, followers-only and private posts from the
//! viewpoint of an anonymous client, a stranger, a follower and the author,
//! through every route that shows a post or what hangs off it. Hidden is
//! 404, never 403.

use reqwest::StatusCode;
use serde_json::json;

use crate::client::Api;
use crate::harness::Chorus;
use crate::social::{User, assert_error, id_of, ids, items, token_of};

crate::in_both_modes!(
    the_visibility_matrix_holds_on_every_route,
    following_and_unfollowing_change_what_one_sees_at_once,
);

async fn the_visibility_matrix_holds_on_every_route(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("vis").await;
    let follower = api.user("vis").await;
    let stranger = api.user("vis").await;
    api.follows(&follower, &author, "following").await;

    let mut posts = Vec::new();
    for visibility in ["public", "followers", "private"] {
        let id = id_of(&api.new_post(&author, visibility, visibility).await);
        api.new_comment(&author, &id, "a note", None).await;
        assert_eq!(api.react(&author, &id, "like").await.status, StatusCode::OK);
        posts.push((visibility, id));
    }

    let viewers: [(&str, Option<&User>, &[&str]); 4] = [
        ("anonymous", None, &["public"]),
        ("a stranger", Some(&stranger), &["public"]),
        ("a follower", Some(&follower), &["public", "followers"]),
        (
            "the author",
            Some(&author),
            &["public", "followers", "private"],
        ),
    ];
    for (who, viewer, visible) in viewers {
        let token = token_of(viewer);
        for (visibility, id) in &posts {
            let sees = visible.contains(visibility);
            let what = |route: &str| format!("{who}, {visibility} post, {route}");
            let routes = [
                format!("/api/v1/posts/{id}"),
                format!("/api/v1/posts/{id}/comments"),
                format!("/api/v1/posts/{id}/reactions"),
            ];
            for route in &routes {
                let answer = api.get(route, token).await;
                if sees {
                    assert_eq!(
                        answer.status,
                        StatusCode::OK,
                        "{}: {}",
                        what(route),
                        answer.body
                    );
                } else {
                    assert_error(&answer, StatusCode::NOT_FOUND, "not_found", &what(route));
                }
            }
            if sees {
                let post = api.get_post(id, viewer).await.body;
                assert_eq!(post["comment_count"], 1, "{post}");
                assert_eq!(post["reaction_counts"], json!({ "like": 1 }), "{post}");
                let comments = items(&api.get(&routes[1], token).await);
                assert_eq!(comments.len(), 1, "{}", what("comments"));
                let reactions = items(&api.get(&routes[2], token).await);
                assert_eq!(reactions.len(), 1, "{}", what("reactions"));
                assert_eq!(reactions[0]["kind"], "like");
                assert_eq!(reactions[0]["user"]["id"], author.id.as_str());
                assert!(reactions[0]["created_at"].is_string());
            }
        }

        let timeline = items(
            &api.get(&format!("/api/v1/users/{}/posts", author.id), token)
                .await,
        );
        let shown: Vec<String> = timeline
            .iter()
            .map(|p| p["visibility"].as_str().expect("visibility").to_string())
            .collect();
        // Posts were created public, followers, private: newest first reverses that.
        let expected: Vec<&str> = visible.iter().rev().copied().collect();
        assert_eq!(
            shown, expected,
            "{who}: the author's timeline, newest first"
        );
    }

    // Writing to a post one cannot see is a 404 too.
    for (visibility, id) in &posts[1..] {
        let comment = api
            .comment(&stranger, id, &json!({ "content": "hi" }))
            .await;
        assert_error(&comment, StatusCode::NOT_FOUND, "not_found", visibility);
        let react = api.react(&stranger, id, "love").await;
        assert_error(&react, StatusCode::NOT_FOUND, "not_found", visibility);
    }
    let private = &posts[2].1;
    let comment = api
        .comment(&follower, private, &json!({ "content": "hi" }))
        .await;
    assert_error(
        &comment,
        StatusCode::NOT_FOUND,
        "not_found",
        "a follower, private",
    );
    let anonymous = api
        .post(
            &format!("/api/v1/posts/{}/comments", posts[0].1),
            None,
            &json!({ "content": "hi" }),
        )
        .await;
    assert_error(
        &anonymous,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "an anonymous comment",
    );
}

async fn following_and_unfollowing_change_what_one_sees_at_once(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("vf").await;
    let reader = api.user("vf").await;
    let post = id_of(&api.new_post(&author, "for my followers", "followers").await);
    let timeline = format!("/api/v1/users/{}/posts", author.id);

    assert_eq!(
        api.get_post(&post, Some(&reader)).await.status,
        StatusCode::NOT_FOUND
    );
    api.follows(&reader, &author, "following").await;
    assert_eq!(
        api.get_post(&post, Some(&reader)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        ids(&items(&api.get(&timeline, reader.token()).await)),
        [post.as_str()]
    );

    api.unfollow(&reader, &author.id).await;
    assert_eq!(
        api.get_post(&post, Some(&reader)).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(items(&api.get(&timeline, reader.token()).await).is_empty());
}
