//! The proxy when instances fail: circuit breakers, retries and their
//! budget, per-upstream timeouts. Over real sockets, like `proxy`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chorus_gateway::{Backend, GatewayConfig, GatewayDeps, Upstream};
use chorus_ports::cache::MemoryCache;
use chorus_telemetry::Readiness;
use http::StatusCode;
use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::helpers::{document, identity_key, token_keys};
use crate::proxy::{Gateway, Instance, within};

/// Health checks that run once, at start: requests alone drive the breakers.
const RARELY: u64 = 60_000;

/// A fake instance whose `/health` passes but which reads the head of every
/// other request and closes the connection unanswered: a broken connection.
struct Dropper {
    addr: SocketAddr,
    dropped: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Dropper {
    async fn start() -> Self {
        let listener = within(TcpListener::bind("127.0.0.1:0"))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let dropped = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&dropped);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(drop_request(stream, Arc::clone(&counter)));
            }
        });
        Self {
            addr,
            dropped,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }
}

impl Drop for Dropper {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn drop_request(mut stream: TcpStream, dropped: Arc<AtomicUsize>) {
    let mut head = Vec::new();
    let mut buffer = [0; 1024];
    while !head.windows(4).any(|window| window == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(read) => head.extend_from_slice(&buffer[..read]),
        }
    }
    if head.starts_with(b"GET /health ") {
        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
        let _ = stream.write_all(answer).await;
        return;
    }
    dropped.fetch_add(1, Ordering::SeqCst);
}

/// An address where nothing listens any more.
async fn dead_address() -> String {
    let listener = within(TcpListener::bind("127.0.0.1:0"))
        .await
        .expect("bind");
    format!("http://{}", listener.local_addr().expect("address"))
}

async fn statuses(gateway: &Gateway, count: usize) -> Vec<StatusCode> {
    let mut statuses = Vec::new();
    for _ in 0..count {
        statuses.push(gateway.call(Method::GET, "/api/v1/where", "").await.0);
    }
    statuses
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|&&each| each == status).count()
}

#[tokio::test]
async fn an_instance_answering_503_is_ejected_and_back_after_a_passing_probe() {
    let (a, b) = (Instance::start("a").await, Instance::start("b").await);
    let gateway = Gateway::start(&[&a, &b], |config| {
        config.health_check_interval_ms = RARELY;
        config.breaker_failures = 3;
        config.breaker_cooldown_ms = 800;
    })
    .await;
    b.fall_sick(true);
    let answers = statuses(&gateway, 20).await;
    assert_eq!(b.hits(), 3, "three 503s in a row eject b");
    assert_eq!(count(&answers, StatusCode::SERVICE_UNAVAILABLE), 3);
    assert_eq!(a.hits(), 17);

    // After the cool-down, one request probes b; it fails, and b is out again.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let answers = statuses(&gateway, 6).await;
    assert_eq!(b.hits(), 4, "exactly one probe: {answers:?}");
    assert_eq!(count(&answers, StatusCode::SERVICE_UNAVAILABLE), 1);

    // Healthy again: after the doubled cool-down, a probe passes and b is back.
    b.fall_sick(false);
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    let answers = statuses(&gateway, 10).await;
    assert_eq!(count(&answers, StatusCode::OK), 10, "{answers:?}");
    assert!(b.hits() >= 4 + 4, "b gets its share again: {}", b.hits());
}

#[tokio::test]
async fn health_checks_eject_a_failing_instance_and_bring_it_back() {
    let a = Instance::start("a").await;
    let gateway = Gateway::start(&[&a], |config| {
        config.breaker_failures = 100;
        config.breaker_cooldown_ms = 200;
    })
    .await;
    gateway.await_ready_status(StatusCode::OK).await;
    a.fail_health(true);
    gateway
        .await_ready_status(StatusCode::SERVICE_UNAVAILABLE)
        .await;
    let (status, body) = gateway.get("/api/v1/where").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(
        body["error"]["code"], "unavailable",
        "the gateway's own 503"
    );
    a.fail_health(false);
    gateway.await_ready_status(StatusCode::OK).await;
    assert_eq!(a.hits(), 0, "the health check alone brought it back");
    assert_eq!(gateway.get("/api/v1/where").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_post_is_not_retried_after_a_broken_connection_but_a_get_is() {
    let dropper = Dropper::start().await;
    let a = Instance::start("a").await;
    let gateway = Gateway::start_at(
        vec![dropper.url(), a.url()],
        |config| config.health_check_interval_ms = RARELY,
        Vec::new(),
    )
    .await;
    let mut answers = Vec::new();
    for _ in 0..4 {
        answers.push(gateway.call(Method::POST, "/api/v1/echo", "note").await);
    }
    // Turns alternate: two reach the dropper and are not tried again.
    assert_eq!(dropper.dropped(), 2, "{answers:?}");
    let broken: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::BAD_GATEWAY)
        .collect();
    assert_eq!(broken.len(), 2, "{answers:?}");
    assert!(broken[0].1.contains("bad_gateway"), "{answers:?}");

    let answers = statuses(&gateway, 4).await;
    assert_eq!(
        count(&answers, StatusCode::OK),
        4,
        "GETs go again: {answers:?}"
    );
    assert!(
        dropper.dropped() >= 3,
        "one of the first two GETs met the dropper"
    );
    assert_eq!(a.hits(), 4);
}

#[tokio::test]
async fn a_post_whose_connection_was_refused_goes_to_another_instance_body_and_all() {
    let (a, b) = (Instance::start("a").await, Instance::start("b").await);
    let gateway = Gateway::start(&[&a, &b], |config| {
        config.health_check_interval_ms = RARELY;
    })
    .await;
    b.stop().await;
    // Turns alternate, so one of the two meets the stopped instance.
    for _ in 0..2 {
        let (status, body) = gateway
            .call(Method::POST, "/api/v1/echo", "a body to keep")
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, "a body to keep");
    }
}

#[tokio::test]
async fn retries_stop_when_the_budget_is_spent() {
    let (one, two) = (Dropper::start().await, Dropper::start().await);
    let gateway = Gateway::start_at(
        vec![one.url(), two.url()],
        |config| {
            config.health_check_interval_ms = RARELY;
            config.breaker_failures = 1_000;
            config.retry_budget_percent = 20;
            config.retry_budget_min_per_sec = 1;
        },
        Vec::new(),
    )
    .await;
    let requests = 50;
    let answers = statuses(&gateway, requests).await;
    assert_eq!(count(&answers, StatusCode::BAD_GATEWAY), requests);
    let retries = one.dropped() + two.dropped() - requests;
    // 20 % of 50, and one a second (the test takes a second or two).
    assert!((1..=10 + 3).contains(&retries), "{retries} retries");
}

#[tokio::test]
async fn a_per_upstream_timeout_applies_to_its_service_only() {
    let a = Instance::start("a").await;
    let reports = Upstream {
        service: "reports".to_string(),
        openapi: document(&["/api/v1/sluggish"]),
        extra_paths: Vec::new(),
        body_limits: Vec::new(),
        backend: Backend::Remote(vec![a.url()]),
    };
    let gateway = Gateway::start_with(
        &[&a],
        |config| {
            config.upstream_timeout_ms = 2_000;
            config.upstream_timeouts_ms = [("reports".to_string(), 200)].into();
        },
        vec![reports],
    )
    .await;
    let (status, body) = gateway.get("/api/v1/sluggish").await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert_eq!(body["error"]["code"], "timeout");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("reports") && message.contains("200 ms"),
        "{message}"
    );
    let (status, body) = gateway.call(Method::GET, "/api/v1/nap", "").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "rested"));
}

#[tokio::test]
async fn a_timeout_for_an_unknown_service_is_refused_at_start() {
    let config = GatewayConfig {
        upstream_timeouts_ms: [("serach".to_string(), 2_000)].into(),
        ..GatewayConfig::default()
    };
    let deps = GatewayDeps {
        token_keys: token_keys(),
        identity_key: identity_key(),
        cache: Arc::new(MemoryCache::new("t")),
        readiness: Readiness::new(),
        shutdown: CancellationToken::new(),
    };
    let search = Upstream {
        service: "search".to_string(),
        openapi: document(&["/api/v1/search"]),
        extra_paths: Vec::new(),
        body_limits: Vec::new(),
        backend: Backend::Remote(vec![dead_address().await]),
    };
    let Err(error) = chorus_gateway::router(&config, deps, vec![search]) else {
        panic!("a misspelt service must not start");
    };
    let message = format!("{error:#}");
    assert!(message.contains("unknown services: serach"), "{message}");
}
