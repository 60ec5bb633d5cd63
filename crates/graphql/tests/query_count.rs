//! A page of posts with their authors, counts and reposted originals costs
//! the same number of SQL statements and `UsersApi` calls whether it holds 5
//! posts or 20: authors come through one batched `profiles` call, originals
//! through one `get_posts`, and the posts service hydrates a page in a fixed
//! number of queries.
//!
//! Its own binary: the statement count is process-wide, so nothing else may
//! run queries meanwhile (the service's outbox relay is stopped first).

#[path = "support/mod.rs"]
mod support;

use chorus_core::Id;
use serde_json::json;

use support::{Backend, TestApp};

/// Posts with their authors and counts.
const PAGE: &str = "query($id: ID!, $first: Int) {
    userPosts(userId: $id, first: $first) {
        edges { cursor node {
            id content createdAt
            author { id username displayName followersCount relationship { following } }
            reactionCounts { kind count } myReactions commentCount repostCount
        } }
        pageInfo { hasNextPage endCursor }
    }
}";

/// The same, with each repost's original and its author.
const PAGE_WITH_ORIGINALS: &str = "query($id: ID!, $first: Int) {
    userPosts(userId: $id, first: $first) {
        edges { cursor node {
            id content createdAt
            author { id username displayName followersCount relationship { following } }
            reactionCounts { kind count } myReactions commentCount repostCount
            repostOf { id author { username } reactionCounts { kind count } commentCount }
        } }
        pageInfo { hasNextPage endCursor }
    }
}";

/// What one page costs: SQL statements and `UsersApi` calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cost {
    queries: u64,
    user_calls: usize,
}

async fn page_cost(app: &TestApp, query: &str, viewer: Id, author: Id, first: usize) -> Cost {
    app.users.reset_calls();
    let before = chorus_telemetry::db_queries();
    let answer = app
        .gql(
            Some(viewer),
            query,
            json!({ "id": author.to_string(), "first": first }),
        )
        .await;
    let queries = chorus_telemetry::db_queries() - before;
    let edges = answer.data()["userPosts"]["edges"]
        .as_array()
        .expect("edges")
        .len();
    assert_eq!(edges, first, "a full page");
    Cost {
        queries,
        user_calls: app.users.total_calls(),
    }
}

/// 30 posts by alice: every third a repost of one of bob's, with reactions
/// and comments here and there. The viewer (and bob) follow alice.
async fn seeded(backend: Backend) -> (TestApp, Id, Id) {
    let app = TestApp::spawn_on(backend).await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let viewer = app.user("carol");
    app.users.follow_now(viewer, alice);
    app.users.follow_now(bob, alice);
    for n in 0..30 {
        let post = if n % 3 == 0 {
            let original = app
                .post(bob, &format!("original {n} #chorus"), "public")
                .await;
            app.react(viewer, original, "like").await;
            app.repost(alice, original).await
        } else {
            app.post(alice, &format!("post {n} for @bob"), "followers")
                .await
        };
        if n % 2 == 0 {
            app.react(viewer, post, "fire").await;
            app.react(bob, post, "like").await;
            app.comment(bob, post, "nice").await;
        }
    }
    (app, alice, viewer)
}

async fn measure(name: &str, backend: Backend) {
    let (app, alice, viewer) = seeded(backend).await;
    app.quiesce().await;
    for (what, query) in [
        ("posts", PAGE),
        ("posts with originals", PAGE_WITH_ORIGINALS),
    ] {
        // Warm up: the pools open the connections a page needs (their setup is counted too).
        for first in [5, 20, 5, 20] {
            page_cost(&app, query, viewer, alice, first).await;
        }
        let small = page_cost(&app, query, viewer, alice, 5).await;
        let large = page_cost(&app, query, viewer, alice, 20).await;
        let calls = app.users.calls();
        println!(
            "{name}: a page of 5 {what} costs {} SQL statements and {} UsersApi calls; \
             a page of 20 costs {} and {} ({calls:?})",
            small.queries, small.user_calls, large.queries, large.user_calls
        );
        assert!(small.queries > 0, "the counter counts");
        assert_eq!(
            small, large,
            "a page of {what} costs the same whatever its size"
        );
    }
    app.drop_schema().await;
}

#[tokio::test]
async fn a_page_of_twenty_costs_what_a_page_of_five_does() {
    assert!(
        chorus_telemetry::install_query_counting(),
        "this binary installs the only global subscriber"
    );
    measure("sqlite", Backend::Sqlite).await;
    if let Some(postgres) = Backend::postgres() {
        measure("postgres", postgres).await;
    }
}
