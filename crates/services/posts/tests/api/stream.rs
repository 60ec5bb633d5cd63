//! `GET /api/v1/posts/{id}/comments/stream`: server-sent events, read from
//! the router's streaming body as they come.

use std::time::Duration;

use axum::body::Body;
use chorus_core::Id;
use chorus_core::identity::IDENTITY_HEADER;
use chorus_posts::PostsConfig;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::{Backend, TestApp};

/// Every wait for an event ends within this.
const PATIENCE: Duration = Duration::from_secs(5);

/// One server-sent event, or a comment line (`event` is then empty).
#[derive(Debug, Clone, Default)]
struct SseEvent {
    event: String,
    id: String,
    data: String,
    comment: String,
}

impl SseEvent {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// An open stream.
struct Stream {
    body: Body,
    buffer: String,
}

impl Stream {
    /// The next event or comment; panics if none comes within [`PATIENCE`].
    async fn next(&mut self) -> SseEvent {
        tokio::time::timeout(PATIENCE, self.read())
            .await
            .expect("an event within the patience")
    }

    async fn read(&mut self) -> SseEvent {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                return parse(&block);
            }
            let frame = self
                .body
                .frame()
                .await
                .expect("the stream stays open")
                .expect("no body error");
            if let Ok(data) = frame.into_data() {
                self.buffer
                    .push_str(std::str::from_utf8(&data).expect("UTF-8"));
            }
        }
    }

    /// The next event that is not a comment line.
    async fn next_event(&mut self) -> SseEvent {
        loop {
            let event = self.next().await;
            if !event.event.is_empty() {
                return event;
            }
        }
    }

    /// Asserts no event (heartbeats aside) arrives within `wait`.
    async fn quiet_for(&mut self, wait: Duration) {
        if let Ok(event) = tokio::time::timeout(wait, self.read()).await {
            assert!(event.event.is_empty(), "unexpected event: {event:?}");
        }
    }
}

fn parse(block: &str) -> SseEvent {
    let mut event = SseEvent::default();
    for line in block.lines() {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "" => event.comment.push_str(value),
            "event" => event.event = value.to_string(),
            "id" => event.id = value.to_string(),
            "data" => event.data.push_str(value),
            _ => {}
        }
    }
    event
}

/// Opens the stream of `post` as `viewer`; `Err(status, body)` if refused.
async fn open(
    app: &TestApp,
    post: &str,
    viewer: Option<Id>,
    last_event_id: Option<&str>,
) -> Result<Stream, (StatusCode, Value)> {
    let mut request = Request::get(format!("/api/v1/posts/{post}/comments/stream"));
    if let Some(viewer) = viewer {
        request = request.header(IDENTITY_HEADER, app.identity(viewer));
    }
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("infallible");
    let status = response.status();
    if status != StatusCode::OK {
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        return Err((status, serde_json::from_slice(&body).expect("JSON error")));
    }
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    Ok(Stream {
        body: response.into_body(),
        buffer: String::new(),
    })
}

async fn listed_comments(app: &TestApp, post: &str, viewer: Id) -> Vec<Value> {
    let page = app
        .get(&format!("/api/v1/posts/{post}/comments"), Some(viewer))
        .await
        .json();
    page["items"].as_array().expect("items").clone()
}

#[tokio::test]
async fn added_and_deleted_comments_arrive_as_they_happen() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let post = app.post_id(alice, "talk to me", "public").await;
    let mut stream = open(&app, &post, Some(bob), None).await.expect("opens");

    let top = app.comment(bob, &post, "first", None).await;
    let added = stream.next_event().await;
    assert_eq!(added.event, "comment_added");
    assert_eq!(added.id, top);
    let listed = listed_comments(&app, &post, bob).await;
    assert_eq!(added.json(), listed[0], "exactly as the list shows it");

    let reply = app.comment(alice, &post, "a reply", Some(&top)).await;
    assert_eq!(stream.next_event().await.id, reply);

    // Deleting the top comment takes its reply along: one event each.
    let deleted = app.delete(&format!("/api/v1/comments/{top}"), bob).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let mut gone = Vec::new();
    let mut event_ids = Vec::new();
    for _ in 0..2 {
        let event = stream.next_event().await;
        assert_eq!(event.event, "comment_deleted");
        let data = event.json();
        assert_eq!(data["post_id"], post.as_str());
        assert_eq!(data.as_object().map(|o| o.len()), Some(2), "{data}");
        gone.push(data["id"].as_str().expect("id").to_string());
        event_ids.push(event.id.parse::<i64>().expect("a snowflake id"));
    }
    gone.sort();
    let mut expected = vec![top.clone(), reply.clone()];
    expected.sort();
    assert_eq!(gone, expected);
    let reply_id: i64 = reply.parse().expect("id");
    assert!(
        event_ids.iter().all(|id| *id > reply_id),
        "deletion event ids are fresh: {event_ids:?}"
    );
}

#[tokio::test]
async fn a_hidden_or_missing_post_answers_404_like_the_post() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let private = app.post_id(alice, "mine", "private").await;
    let followers = app.post_id(alice, "friends", "followers").await;
    for (post, viewer) in [
        (private.as_str(), Some(bob)),
        (followers.as_str(), Some(bob)),
        (followers.as_str(), None),
        ("123456789", Some(bob)),
        ("not-an-id", None),
    ] {
        let single = app.get(&format!("/api/v1/posts/{post}"), viewer).await;
        let Err((status, body)) = open(&app, post, viewer, None).await else {
            panic!("{post} opened for {viewer:?}");
        };
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(status, single.status);
        assert_eq!(body, single.json(), "the same answer as the post itself");
    }
    app.users.follow(bob, alice);
    assert!(open(&app, &followers, Some(bob), None).await.is_ok());
    assert!(open(&app, &private, Some(alice), None).await.is_ok());
}

#[tokio::test]
async fn comments_by_blocked_users_are_left_out() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let bob = app.user("bob");
    let mallory = app.user("mallory");
    app.users.block(bob, mallory);
    let post = app.post_id(alice, "open thread", "public").await;
    let mut stream = open(&app, &post, Some(bob), None).await.expect("opens");

    app.comment(mallory, &post, "you cannot see me", None).await;
    let seen = app.comment(alice, &post, "you can see me", None).await;
    assert_eq!(stream.next_event().await.id, seen);
}

#[tokio::test]
async fn resuming_replays_what_was_missed_then_goes_live_once() {
    let app = TestApp::spawn().await;
    resume_scenario(&app).await;
}

#[tokio::test]
async fn resuming_works_on_postgresql() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let app = TestApp::spawn_on(backend).await;
    resume_scenario(&app).await;
    app.drop_schema().await;
}

/// Seen: `first`. Missed: `second` added, `first` deleted, `brief` added
/// and deleted. The resume shows `second` and `first`'s deletion, in event
/// id order, then new comments once each.
async fn resume_scenario(app: &TestApp) {
    let alice = app.user("alice");
    let bob = app.user("bob");
    let post = app.post_id(alice, "resumable", "public").await;
    let mut stream = open(app, &post, Some(bob), None).await.expect("opens");
    let first = app.comment(bob, &post, "first", None).await;
    let last_seen = stream.next_event().await.id;
    assert_eq!(last_seen, first);
    drop(stream);

    let second = app.comment(alice, &post, "second", None).await;
    app.delete(&format!("/api/v1/comments/{first}"), bob).await;
    let brief = app.comment(alice, &post, "brief", None).await;
    app.delete(&format!("/api/v1/comments/{brief}"), alice)
        .await;

    let mut stream = open(app, &post, Some(bob), Some(&last_seen))
        .await
        .expect("resumes");
    let replayed_add = stream.next_event().await;
    assert_eq!(
        (replayed_add.event.as_str(), replayed_add.id.as_str()),
        ("comment_added", second.as_str())
    );
    let listed = listed_comments(app, &post, bob).await;
    assert_eq!(replayed_add.json(), listed[0]);
    let replayed_delete = stream.next_event().await;
    assert_eq!(replayed_delete.event, "comment_deleted");
    assert_eq!(replayed_delete.json()["id"], first.as_str());

    let third = app.comment(alice, &post, "third", None).await;
    let live = stream.next_event().await;
    assert_eq!(
        (live.event.as_str(), live.id.as_str()),
        ("comment_added", third.as_str())
    );
    stream.quiet_for(Duration::from_millis(300)).await;

    // From the deletion's own id: only what came after it.
    let mut stream = open(app, &post, Some(bob), Some(&replayed_delete.id))
        .await
        .expect("resumes");
    assert_eq!(stream.next_event().await.id, third);
    stream.quiet_for(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn an_unreadable_last_event_id_starts_afresh() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice");
    let post = app.post_id(alice, "fresh", "public").await;
    app.comment(alice, &post, "old", None).await;
    let mut stream = open(&app, &post, None, Some("yesterday"))
        .await
        .expect("opens");
    stream.quiet_for(Duration::from_millis(300)).await;
    let new = app.comment(alice, &post, "new", None).await;
    assert_eq!(stream.next_event().await.id, new);
}

#[tokio::test]
async fn a_heartbeat_comes_when_nothing_happens() {
    let config = PostsConfig {
        sse_heartbeat_secs: 1,
    };
    let app = TestApp::spawn_with(Backend::Embedded, config).await;
    let alice = app.user("alice");
    let post = app.post_id(alice, "quiet", "public").await;
    let mut stream = open(&app, &post, None, None).await.expect("opens");
    let started = tokio::time::Instant::now();
    let heartbeat = stream.next().await;
    assert_eq!(heartbeat.comment, "heartbeat", "{heartbeat:?}");
    assert!(heartbeat.event.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn the_route_is_in_the_openapi_document() {
    let document = serde_json::to_value(chorus_posts::openapi()).expect("serializes");
    let path = &document["paths"]["/api/v1/posts/{id}/comments/stream"]["get"];
    assert!(path.is_object(), "{document}");
    assert!(
        path["responses"]["200"]["content"]["text/event-stream"].is_object(),
        "{path}"
    );
    assert_eq!(json!(path["operationId"]), "posts_comments_stream");
}
