//! Hydrating a page, or answering a `PostsApi` batch, costs the same number
//! of SQL queries whatever its size: the proof counts sqlx's `sqlx::query`
//! events. Its own binary,
//! because the counting subscriber is process-wide (keep it to this one test).

#[allow(dead_code)]
#[path = "api/fake_users.rs"]
mod fake_users;
#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "api/response.rs"]
mod response;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use chorus_core::{Id, PageQuery};
use chorus_rpc::posts::MAX_IDS;
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

use helpers::{Backend, TestApp};

static QUERIES: AtomicU64 = AtomicU64::new(0);

/// Counts the statements sqlx runs, except the outbox relay's polling and
/// the set-up of a new pooled connection (`PRAGMA …`, `SET search_path …`).
struct CountQueries;

#[derive(Default)]
struct Statement(String);

impl Visit for Statement {
    fn record_str(&mut self, field: &Field, value: &str) {
        if matches!(field.name(), "summary" | "db.statement") {
            self.0.push_str(value);
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

impl<S: Subscriber> Layer<S> for CountQueries {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut statement = Statement::default();
        event.record(&mut statement);
        let ignored = ["chorus_outbox", "PRAGMA", "SET search_path"];
        if !ignored.iter().any(|skip| statement.0.contains(skip)) {
            QUERIES.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn install_counter() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(CountQueries);
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    });
}

async fn queries_of<F: Future>(work: F) -> (u64, F::Output) {
    let before = QUERIES.load(Ordering::SeqCst);
    let output = work.await;
    (QUERIES.load(Ordering::SeqCst) - before, output)
}

/// `count` posts by different authors, each with a reaction by `viewer` and a media.
async fn busy_posts(app: &TestApp, viewer: Id, count: usize) -> Vec<Id> {
    let mut ids = Vec::new();
    for n in 0..count {
        let author = app.user(&format!("author_{count}_{n}"));
        let media = app.uploaded_media(author).await;
        let post = app
            .create_post(
                author,
                json!({"content": format!("#n{n}"), "media_ids": [media]}),
            )
            .await;
        let id = helpers::id_of(&post);
        app.put(&format!("/api/v1/posts/{id}/reactions/like"), viewer)
            .await;
        ids.push(id.parse().expect("an id"));
    }
    ids
}

async fn hydration_is_constant(app: &TestApp) -> (u64, u64) {
    let viewer = app.user("viewer");
    let small = busy_posts(app, viewer, 5).await;
    let large = busy_posts(app, viewer, 20).await;
    app.outbox_drained().await;
    let posts = app.service.app();

    let (for_small, views) = queries_of(posts.get_posts(Some(viewer), &small)).await;
    assert_eq!(views.expect("ok").len(), 5);
    let (for_large, views) = queries_of(posts.get_posts(Some(viewer), &large)).await;
    let views = views.expect("ok");
    assert_eq!(views.len(), 20);
    assert!(
        views
            .iter()
            .all(|v| v.my_reactions == ["like"] && v.media.len() == 1)
    );
    assert!(for_small > 0, "sqlx reports its queries");
    assert_eq!(for_small, for_large, "get_posts: 5 and 20 posts cost alike");

    // `PostsApi`: posts, counts and media in one query each; the viewer's
    // kinds in one; a full batch (mostly missing ids) no more.
    let api = app.service.api();
    let mut full = large.clone();
    full.extend((1..=(MAX_IDS - large.len()) as i64).map(Id));
    for ids in [&small, &large, &full] {
        let (bodies, found) = queries_of(api.bodies(ids)).await;
        assert_eq!(found.expect("bodies").len(), ids.len().min(20));
        assert_eq!(bodies, 3, "bodies of {} ids", ids.len());
        let (kinds, found) = queries_of(api.reactions_of(viewer, ids)).await;
        assert_eq!(found.expect("kinds").len(), ids.len().min(20));
        assert_eq!(kinds, 1, "reactions_of {} ids", ids.len());
    }

    // A scan page: the posts, then their counts and media, one query each.
    let all = small.len() + large.len();
    for limit in [5, MAX_IDS] {
        let (scan, page) = queries_of(api.bodies_after(None, limit)).await;
        assert_eq!(page.expect("a page").len(), limit.min(all));
        assert_eq!(scan, 3, "bodies_after, limit {limit}");
    }

    // A timeline page: 5 or 20 posts of one author.
    let author = app.user("prolific");
    for n in 0..25 {
        app.create_post(author, json!({"content": format!("post {n}")}))
            .await;
    }
    app.outbox_drained().await;
    let (page_of_5, page) =
        queries_of(posts.user_posts(Some(viewer), author, PageQuery::first(5))).await;
    assert_eq!(page.expect("ok").items.len(), 5);
    let (page_of_20, page) =
        queries_of(posts.user_posts(Some(viewer), author, PageQuery::first(20))).await;
    assert_eq!(page.expect("ok").items.len(), 20);
    assert_eq!(
        page_of_5, page_of_20,
        "user_posts: 5 and 20 posts cost alike"
    );
    (for_large, page_of_20)
}

#[tokio::test]
async fn a_page_costs_a_constant_number_of_queries() {
    install_counter();
    let app = TestApp::spawn().await;
    let (get_posts, timeline) = hydration_is_constant(&app).await;
    eprintln!("SQLite: get_posts {get_posts} queries, user_posts {timeline} queries");

    if let Some(backend) = Backend::postgres() {
        let app = TestApp::spawn_on(backend).await;
        let (get_posts, timeline) = hydration_is_constant(&app).await;
        eprintln!("PostgreSQL: get_posts {get_posts} queries, user_posts {timeline} queries");
        app.drop_schema().await;
    }
}
