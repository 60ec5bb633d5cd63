//! Connections page with the REST cursors, forward only.

use chorus_core::Id;
use serde_json::{Value, json};

use crate::support::{TestApp, id};

const TIMELINE: &str = "query($id: ID!, $first: Int, $after: String) {
    userPosts(userId: $id, first: $first, after: $after) {
        edges { cursor node { id } }
        nodes { id }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
}";

#[tokio::test]
async fn a_timeline_pages_through_every_post_once_newest_first() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let mut made = Vec::new();
    for n in 0..45 {
        made.push(app.post(alice, &format!("post {n}"), "public").await);
    }
    made.reverse();

    let mut seen: Vec<Id> = Vec::new();
    let mut after: Option<String> = None;
    let mut sizes = Vec::new();
    loop {
        let variables = json!({ "id": alice.to_string(), "first": 20, "after": after });
        let answer = app.gql(None, TIMELINE, variables).await;
        let page = &answer.data()["userPosts"];
        let edges = page["edges"].as_array().expect("edges");
        let nodes = page["nodes"].as_array().expect("nodes");
        assert_eq!(edges.len(), nodes.len());
        sizes.push(edges.len());
        for (edge, node) in edges.iter().zip(nodes) {
            assert_eq!(edge["node"]["id"], node["id"]);
            seen.push(id(&node["id"]));
        }
        let info = &page["pageInfo"];
        assert_eq!(info["hasPreviousPage"], false);
        assert_eq!(info["startCursor"], edges[0]["cursor"]);
        // The last edge's cursor continues where the page's end cursor does.
        assert_eq!(info["endCursor"], edges[edges.len() - 1]["cursor"]);
        if info["hasNextPage"] == false {
            break;
        }
        after = Some(info["endCursor"].as_str().expect("cursor").to_string());
    }
    assert_eq!(sizes, [20, 20, 5]);
    assert_eq!(seen, made, "each post once, newest first");
}

#[tokio::test]
async fn page_sizes_and_cursors_are_checked() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    app.post(alice, "one", "public").await;
    for (first, after, field) in [
        (json!(0), Value::Null, "first"),
        (json!(101), Value::Null, "first"),
        (json!(-5), Value::Null, "first"),
        (json!(10), json!("not-a-cursor"), "cursor"),
    ] {
        let variables = json!({ "id": alice.to_string(), "first": first, "after": after });
        let answer = app.gql(None, TIMELINE, variables).await;
        assert_eq!(answer.error_code(), "validation_failed", "{}", answer.body);
        assert_eq!(
            answer.body["errors"][0]["extensions"]["details"]["field"],
            field
        );
    }
    let default = app
        .gql(None, TIMELINE, json!({ "id": alice.to_string() }))
        .await;
    assert_eq!(
        default.data()["userPosts"]["nodes"]
            .as_array()
            .expect("nodes")
            .len(),
        1
    );
    assert_eq!(
        default.data()["userPosts"]["pageInfo"]["hasNextPage"],
        false
    );
}

#[tokio::test]
async fn comments_page_oldest_first() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let post = app.post(alice, "discuss", "public").await;
    for n in 0..7 {
        app.comment(bob, post, &format!("comment {n}")).await;
    }
    let query = "query($id: ID!, $after: String) { post(id: $id) {
        comments(first: 3, after: $after) { nodes { content } pageInfo { hasNextPage endCursor } }
    } }";
    let mut texts = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let answer = app
            .gql(
                None,
                query,
                json!({ "id": post.to_string(), "after": after }),
            )
            .await;
        let page = &answer.data()["post"]["comments"];
        for node in page["nodes"].as_array().expect("nodes") {
            texts.push(node["content"].as_str().expect("text").to_string());
        }
        if page["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = Some(
            page["pageInfo"]["endCursor"]
                .as_str()
                .expect("cursor")
                .to_string(),
        );
    }
    let expected: Vec<String> = (0..7).map(|n| format!("comment {n}")).collect();
    assert_eq!(texts, expected);
}
