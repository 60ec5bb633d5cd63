//! GraphQL's `feed`: the same home timeline as `GET /api/v1/feed`, in either
//! ranking, as a cursor connection whose every edge cursor continues right
//! after its node; refused to anonymous callers and bad page requests.

use serde_json::{Value, json};

use crate::client::Api;
use crate::feed::{FEED, feed_becomes, feed_contents, newest_first, post, top_becomes};
use crate::graphql::{data, error_code};
use crate::harness::Chorus;
use crate::social::User;

crate::in_both_modes!(
    the_feed_field_pages_the_rest_feed,
    the_top_ranking_matches_rest_and_edge_cursors_resume_after_their_node,
    the_feed_field_refuses_anonymous_callers_and_bad_pages,
);

const FEED_QUERY: &str = r#"
query Feed($first: Int, $after: String, $ranking: FeedRanking) {
  feed(first: $first, after: $after, ranking: $ranking) {
    edges { cursor node { content author { username } } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

/// One page of `reader`'s feed through GraphQL: its edges and page info.
async fn page(api: &Api, reader: &User, first: i32, after: Option<&str>, ranking: &str) -> Value {
    let variables = json!({ "first": first, "after": after, "ranking": ranking });
    let answer = api.graphql(Some(reader), FEED_QUERY, variables).await;
    data(&answer)["feed"].clone()
}

fn contents(edges: &Value) -> Vec<String> {
    edges
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            edge["node"]["content"]
                .as_str()
                .expect("content")
                .to_string()
        })
        .collect()
}

/// Every page of `reader`'s feed through GraphQL, `first` at a time.
async fn walk(api: &Api, reader: &User, first: i32, ranking: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..50 {
        let feed = page(api, reader, first, after.as_deref(), ranking).await;
        let edges = contents(&feed["edges"]);
        assert!(edges.len() <= first as usize, "{feed}");
        seen.extend(edges);
        if feed["pageInfo"]["hasNextPage"] != true {
            return seen;
        }
        after = Some(
            feed["pageInfo"]["endCursor"]
                .as_str()
                .expect("endCursor")
                .to_string(),
        );
    }
    panic!("the feed never ended: {seen:?}");
}

async fn the_feed_field_pages_the_rest_feed(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("gf").await;
    let reader = api.user("gf").await;
    let stranger = api.user("gf").await;
    api.follows(&reader, &author, "following").await;
    let mut posted = Vec::new();
    for n in 0..5 {
        let content = format!("gf post {n}");
        let visibility = if n == 2 { "followers" } else { "public" };
        post(&api, &author, &content, visibility).await;
        posted.push(content);
    }
    post(&api, &stranger, "not followed", "public").await;
    post(&api, &reader, "my own", "public").await;
    posted.push("my own".to_string());
    let expected = newest_first(&posted);
    feed_becomes(&api, &reader, &expected).await;

    assert_eq!(walk(&api, &reader, 2, "LATEST").await, expected);
    assert_eq!(walk(&api, &reader, 100, "LATEST").await, expected);
    let first = page(&api, &reader, 3, None, "LATEST").await;
    assert_eq!(
        first["edges"][0]["node"]["author"]["username"],
        reader.username
    );
}

async fn the_top_ranking_matches_rest_and_edge_cursors_resume_after_their_node(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("gt").await;
    let reader = api.user("gt").await;
    api.follows(&reader, &author, "following").await;
    let mut ids = Vec::new();
    let mut posted = Vec::new();
    for n in 0..6 {
        let content = format!("gt post {n}");
        ids.push(post(&api, &author, &content, "public").await);
        posted.push(content);
    }
    // Engagement lifts the oldest posts above the newer ones.
    api.new_comment(&reader, &ids[0], "first!", None).await;
    api.react(&reader, &ids[1], "like").await;
    let mut top = vec![posted[0].clone(), posted[1].clone()];
    top.extend(newest_first(&posted[2..]));
    top_becomes(&api, &reader, &top).await;
    assert_eq!(
        feed_contents(&api, &reader, "ranking=top", 100).await,
        top,
        "REST's ranking, for comparison"
    );

    assert_eq!(walk(&api, &reader, 4, "TOP").await, top);
    for ranking in ["TOP", "LATEST"] {
        let whole = page(&api, &reader, 100, None, ranking).await;
        let edges = whole["edges"].as_array().expect("edges").clone();
        let all = contents(&whole["edges"]);
        for (position, edge) in edges.iter().enumerate() {
            let cursor = edge["cursor"].as_str().expect("cursor");
            let rest = page(&api, &reader, 100, Some(cursor), ranking).await;
            assert_eq!(
                contents(&rest["edges"]),
                all[position + 1..],
                "{ranking}, after edge {position}"
            );
        }
    }
}

async fn the_feed_field_refuses_anonymous_callers_and_bad_pages(app: &Chorus) {
    let api = Api::new(&app.base);
    let reader = api.user("gr").await;
    let anonymous = api.graphql(None, FEED_QUERY, json!({ "first": 5 })).await;
    assert_eq!(error_code(&anonymous), "unauthorized");

    for first in [0, 101, -1] {
        let answer = api
            .graphql(Some(&reader), FEED_QUERY, json!({ "first": first }))
            .await;
        assert_eq!(error_code(&answer), "validation_failed", "first: {first}");
    }
    let tampered = api
        .graphql(
            Some(&reader),
            FEED_QUERY,
            json!({ "first": 5, "after": "not-a-cursor" }),
        )
        .await;
    assert_eq!(error_code(&tampered), "validation_failed");
    let bad_ranking = api
        .graphql(
            Some(&reader),
            FEED_QUERY,
            json!({ "first": 5, "ranking": "LOUDEST" }),
        )
        .await;
    assert!(
        bad_ranking.body["errors"].is_array(),
        "{}",
        bad_ranking.body
    );
    // REST agrees on the cursor.
    let rest = api
        .get(&format!("{FEED}?cursor=not-a-cursor"), reader.token())
        .await;
    assert_eq!(rest.status, reqwest::StatusCode::BAD_REQUEST);
}
