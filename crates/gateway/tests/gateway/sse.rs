//! Server-sent events through the proxy: each event reaches the client as
//! the instance sends it, uncompressed, and no timeout cuts a stream that
//! has started.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, Sse};
use axum::routing::get;
use futures::StreamExt;
use futures::channel::mpsc;
use http::StatusCode;
use tokio::sync::Mutex;

use crate::remote::{Gateway, Instance, Remote, http, within};

/// The events the test will send, handed to the one stream that opens.
type Feed = std::sync::Arc<Mutex<Option<mpsc::UnboundedReceiver<String>>>>;

/// An instance whose `/api/v1/events` streams what the test feeds it,
/// then ends when the feed closes.
async fn sse_instance() -> (Instance, mpsc::UnboundedSender<String>) {
    let (feed, events) = mpsc::unbounded();
    let events: Feed = std::sync::Arc::new(Mutex::new(Some(events)));
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/api/v1/events", get(stream))
        .with_state(events);
    (Instance::serve(app).await, feed)
}

async fn stream(
    State(feed): State<Feed>,
) -> Sse<impl futures::Stream<Item = Result<Event, Infallible>>> {
    let events = feed.lock().await.take().expect("one stream per test");
    // Big enough that a compressor would gladly take it.
    let padding = "x".repeat(2048);
    Sse::new(events.map(move |data| {
        Ok(Event::default()
            .event("tick")
            .data(format!("{data} {padding}")))
    }))
}

#[tokio::test]
async fn events_stream_through_one_by_one_and_are_not_cut() {
    let (a, feed) = sse_instance().await;
    let gateway = Gateway::start(
        Remote {
            instances: &[&a],
            paths: &["/api/v1/events"],
            extra_paths: &[],
        },
        |config| {
            config.request_timeout_ms = 300;
            config.upstream_timeout_ms = 300;
        },
    )
    .await;
    feed.unbounded_send("first".to_string()).expect("fed");
    let mut response = within(
        http()
            .get(gateway.url("/api/v1/events"))
            .header("accept-encoding", "gzip")
            .send(),
    )
    .await
    .expect("the head comes");
    assert_eq!(response.status().as_u16(), StatusCode::OK.as_u16());
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert!(
        response.headers().get("content-encoding").is_none(),
        "never compressed: a compressor buffers"
    );

    // The first event arrives while the stream is still open.
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = within(response.chunk())
            .await
            .expect("reads")
            .expect("the stream is open");
        text.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
    }
    assert!(text.starts_with("event: tick\ndata: first "), "{text}");

    // Past both timeouts, the stream still flows.
    tokio::time::sleep(Duration::from_millis(700)).await;
    feed.unbounded_send("second".to_string()).expect("fed");
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = within(response.chunk())
            .await
            .expect("reads")
            .expect("the stream is open");
        text.push_str(std::str::from_utf8(&chunk).expect("UTF-8"));
    }
    assert!(text.starts_with("event: tick\ndata: second "), "{text}");

    feed.close_channel();
    assert!(
        within(response.chunk()).await.expect("reads").is_none(),
        "ends when the instance ends it"
    );
}
