//! The benchmark-only `/wrk2-api/*` routes in front of a fake Chorus that
//! records what it is asked: the translation into public API calls, the
//! identity they carry, and DeathStarBench's answers.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{FromRef, Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chorus_core::{ApiError, Id, Identity, IdentityKey};
use chorus_gateway::{Backend, GatewayConfig, GatewayDeps, Upstream};
use chorus_ports::cache::MemoryCache;
use chorus_telemetry::Readiness;
use http::header::CONTENT_TYPE;
use http::{Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::helpers::{assert_error, body_of, document, identity_key, request, token_keys};

/// What the fake Chorus holds and what it was asked.
#[derive(Default)]
struct Fake {
    /// (id, username), ids from 1001.
    accounts: Vec<(i64, String)>,
    signups: Vec<Value>,
    /// (method, follower, followee).
    follows: Vec<(String, i64, i64)>,
    /// (id, author, body), ids from 5001.
    posts: Vec<(i64, i64, Value)>,
    /// (path, limit, cursor, acting user).
    pages: Vec<(String, usize, Option<String>, i64)>,
}

#[derive(Clone)]
struct FakeState {
    fake: Arc<Mutex<Fake>>,
    identity_key: IdentityKey,
}

impl FromRef<FakeState> for IdentityKey {
    fn from_ref(state: &FakeState) -> Self {
        state.identity_key.clone()
    }
}

fn fake_chorus(fake: Arc<Mutex<Fake>>) -> Router {
    Router::new()
        .route("/api/v1/auth/signup", post(signup))
        .route("/api/v1/users/{id}", get(profile))
        .route("/api/v1/users/{id}/follow", post(follow).delete(unfollow))
        .route("/api/v1/users/{id}/posts", get(posts_of))
        .route("/api/v1/posts", post(create_post))
        .route("/api/v1/feed", get(feed))
        .with_state(FakeState {
            fake,
            identity_key: identity_key(),
        })
}

async fn signup(
    State(state): State<FakeState>,
    Json(body): Json<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut fake = state.fake.lock().expect("lock");
    let username = body["username"].as_str().expect("username").to_string();
    if fake.accounts.iter().any(|(_, name)| *name == username) {
        return Err(ApiError::conflict("this username is already taken"));
    }
    let id = 1001 + fake.accounts.len() as i64;
    fake.accounts.push((id, username.clone()));
    fake.signups.push(body);
    Ok((
        StatusCode::CREATED,
        Json(json!({"user": {"id": id.to_string(), "username": username}})),
    ))
}

/// By id or by username, as the users service answers.
async fn profile(
    State(state): State<FakeState>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let fake = state.fake.lock().expect("lock");
    fake.accounts
        .iter()
        .find(|(id, username)| *username == name || id.to_string() == name)
        .map(|(id, username)| Json(json!({"id": id.to_string(), "username": username})))
        .ok_or_else(|| ApiError::not_found("no such user"))
}

async fn follow(
    State(state): State<FakeState>,
    identity: Identity,
    Path(id): Path<i64>,
) -> Json<Value> {
    let mut fake = state.fake.lock().expect("lock");
    fake.follows
        .push(("POST".to_string(), identity.user_id.0, id));
    Json(json!({"state": "following"}))
}

async fn unfollow(
    State(state): State<FakeState>,
    identity: Identity,
    Path(id): Path<i64>,
) -> StatusCode {
    let mut fake = state.fake.lock().expect("lock");
    fake.follows
        .push(("DELETE".to_string(), identity.user_id.0, id));
    StatusCode::NO_CONTENT
}

async fn create_post(
    State(state): State<FakeState>,
    identity: Identity,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let mut fake = state.fake.lock().expect("lock");
    let id = 5001 + fake.posts.len() as i64;
    fake.posts.push((id, identity.user_id.0, body));
    (StatusCode::CREATED, Json(json!({"id": id.to_string()})))
}

#[derive(Deserialize)]
struct PageQuery {
    limit: usize,
    cursor: Option<String>,
}

/// Every post, newest first; the cursor is the index of the next one.
async fn feed(
    State(state): State<FakeState>,
    identity: Identity,
    Query(query): Query<PageQuery>,
) -> Json<Value> {
    page(&state, "/api/v1/feed", identity, query, None)
}

async fn posts_of(
    State(state): State<FakeState>,
    identity: Identity,
    Path(id): Path<i64>,
    Query(query): Query<PageQuery>,
) -> Json<Value> {
    page(
        &state,
        "/api/v1/users/{id}/posts",
        identity,
        query,
        Some(id),
    )
}

fn page(
    state: &FakeState,
    path: &str,
    identity: Identity,
    query: PageQuery,
    author: Option<i64>,
) -> Json<Value> {
    let mut fake = state.fake.lock().expect("lock");
    fake.pages.push((
        path.to_string(),
        query.limit,
        query.cursor.clone(),
        identity.user_id.0,
    ));
    let from: usize = query
        .cursor
        .map_or(0, |cursor| cursor.parse().expect("index"));
    let posts: Vec<Value> = fake
        .posts
        .iter()
        .rev()
        .filter(|(_, by, _)| author.is_none_or(|author| author == *by))
        .map(|(id, by, body)| {
            let name = &fake
                .accounts
                .iter()
                .find(|(account, _)| account == by)
                .expect("author")
                .1;
            let content = body["content"].as_str().expect("content");
            let mentions: Vec<&str> = content
                .split_whitespace()
                .filter_map(|word| word.strip_prefix('@'))
                .collect();
            json!({
                "id": id.to_string(),
                "author": {"id": by.to_string(), "username": name, "display_name": name, "avatar_url": null},
                "content": content,
                "visibility": body["visibility"],
                "media": [],
                "hashtags": [],
                "mentions": mentions,
                "repost_of": null,
                "created_at": "2025-03-01T12:00:00.250Z",
            })
        })
        .collect();
    let to = (from + query.limit).min(posts.len());
    Json(json!({
        "items": posts[from.min(to)..to],
        "next_cursor": (to < posts.len()).then(|| to.to_string()),
    }))
}

struct App {
    router: Router,
    fake: Arc<Mutex<Fake>>,
}

fn app(wrk2_api: bool) -> App {
    chorus_testkit::init_test_logs();
    let fake = Arc::new(Mutex::new(Fake::default()));
    let deps = GatewayDeps {
        token_keys: token_keys(),
        identity_key: identity_key(),
        cache: Arc::new(MemoryCache::new("wrk2")),
        readiness: Readiness::new(),
        shutdown: CancellationToken::new(),
    };
    let upstream = Upstream {
        service: "chorus".to_string(),
        openapi: document(&["/api/v1/feed"]),
        extra_paths: Vec::new(),
        body_limits: Vec::new(),
        backend: Backend::InProcess(fake_chorus(Arc::clone(&fake))),
    };
    let config = GatewayConfig {
        wrk2_api,
        ..GatewayConfig::default()
    };
    let router = chorus_gateway::router(&config, deps, vec![upstream]).expect("gateway router");
    App { router, fake }
}

impl App {
    async fn send(&self, method: &str, path: &str, form: &str) -> Response<Body> {
        let request = request(
            method,
            path,
            &[(CONTENT_TYPE.as_str(), "application/x-www-form-urlencoded")],
            Body::from(form.to_string()),
        );
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails")
    }

    /// Status, content type and body text.
    async fn call(&self, method: &str, path: &str, form: &str) -> (StatusCode, String, String) {
        let response = self.send(method, path, form).await;
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = String::from_utf8(body_of(response).await.to_vec()).expect("utf-8");
        (status, content_type, body)
    }

    async fn ok(&self, method: &str, path: &str, form: &str, expected: &str) {
        let (status, content_type, body) = self.call(method, path, form).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        assert_eq!(body, format!("{expected}\n"));
    }

    async fn register(&self, i: i64) {
        let form = format!(
            "first_name=first_name_{i}&last_name=last_name_{i}&username=username_{i}\
             &password=password_{i}&user_id={i}"
        );
        self.ok("POST", "/wrk2-api/user/register", &form, "Success!")
            .await;
    }

    async fn timeline(&self, path_and_query: &str) -> Vec<Value> {
        let (status, content_type, body) = self.call("GET", path_and_query, "").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
        serde_json::from_str(&body).expect("a JSON array")
    }
}

#[tokio::test]
async fn the_routes_are_unknown_unless_turned_on() {
    let app = app(false);
    for path in ["/wrk2-api/user/register", "/wrk2-api/post/compose"] {
        let response = app.send("POST", path, "username=a").await;
        assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    let response = app
        .send(
            "GET",
            "/wrk2-api/home-timeline/read?user_id=1&start=0&stop=10",
            "",
        )
        .await;
    assert_error(response, StatusCode::NOT_FOUND, "not_found").await;
}

#[tokio::test]
async fn register_signs_up_with_a_derived_email() {
    let app = app(true);
    app.register(3).await;
    let signups = app.fake.lock().expect("lock").signups.clone();
    assert_eq!(
        signups,
        [json!({
            "username": "username_3",
            "email": "username_3@wrk2.invalid",
            "password": "password_3",
            "display_name": "first_name_3 last_name_3",
        })]
    );

    let form = "first_name=a&last_name=b&username=username_3&password=password_3&user_id=9";
    let (status, _, body) = app.call("POST", "/wrk2-api/user/register", form).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        body,
        "User registration failure: this username is already taken\n"
    );
}

#[tokio::test]
async fn follows_act_for_the_named_user_by_id_or_by_name() {
    let app = app(true);
    for i in 0..3 {
        app.register(i).await;
    }
    app.ok(
        "POST",
        "/wrk2-api/user/follow",
        "user_id=0&followee_id=1",
        "Success!",
    )
    .await;
    app.ok(
        "POST",
        "/wrk2-api/user/follow",
        "user_name=username_2&followee_name=username_0",
        "Success!",
    )
    .await;
    app.ok(
        "POST",
        "/wrk2-api/user/unfollow",
        "user_id=0&followee_id=1",
        "Success!",
    )
    .await;
    let follows = app.fake.lock().expect("lock").follows.clone();
    assert_eq!(
        follows,
        [
            ("POST".to_string(), 1001, 1002),
            ("POST".to_string(), 1003, 1001),
            ("DELETE".to_string(), 1001, 1002),
        ]
    );

    let (status, _, body) = app
        .call("POST", "/wrk2-api/user/follow", "user_id=0&followee_id=77")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, "Follow Failed: no such user: 77\n");
}

#[tokio::test]
async fn compose_posts_the_text_publicly_and_ignores_media() {
    let app = app(true);
    app.register(1).await;
    app.register(2).await;
    let form = "username=username_1&user_id=1&text=Hello @username_2 http://x.example/a\
                &media_ids=[\"123456789012345678\"]&media_types=[\"png\"]&post_type=0";
    app.ok(
        "POST",
        "/wrk2-api/post/compose",
        form,
        "Successfully upload post",
    )
    .await;
    let posts = app.fake.lock().expect("lock").posts.clone();
    assert_eq!(
        posts,
        [(
            5001,
            1001,
            json!({"content": "Hello @username_2 http://x.example/a", "visibility": "public"})
        )]
    );
}

#[tokio::test]
async fn a_user_unknown_to_the_map_is_found_by_username() {
    let app = app(true);
    // An account made outside these routes, named as DeathStarBench names user 8.
    app.fake
        .lock()
        .expect("lock")
        .accounts
        .push((4242, "username_8".to_string()));
    app.ok(
        "POST",
        "/wrk2-api/post/compose",
        "username=username_8&user_id=8&text=hi&post_type=0",
        "Successfully upload post",
    )
    .await;
    assert_eq!(app.fake.lock().expect("lock").posts[0].1, 4242);
}

#[tokio::test]
async fn timelines_page_through_chorus_and_answer_deathstarbench_entries() {
    let app = app(true);
    app.register(1).await;
    app.register(2).await;
    for n in 0..120 {
        let form = format!("username=username_2&user_id=2&text=post {n} @username_1&post_type=0");
        app.ok(
            "POST",
            "/wrk2-api/post/compose",
            &form,
            "Successfully upload post",
        )
        .await;
    }

    let entries = app
        .timeline("/wrk2-api/home-timeline/read?user_id=1&start=100&stop=110")
        .await;
    assert_eq!(entries.len(), 10);
    assert_eq!(entries[0]["text"], "post 19 @username_1");
    assert_eq!(entries[9]["text"], "post 10 @username_1");
    let first = &entries[0];
    assert_eq!(first["post_id"], (5001 + 19).to_string());
    assert_eq!(
        first["creator"],
        json!({"user_id": "2", "username": "username_2"})
    );
    assert_eq!(
        first["user_mentions"],
        json!([{"user_id": "1", "username": "username_1"}])
    );
    assert_eq!(first["media"], json!([]));
    assert_eq!(first["urls"], json!([]));
    assert_eq!(first["timestamp"], "1740830400250");
    assert_eq!(first["post_type"], 0);
    assert!(first["req_id"].is_string());
    let pages = std::mem::take(&mut app.fake.lock().expect("lock").pages);
    assert_eq!(
        pages,
        [
            ("/api/v1/feed".to_string(), 100, None, 1001),
            (
                "/api/v1/feed".to_string(),
                10,
                Some("100".to_string()),
                1001
            ),
        ]
    );

    // The user timeline, asked with POST and a form body.
    let (status, _, body) = app
        .call(
            "POST",
            "/wrk2-api/user-timeline/read",
            "user_id=2&start=0&stop=3",
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let entries: Vec<Value> = serde_json::from_str(&body).expect("JSON");
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["text"], "post 119 @username_1");
    let pages = std::mem::take(&mut app.fake.lock().expect("lock").pages);
    assert_eq!(
        pages,
        [("/api/v1/users/{id}/posts".to_string(), 3, None, 1002)]
    );

    // Past the end, an empty range, an unknown user: empty lists.
    for query in [
        "user_id=1&start=200&stop=210",
        "user_id=1&start=5&stop=5",
        "user_id=99&start=0&stop=10",
    ] {
        let entries = app
            .timeline(&format!("/wrk2-api/home-timeline/read?{query}"))
            .await;
        assert!(entries.is_empty(), "{query}");
    }
}

#[tokio::test]
async fn bad_input_answers_400_with_a_short_text() {
    let app = app(true);
    for (method, path, form, expected) in [
        (
            "POST",
            "/wrk2-api/user/register",
            "username=a",
            "Incomplete arguments",
        ),
        (
            "POST",
            "/wrk2-api/user/follow",
            "user_id=1",
            "Incomplete arguments",
        ),
        (
            "POST",
            "/wrk2-api/post/compose",
            "username=a&user_id=x&text=t&post_type=0",
            "Invalid arguments: user_id must be an integer",
        ),
        (
            "GET",
            "/wrk2-api/home-timeline/read?user_id=1&start=0",
            "",
            "Incomplete arguments",
        ),
        (
            "GET",
            "/wrk2-api/user-timeline/read?user_id=1&start=0&stop=100000",
            "",
            "Invalid arguments: stop must be at most 1000",
        ),
    ] {
        let (status, content_type, body) = app.call(method, path, form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {form}");
        assert!(content_type.starts_with("text/plain"));
        assert_eq!(body, format!("{expected}\n"), "{path} {form}");
    }
}

#[tokio::test]
async fn other_routes_still_need_a_token() {
    let app = app(true);
    app.register(1).await;
    let response = app.send("GET", "/api/v1/feed?limit=10", "").await;
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    // A forged identity header is stripped, wrk2 routes or not.
    let forged = Id(1001);
    let request = request(
        "GET",
        "/api/v1/feed?limit=10",
        &[(
            "x-chorus-identity",
            &format!("v1.{forged}.0.9999999999.AAAA"),
        )],
        Body::empty(),
    );
    let response = app.router.clone().oneshot(request).await.expect("answer");
    assert_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}
