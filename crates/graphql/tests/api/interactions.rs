//! Comments, reactions and follows through GraphQL mutations.

use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn comments_and_reactions() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let post = app.post(alice, "hello", "public").await.to_string();

    let add = "mutation($post: ID!, $content: String!, $parent: ID) {
        addComment(postId: $post, content: $content, parentId: $parent) { id postId parentId content author { username } } }";
    let first = app
        .gql(Some(bob), add, json!({ "post": post, "content": "nice" }))
        .await;
    let comment = first.data()["addComment"].clone();
    assert_eq!(comment["author"]["username"], "bob");
    assert_eq!(comment["postId"], json!(post));
    let reply = app
        .gql(
            Some(alice),
            add,
            json!({ "post": post, "content": "thanks", "parent": comment["id"] }),
        )
        .await;
    assert_eq!(reply.data()["addComment"]["parentId"], comment["id"]);

    let edit =
        "mutation($id: ID!) { editComment(id: $id, content: \"very nice\") { content editedAt } }";
    assert_eq!(
        app.gql(Some(alice), edit, json!({ "id": comment["id"] }))
            .await
            .error_code(),
        "forbidden"
    );
    let edited = app
        .gql(Some(bob), edit, json!({ "id": comment["id"] }))
        .await;
    assert_eq!(edited.data()["editComment"]["content"], "very nice");

    // The post's author may delete a comment on it; its reply goes with it.
    let delete = "mutation($id: ID!) { deleteComment(id: $id) }";
    assert_eq!(
        app.gql(Some(alice), delete, json!({ "id": comment["id"] }))
            .await
            .data()["deleteComment"],
        true
    );
    let count = app
        .gql(
            None,
            "query($id: ID!) { post(id: $id) { commentCount } }",
            json!({ "id": post }),
        )
        .await;
    assert_eq!(count.data()["post"]["commentCount"], 0);

    let react = "mutation($id: ID!, $kind: String!) { react(postId: $id, kind: $kind) { counts { kind count } mine } }";
    let unreact = "mutation($id: ID!, $kind: String!) { unreact(postId: $id, kind: $kind) { counts { kind count } mine } }";
    app.gql(Some(bob), react, json!({ "id": post, "kind": "fire" }))
        .await
        .data();
    let twice = app
        .gql(Some(bob), react, json!({ "id": post, "kind": "like" }))
        .await;
    assert_eq!(
        twice.data()["react"],
        json!({ "counts": [{ "kind": "like", "count": 1 }, { "kind": "fire", "count": 1 }], "mine": ["like", "fire"] })
    );
    let again = app
        .gql(Some(bob), react, json!({ "id": post, "kind": "like" }))
        .await;
    assert_eq!(again.data()["react"]["counts"][0]["count"], 1, "idempotent");
    let undone = app
        .gql(Some(bob), unreact, json!({ "id": post, "kind": "like" }))
        .await;
    assert_eq!(
        undone.data()["unreact"],
        json!({ "counts": [{ "kind": "fire", "count": 1 }], "mine": ["fire"] })
    );
}

#[tokio::test]
async fn follow_and_unfollow_go_to_the_users_service() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let private = app.user("hermit");
    app.users.make_private(private);

    let follow = "mutation($id: ID!) { follow(userId: $id) }";
    let unfollow = "mutation($id: ID!) { unfollow(userId: $id) }";
    let followed = app
        .gql(Some(bob), follow, json!({ "id": alice.to_string() }))
        .await;
    assert_eq!(followed.data()["follow"], "following");
    assert!(app.users.follows(bob, alice));
    let requested = app
        .gql(Some(bob), follow, json!({ "id": private.to_string() }))
        .await;
    assert_eq!(requested.data()["follow"], "requested");
    let unfollowed = app
        .gql(Some(bob), unfollow, json!({ "id": alice.to_string() }))
        .await;
    assert_eq!(unfollowed.data()["unfollow"], true);
    assert!(!app.users.follows(bob, alice));

    let yourself = app
        .gql(Some(bob), follow, json!({ "id": bob.to_string() }))
        .await;
    assert_eq!(yourself.error_code(), "validation_failed");
    let nobody = app.gql(Some(bob), follow, json!({ "id": "77" })).await;
    assert_eq!(nobody.error_code(), "not_found");
}
