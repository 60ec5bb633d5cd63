//! Traces: a post created with a W3C `traceparent` yields spans, exported
//! over OTLP/HTTP to a fake collector, from the gateway, the posts service
//! and the feed's handling of `post.created`, all in the caller's trace;
//! distributed, the posts service's gRPC call to users carries it too.

use std::time::Duration;

use chorus_testkit::otlp::{ExportedSpan, FakeCollector};
use reqwest::StatusCode;
use serde_json::json;

use crate::client::Api;
use crate::harness::{Chorus, Mode};

#[tokio::test]
async fn embedded_spans_continue_the_callers_trace() {
    chorus_testkit::init_test_logs();
    let collector = FakeCollector::start().await;
    let app = Chorus::embedded_with(&env(&collector)).await;
    a_post_carries_its_trace_to_every_hop(&app, &collector).await;
}

#[tokio::test]
async fn distributed_spans_continue_the_callers_trace() {
    chorus_testkit::init_test_logs();
    let collector = FakeCollector::start().await;
    let Some(app) = Chorus::distributed_with(&env(&collector)).await else {
        return;
    };
    a_post_carries_its_trace_to_every_hop(&app, &collector).await;
}

fn env(collector: &FakeCollector) -> [(&'static str, &str); 2] {
    [
        ("CHORUS_LOG__OTLP_ENDPOINT", collector.url.as_str()),
        // Batches leave every 100 ms rather than every 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
    ]
}

async fn a_post_carries_its_trace_to_every_hop(app: &Chorus, collector: &FakeCollector) {
    let api = Api::new(&app.base);
    let author = api.user("tracer").await;
    let trace_id = format!("{:032x}", rand::random::<u128>() | 1);
    let caller_span = "00f067aa0ba902b7";
    let traceparent = format!("00-{trace_id}-{caller_span}-01");

    let created = api
        .send(
            reqwest::Client::new()
                .post(api.url("/api/v1/posts"))
                .bearer_auth(&author.token)
                .header("traceparent", &traceparent)
                .json(&json!({ "content": "traced #hop" })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);

    let distributed = app.mode == Mode::Distributed;
    let complete = |spans: &[ExportedSpan]| {
        let mine: Vec<&ExportedSpan> = spans.iter().filter(|s| s.trace_id == trace_id).collect();
        let has = |name: &str, key: &str, value: &str| {
            mine.iter()
                .any(|s| s.name == name && s.attribute(key) == Some(value))
        };
        has("request", "route", "/api/v1/posts")
            && has("serve", "service", "posts")
            && (has("event", "consumer", "feed") || has("events", "consumer", "feed"))
            && (!distributed || has("grpc", "service", "users"))
    };
    let spans = collector.wait_for(Duration::from_secs(20), complete).await;
    let mine: Vec<&ExportedSpan> = spans.iter().filter(|s| s.trace_id == trace_id).collect();
    assert!(complete(&spans), "spans of trace {trace_id}: {mine:#?}");

    // The gateway's span is the caller's child, and the service's span the gateway's.
    let gateway = mine
        .iter()
        .find(|s| s.name == "request")
        .expect("gateway span");
    assert_eq!(gateway.parent_span_id, caller_span, "{gateway:#?}");
    let posts = mine
        .iter()
        .find(|s| s.name == "serve" && s.attribute("service") == Some("posts"))
        .expect("posts span");
    assert_eq!(posts.parent_span_id, gateway.span_id, "{mine:#?}");
    let consumer = mine
        .iter()
        .find(|s| s.name.starts_with("event") && s.attribute("consumer") == Some("feed"))
        .expect("feed's handling");
    assert_ne!(consumer.parent_span_id, "", "{consumer:#?}");

    let service = |s: &ExportedSpan| s.service.clone();
    if distributed {
        assert_eq!(service(gateway), "chorus-gateway");
        assert_eq!(service(posts), "chorus-posts");
        assert_eq!(service(consumer), "chorus-feed");
        let grpc = mine
            .iter()
            .find(|s| s.name == "grpc" && s.attribute("service") == Some("users"))
            .expect("users' gRPC span");
        assert_eq!(service(grpc), "chorus-users");
    } else {
        assert!(mine.iter().all(|s| s.service == "chorus"), "{mine:#?}");
    }

    // A request without a traceparent starts a trace of its own.
    let other = api.get("/api/v1/users/me", author.token()).await;
    assert_eq!(other.status, StatusCode::OK, "{}", other.body);
    let served_me =
        |s: &&ExportedSpan| s.name == "serve" && s.attribute("route") == Some("/api/v1/users/me");
    let spans = collector
        .wait_for(Duration::from_secs(10), |spans| {
            let served = spans.iter().find(served_me);
            served.is_some_and(|served| spans.iter().any(|s| s.span_id == served.parent_span_id))
        })
        .await;
    let served = spans
        .iter()
        .find(served_me)
        .expect("users' span of the second request");
    let fresh = spans
        .iter()
        .find(|s| s.span_id == served.parent_span_id)
        .expect("the gateway's span of the second request");
    assert_eq!(fresh.name, "request", "{fresh:#?}");
    assert_ne!(fresh.trace_id, trace_id);
    assert_eq!(fresh.trace_id, served.trace_id);
    assert_eq!(fresh.parent_span_id, "", "a new trace's root");
}
