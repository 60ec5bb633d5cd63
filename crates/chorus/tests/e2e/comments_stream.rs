//! Live comments: `GET /api/v1/posts/{id}/comments/stream`, server-sent
//! events read through the gateway with a plain streaming HTTP client.
//! Heartbeats every second here (`CHORUS_POSTS__SSE_HEARTBEAT_SECS=1`).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::client::Api;
use crate::harness::Chorus;
use crate::social::{User, id_of, items, token_of};

crate::in_both_modes_with!(&[("CHORUS_POSTS__SSE_HEARTBEAT_SECS", "1")];
    comments_arrive_live_between_heartbeats,
    a_hidden_post_has_no_stream,
    a_resumed_stream_replays_what_it_missed,
);

/// Every wait for an event ends within this.
const PATIENCE: Duration = Duration::from_secs(10);

/// One server-sent event, or a comment line (then `event` is empty).
#[derive(Debug, Default)]
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

/// An open event stream.
struct Stream {
    response: reqwest::Response,
    buffer: String,
}

impl Stream {
    /// Opens `post`'s stream as `viewer`: the stream, or the refusal.
    async fn open(
        api: &Api,
        post: &str,
        viewer: Option<&User>,
        last_event_id: Option<&str>,
    ) -> Result<Self, (StatusCode, Value)> {
        let mut request = api
            .http
            .get(api.url(&format!("/api/v1/posts/{post}/comments/stream")));
        if let Some(token) = token_of(viewer) {
            request = request.bearer_auth(token);
        }
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = tokio::time::timeout(PATIENCE, request.send())
            .await
            .expect("the stream's head comes at once")
            .expect("request");
        let status = response.status();
        if status != StatusCode::OK {
            let body = response.json().await.expect("an error body");
            return Err((status, body));
        }
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Ok(Self {
            response,
            buffer: String::new(),
        })
    }

    /// The next event or comment line.
    async fn next(&mut self) -> SseEvent {
        tokio::time::timeout(PATIENCE, self.read())
            .await
            .expect("something arrives within the patience")
    }

    async fn read(&mut self) -> SseEvent {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                return parse(&block);
            }
            let chunk = self
                .response
                .chunk()
                .await
                .expect("the stream reads")
                .expect("the stream stays open");
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }

    /// The next real event, past heartbeats.
    async fn next_event(&mut self) -> SseEvent {
        loop {
            let event = self.next().await;
            if !event.event.is_empty() {
                return event;
            }
        }
    }

    /// Asserts that only heartbeats arrive for `wait`.
    async fn only_heartbeats_for(&mut self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(event) = tokio::time::timeout_at(deadline, self.read()).await {
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

async fn listed_comments(api: &Api, post: &str, viewer: &User) -> Vec<Value> {
    items(
        &api.get(&format!("/api/v1/posts/{post}/comments"), viewer.token())
            .await,
    )
}

async fn delete_comment(api: &Api, user: &User, comment: &str) {
    let answer = api
        .delete(&format!("/api/v1/comments/{comment}"), user.token())
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.body);
}

async fn comments_arrive_live_between_heartbeats(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("cs").await;
    let reader = api.user("cs").await;
    let post = id_of(&api.new_post(&author, "live thread", "public").await);
    let mut stream = Stream::open(&api, &post, Some(&reader), None)
        .await
        .expect("opens");

    // Nothing happens: a heartbeat comment line, about every second.
    let heartbeat = stream.next().await;
    assert_eq!(heartbeat.comment, "heartbeat", "{heartbeat:?}");
    assert!(heartbeat.event.is_empty());

    let comment = api.new_comment(&reader, &post, "hello live", None).await;
    let added = stream.next_event().await;
    assert_eq!(added.event, "comment_added");
    assert_eq!(added.id, id_of(&comment));
    assert_eq!(
        added.json(),
        listed_comments(&api, &post, &reader).await[0],
        "the comment as the list shows it"
    );

    delete_comment(&api, &author, &id_of(&comment)).await;
    let deleted = stream.next_event().await;
    assert_eq!(deleted.event, "comment_deleted");
    let data = deleted.json();
    assert_eq!(data["id"], comment["id"]);
    assert_eq!(data["post_id"], post.as_str());
    assert_ne!(
        deleted.id, added.id,
        "a deletion has an event id of its own"
    );
    assert!(!deleted.id.is_empty());

    // An anonymous reader of a public post is welcome too.
    let mut anonymous = Stream::open(&api, &post, None, None).await.expect("opens");
    let second = api.new_comment(&author, &post, "for all", None).await;
    assert_eq!(anonymous.next_event().await.id, id_of(&second));
    assert_eq!(stream.next_event().await.id, id_of(&second));
}

async fn a_hidden_post_has_no_stream(app: &Chorus) {
    let api = Api::new(&app.base);
    let document = api.get("/api/v1/openapi.json", None).await;
    assert!(
        document.body["paths"]["/api/v1/posts/{id}/comments/stream"]["get"].is_object(),
        "the gateway's document lists the stream"
    );
    let author = api.user("cs").await;
    let stranger = api.user("cs").await;
    let private = id_of(&api.new_post(&author, "just me", "private").await);
    let followers = id_of(&api.new_post(&author, "my followers", "followers").await);
    for (post, viewer) in [
        (&private, Some(&stranger)),
        (&followers, Some(&stranger)),
        (&followers, None),
    ] {
        let single = api.get_post(post, viewer).await;
        let Err((status, body)) = Stream::open(&api, post, viewer, None).await else {
            panic!("a hidden post's stream opened");
        };
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body, single.body, "answered like GET /api/v1/posts/{{id}}");
    }
    let missing = Stream::open(&api, "1234567890", Some(&stranger), None).await;
    assert!(matches!(missing, Err((StatusCode::NOT_FOUND, _))));
    assert!(
        Stream::open(&api, &private, Some(&author), None)
            .await
            .is_ok(),
        "the author sees their own"
    );
}

async fn a_resumed_stream_replays_what_it_missed(app: &Chorus) {
    let api = Api::new(&app.base);
    let author = api.user("cs").await;
    let reader = api.user("cs").await;
    let post = id_of(&api.new_post(&author, "come back later", "public").await);
    let mut stream = Stream::open(&api, &post, Some(&reader), None)
        .await
        .expect("opens");
    let seen = api.new_comment(&reader, &post, "seen", None).await;
    let last_event_id = stream.next_event().await.id;
    assert_eq!(last_event_id, id_of(&seen));
    drop(stream);

    // Missed while away.
    let missed = api.new_comment(&author, &post, "missed", None).await;
    delete_comment(&api, &reader, &id_of(&seen)).await;

    let mut stream = Stream::open(&api, &post, Some(&reader), Some(&last_event_id))
        .await
        .expect("resumes");
    let replayed = stream.next_event().await;
    assert_eq!(replayed.event, "comment_added");
    assert_eq!(replayed.id, id_of(&missed));
    assert_eq!(
        replayed.json(),
        listed_comments(&api, &post, &reader).await[0]
    );
    let replayed_deletion = stream.next_event().await;
    assert_eq!(replayed_deletion.event, "comment_deleted");
    assert_eq!(replayed_deletion.json()["id"], seen["id"]);

    // Then live, each change once.
    let live = api.new_comment(&author, &post, "live again", None).await;
    let event = stream.next_event().await;
    assert_eq!(
        (event.event.as_str(), event.id.as_str()),
        ("comment_added", id_of(&live).as_str())
    );
    stream
        .only_heartbeats_for(Duration::from_millis(1500))
        .await;
}

/// Two posts instances behind the gateway: a stream held on one hears a
/// comment written through the other (the gateway sends the write to the
/// instance with fewer requests in flight: not the one holding the stream).
#[tokio::test]
async fn a_stream_hears_comments_written_on_another_instance() {
    chorus_testkit::init_test_logs();
    let Some(app) = Chorus::distributed_scaled(DEPLOYMENT_ENV, 2).await else {
        return;
    };
    let api = Api::new(&app.base);
    let author = api.user("cs").await;
    let post = id_of(&api.new_post(&author, "across instances", "public").await);
    let mut stream = Stream::open(&api, &post, None, None).await.expect("opens");
    for n in 0..3 {
        let comment = api
            .new_comment(&author, &post, &format!("comment {n}"), None)
            .await;
        assert_eq!(stream.next_event().await.id, id_of(&comment));
    }
}

/// SIGTERM with a comment stream and a Socket.IO connection open: both end
/// when the process stops taking requests, so it exits well within the
/// 20 s grace period rather than waiting it out.
#[tokio::test]
async fn open_streams_and_sockets_do_not_hold_up_shutdown() {
    chorus_testkit::init_test_logs();
    let app = Chorus::embedded().await;
    let api = Api::new(&app.base);
    let ana = api.user("sd").await;
    let post = id_of(&api.new_post(&ana, "open to the end", "public").await);
    let mut stream = Stream::open(&api, &post, Some(&ana), None)
        .await
        .expect("the stream opens");
    let socket = crate::chat_client::Socket::connect(&app.base, "/chat", Some(&ana.token))
        .await
        .expect("the socket connects");

    let began = std::time::Instant::now();
    for status in app.terminate().await {
        assert!(status.success(), "exit status {status}");
    }
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "shutdown took {:?} with a stream and a socket open",
        began.elapsed()
    );
    let ended = tokio::time::timeout(PATIENCE, stream.response.chunk()).await;
    assert!(
        matches!(ended, Ok(Ok(None)) | Ok(Err(_))),
        "the stream ended: {ended:?}"
    );
    drop(socket);
}
