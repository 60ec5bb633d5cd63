//! Spans exported over OTLP/HTTP to a fake collector: a caller's span and
//! the span of the service it calls (over real HTTP, `traceparent` header)
//! share one trace; an incoming `traceparent` keeps its trace id.

use std::time::Duration;

use axum::Router;
use axum::routing::get;
use chorus_telemetry::trace_context::{TRACEPARENT, TraceParent};
use chorus_telemetry::{LogFormat, ServeSpanLayer, current_traceparent, init_logs, otlp};
use chorus_testkit::otlp::{ExportedSpan, FakeCollector};
use tracing::Instrument;

const OUTER: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_of_a_call_share_the_callers_trace_and_reach_the_collector() {
    let collector = FakeCollector::start().await;
    init_logs(LogFormat::Text, "info");
    let exporter = otlp::install(&collector.url, "test-service").expect("installed");
    assert!(otlp::is_installed());

    // A service that answers with the trace context it runs in.
    let app = Router::new()
        .route(
            "/work",
            get(|| async { current_traceparent().unwrap_or_default() }),
        )
        .layer(ServeSpanLayer::http("svc"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/work", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::new();

    // A caller in a span of its own, passing its context on.
    let caller = tracing::info_span!("caller");
    let seen_in_service = async {
        let traceparent = current_traceparent().expect("a real span has a context");
        let reply = http.get(&url).header(TRACEPARENT, traceparent).send().await;
        reply.expect("reply").text().await.expect("body")
    }
    .instrument(caller.clone())
    .await;
    drop(caller);

    // A request from outside, carrying its own trace.
    let seen_outer = http
        .get(&url)
        .header(TRACEPARENT, OUTER)
        .send()
        .await
        .expect("reply")
        .text()
        .await
        .expect("body");

    // Flushes what is buffered: no waiting for the batch delay.
    exporter.shutdown().await;
    let spans = collector
        .wait_for(Duration::from_secs(5), |spans| spans.len() >= 3)
        .await;
    let named =
        |name: &str| -> Vec<&ExportedSpan> { spans.iter().filter(|s| s.name == name).collect() };
    let (callers, serves) = (named("caller"), named("serve"));
    assert_eq!(callers.len(), 1, "{spans:#?}");
    assert_eq!(serves.len(), 2, "{spans:#?}");
    assert!(
        spans.iter().all(|s| s.service == "test-service"),
        "{spans:#?}"
    );
    let caller = callers[0];

    let inner = serves
        .iter()
        .find(|s| s.parent_span_id == caller.span_id)
        .expect("the service's span is a child of the caller's");
    assert_eq!(inner.trace_id, caller.trace_id);
    assert_eq!(inner.attribute("service"), Some("svc"));
    assert_eq!(inner.attribute("route"), Some("/work"));
    // Inside the service, the context is the service's own span.
    let seen = TraceParent::parse(&seen_in_service).expect("valid traceparent");
    assert_eq!(seen.trace_id.to_string(), inner.trace_id);
    assert_eq!(seen.span_id.to_string(), inner.span_id);

    let outer = TraceParent::parse(OUTER).expect("valid");
    let continued = serves
        .iter()
        .find(|s| s.trace_id == outer.trace_id.to_string())
        .expect("the incoming trace id is kept");
    assert_eq!(continued.parent_span_id, outer.span_id.to_string());
    let seen = TraceParent::parse(&seen_outer).expect("valid traceparent");
    assert_eq!(seen.trace_id, outer.trace_id);
    assert_eq!(seen.span_id.to_string(), continued.span_id);
}
