//! Two instances of posts and chat behind the gateway, and one of them dies
//! (SIGKILL) under a live connection: the client reconnects through the
//! gateway, which sends it to the instance left, and loses nothing.
//!
//! Which instance holds a connection is the gateway's choice, so each test
//! kills the instances in turn (bringing each back before the next goes)
//! until the connection dies with one. Short health checks and cool-downs
//! let the gateway see each change quickly, and the tests wait until its
//! `/metrics` shows it.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::chat::{CHAT, conversation, join, send_rest};
use crate::chat_client::Socket;
use crate::client::Api;
use crate::harness::Chorus;
use crate::social::{eventually, id_of, items};

const ENV: &[(&str, &str)] = &[
    ("CHORUS_POSTS__SSE_HEARTBEAT_SECS", "1"),
    ("CHORUS_GATEWAY__HEALTH_CHECK_INTERVAL_MS", "200"),
    ("CHORUS_GATEWAY__BREAKER_COOLDOWN_MS", "200"),
];

/// Every wait for an event ends within this.
const PATIENCE: Duration = Duration::from_secs(10);

/// Long enough for a live connection to hear of a change made elsewhere.
const LIVE: Duration = Duration::from_secs(5);

/// Waits until the gateway's `chorus_gateway_upstream_healthy` gauge shows
/// instance `index` of `service` in service (`true`) or ejected.
async fn await_gateway_sees(app: &Chorus, service: &str, index: usize, healthy: bool) {
    let api = Api::new(&app.base);
    let url = &app.instances[service][index];
    let wanted = if healthy { "1" } else { "0" };
    let (service_label, instance_label) = (
        format!("service=\"{service}\""),
        format!("instance=\"{url}\""),
    );
    eventually(&format!("{service} {index} healthy: {healthy}"), || async {
        let text = api
            .http
            .get(api.url("/metrics"))
            .send()
            .await
            .map_err(|error| error.to_string())?
            .text()
            .await
            .map_err(|error| error.to_string())?;
        let value = text
            .lines()
            .find(|line| {
                line.starts_with("chorus_gateway_upstream_healthy{")
                    && line.contains(&service_label)
                    && line.contains(&instance_label)
            })
            .and_then(|line| line.rsplit(' ').next())
            .ok_or("no gauge for the instance")?;
        match value == wanted {
            true => Ok(()),
            false => Err(format!("gauge at {value}")),
        }
    })
    .await;
}

/// Kills instance `index` of `service` and waits until the gateway ejected it.
async fn kill(app: &mut Chorus, service: &str, index: usize) {
    app.kill_instance(service, index).await;
    await_gateway_sees(app, service, index, false).await;
}

/// Brings instance `index` of `service` back and waits until the gateway uses it.
async fn revive(app: &mut Chorus, service: &str, index: usize) {
    app.restart_instance(service, index).await;
    await_gateway_sees(app, service, index, true).await;
}

/// A comment stream read through the gateway: the ids of `comment_added`
/// events, past heartbeats, until the stream ends.
struct CommentStream {
    response: reqwest::Response,
    buffer: String,
}

impl CommentStream {
    async fn open(api: &Api, post: &str, last_event_id: Option<&str>) -> Self {
        let mut request = api
            .http
            .get(api.url(&format!("/api/v1/posts/{post}/comments/stream")));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = tokio::time::timeout(PATIENCE, request.send())
            .await
            .expect("the stream's head comes at once")
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK);
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The id of the next added comment; `None` once the stream has ended.
    async fn next_comment(&mut self) -> Option<String> {
        tokio::time::timeout(PATIENCE, self.read())
            .await
            .expect("a comment or the end within the patience")
    }

    async fn read(&mut self) -> Option<String> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if block.lines().any(|line| line == "event: comment_added") {
                    let id = block.lines().find_map(|line| line.strip_prefix("id: "));
                    return Some(id.expect("an event id").to_string());
                }
            }
            let chunk = self.response.chunk().await.ok()??;
            self.buffer
                .push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
        }
    }
}

#[tokio::test]
async fn a_comment_stream_resumes_through_the_gateway_when_its_instance_dies() {
    chorus_testkit::init_test_logs();
    let Some(mut app) = Chorus::distributed_scaled(ENV, 2).await else {
        return;
    };
    let api = Api::new(&app.base);
    let author = api.user("fo").await;
    let post = id_of(&api.new_post(&author, "through a crash", "public").await);
    let mut made = Vec::new();
    let mut seen = Vec::new();
    let mut stream = CommentStream::open(&api, &post, None).await;
    let comment = |text: String| {
        let (api, author, post) = (&api, &author, &post);
        async move { id_of(&api.new_comment(author, post, &text, None).await) }
    };
    made.push(comment("before".to_string()).await);
    seen.push(stream.next_comment().await.expect("live"));

    // Kill each instance in turn until the stream's own goes.
    let mut victim = None;
    for index in 0..2 {
        kill(&mut app, "posts", index).await;
        made.push(comment(format!("while posts {index} is down")).await);
        match stream.next_comment().await {
            Some(id) => seen.push(id),
            None => {
                victim = Some(index);
                break;
            }
        }
        revive(&mut app, "posts", index).await;
    }
    assert!(victim.is_some(), "the stream ended with its instance");
    made.push(comment("while the reader is away".to_string()).await);

    // Back through the gateway, from the last event seen: what it missed,
    // then live.
    let last = seen.last().cloned();
    let mut stream = CommentStream::open(&api, &post, last.as_deref()).await;
    while seen.len() < made.len() {
        seen.push(stream.next_comment().await.expect("replayed"));
    }
    made.push(comment("after coming back".to_string()).await);
    seen.push(stream.next_comment().await.expect("live again"));
    assert_eq!(seen, made, "every comment once, in order");
    let extra = tokio::time::timeout(Duration::from_millis(1_500), stream.read()).await;
    assert!(extra.is_err(), "nothing more than heartbeats: {extra:?}");
}

#[tokio::test]
async fn a_chat_client_reconnects_through_the_gateway_when_its_instance_dies() {
    chorus_testkit::init_test_logs();
    let Some(mut app) = Chorus::distributed_scaled(ENV, 2).await else {
        return;
    };
    let api = Api::new(&app.base);
    let ana = api.user("fo").await;
    let bo = api.user("fo").await;
    let room = conversation(&api, &ana, &[&bo], None).await;
    let mut socket = Socket::connect(&app.base, CHAT, Some(&ana.token))
        .await
        .expect("ana connects through the gateway");
    join(&mut socket, &room).await;
    let mut sent = vec![send_rest(&api, &bo, &room, "before").await];
    let first = sent[0]["id"].clone();
    socket.expect("new_message", |m| m["id"] == first).await;

    // Kill each instance in turn until ana's socket goes deaf with its own.
    let mut victim = None;
    for index in 0..2 {
        kill(&mut app, "chat", index).await;
        let during = send_rest(&api, &bo, &room, &format!("while chat {index} is down")).await;
        let id = during["id"].clone();
        sent.push(during);
        let heard = tokio::time::timeout(LIVE, socket.expect("new_message", |m| m["id"] == id));
        if heard.await.is_err() {
            victim = Some(index);
            break;
        }
        revive(&mut app, "chat", index).await;
    }
    assert!(victim.is_some(), "the socket died with its instance");
    socket.disconnect().await;
    sent.push(send_rest(&api, &bo, &room, "while ana is away").await);

    // Ana reconnects through the gateway, which sends her to the instance left.
    let mut socket = Socket::connect(&app.base, CHAT, Some(&ana.token))
        .await
        .expect("ana reconnects through the gateway");
    let history = join(&mut socket, &room).await;
    let after = send_rest(&api, &bo, &room, "after she is back").await;
    let id = after["id"].clone();
    socket.expect("new_message", |m| m["id"] == id).await;
    sent.push(after);

    let ids = |messages: &[Value]| -> Vec<String> {
        let mut ids: Vec<String> = messages.iter().map(id_of).collect();
        ids.sort();
        ids
    };
    let joined = history["messages"].as_array().expect("messages");
    assert_eq!(
        ids(joined),
        ids(&sent[..sent.len() - 1]),
        "the history on rejoining has everything sent before"
    );
    let listed = items(
        &api.get(
            &format!("/api/v1/conversations/{room}/messages"),
            Some(&ana.token),
        )
        .await,
    );
    assert_eq!(ids(&listed), ids(&sent), "the history has everything");
}
