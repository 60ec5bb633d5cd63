//! The reverse proxy, over real sockets: a gateway on 127.0.0.1:0 in front of
//! two instances of one remote service.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRef, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chorus_core::{IdentityKey, MaybeIdentity};
use chorus_gateway::{Backend, GatewayConfig, GatewayDeps, Upstream};
use chorus_ports::cache::MemoryCache;
use chorus_telemetry::Readiness;
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use http::StatusCode;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::helpers::{USER, document, identity_key, token_keys};

/// Every wait in these tests ends within this.
pub(crate) const PATIENCE: Duration = Duration::from_secs(10);

pub(crate) async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(PATIENCE, future)
        .await
        .expect("finished in time")
}

#[derive(Clone)]
struct InstanceState {
    name: &'static str,
    hits: Arc<AtomicUsize>,
    /// Answers 503 to `/api/v1/where`.
    sick: Arc<AtomicBool>,
    /// Answers 503 to `/health`.
    unhealthy: Arc<AtomicBool>,
    identity_key: IdentityKey,
}

impl FromRef<InstanceState> for IdentityKey {
    fn from_ref(state: &InstanceState) -> Self {
        state.identity_key.clone()
    }
}

/// One instance of the remote service, on its own socket.
pub(crate) struct Instance {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    sick: Arc<AtomicBool>,
    unhealthy: Arc<AtomicBool>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Instance {
    pub(crate) async fn start(name: &'static str) -> Self {
        let listener = within(TcpListener::bind("127.0.0.1:0"))
            .await
            .expect("bind");
        Self::serve(name, listener)
    }

    /// Comes back on the address it had.
    pub(crate) async fn restart(name: &'static str, addr: SocketAddr) -> Self {
        let listener = within(TcpListener::bind(addr)).await.expect("rebind");
        Self::serve(name, listener)
    }

    fn serve(name: &'static str, listener: TcpListener) -> Self {
        let addr = listener.local_addr().expect("address");
        let hits = Arc::new(AtomicUsize::new(0));
        let sick = Arc::new(AtomicBool::new(false));
        let unhealthy = Arc::new(AtomicBool::new(false));
        let state = InstanceState {
            name,
            hits: Arc::clone(&hits),
            sick: Arc::clone(&sick),
            unhealthy: Arc::clone(&unhealthy),
            identity_key: identity_key(),
        };
        let app = Router::new()
            .route("/health", get(health))
            .route("/api/v1/where", get(place))
            .route("/api/v1/extra/{*rest}", get(place))
            .route(
                "/api/v1/echo",
                post(|body: Body| async move { Response::new(body) }),
            )
            .route(
                "/api/v1/sink",
                post(|body: Bytes| async move { body.len().to_string() }),
            )
            .route(
                "/api/v1/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    "late"
                }),
            )
            .route("/api/v1/nap", get(nap))
            .route("/api/v1/sluggish", get(nap))
            .with_state(state);
        let stop = CancellationToken::new();
        let shutdown = stop.clone().cancelled_owned();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        Self {
            addr,
            hits,
            sick,
            unhealthy,
            stop,
            task,
        }
    }

    /// Its API answers 503 (its `/health` still passes).
    pub(crate) fn fall_sick(&self, sick: bool) {
        self.sick.store(sick, Ordering::SeqCst);
    }

    /// Its `/health` answers 503.
    pub(crate) fn fail_health(&self, failing: bool) {
        self.unhealthy.store(failing, Ordering::SeqCst);
    }

    pub(crate) fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub(crate) fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    /// Stops accepting, closes its connections, and is gone.
    pub(crate) async fn stop(self) -> SocketAddr {
        self.stop.cancel();
        within(self.task).await.expect("instance task");
        self.addr
    }
}

async fn health(State(state): State<InstanceState>) -> (StatusCode, &'static str) {
    match state.unhealthy.load(Ordering::SeqCst) {
        true => (StatusCode::SERVICE_UNAVAILABLE, "sick"),
        false => (StatusCode::OK, "ok"),
    }
}

async fn nap() -> &'static str {
    tokio::time::sleep(Duration::from_millis(500)).await;
    "rested"
}

/// Which instance answered, and what it was told (a 503 while sick).
async fn place(
    State(state): State<InstanceState>,
    MaybeIdentity(identity): MaybeIdentity,
    headers: HeaderMap,
) -> Response {
    state.hits.fetch_add(1, Ordering::SeqCst);
    if state.sick.load(Ordering::SeqCst) {
        return (StatusCode::SERVICE_UNAVAILABLE, "sick").into_response();
    }
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    axum::Json(json!({
        "instance": state.name,
        "user_id": identity.map(|identity| identity.user_id.to_string()),
        "x-forwarded-for": header("x-forwarded-for"),
        "x-forwarded-proto": header("x-forwarded-proto"),
        "x-forwarded-host": header("x-forwarded-host"),
        "x-request-id": header("x-request-id"),
        "connection": header("connection"),
        "x-hop": header("x-hop"),
    }))
    .into_response()
}

pub(crate) struct Gateway {
    pub(crate) addr: SocketAddr,
    pub(crate) http: reqwest::Client,
    shutdown: CancellationToken,
}

impl Gateway {
    pub(crate) async fn start(
        instances: &[&Instance],
        tune: impl FnOnce(&mut GatewayConfig),
    ) -> Self {
        Self::start_with(instances, tune, Vec::new()).await
    }

    /// With `others` beside the remote service.
    pub(crate) async fn start_with(
        instances: &[&Instance],
        tune: impl FnOnce(&mut GatewayConfig),
        others: Vec<Upstream>,
    ) -> Self {
        let urls = instances.iter().map(|instance| instance.url()).collect();
        Self::start_at(urls, tune, others).await
    }

    /// In front of the remote service's instances at `urls`.
    pub(crate) async fn start_at(
        urls: Vec<String>,
        tune: impl FnOnce(&mut GatewayConfig),
        others: Vec<Upstream>,
    ) -> Self {
        chorus_testkit::init_test_logs();
        let mut config = GatewayConfig {
            health_check_interval_ms: 100,
            upstream_timeout_ms: 2_000,
            ..GatewayConfig::default()
        };
        tune(&mut config);
        let shutdown = CancellationToken::new();
        let deps = GatewayDeps {
            token_keys: token_keys(),
            identity_key: identity_key(),
            cache: Arc::new(MemoryCache::new("t")),
            readiness: Readiness::new(),
            shutdown: shutdown.clone(),
        };
        let upstream = Upstream {
            service: "places".to_string(),
            openapi: document(&[
                "/api/v1/where",
                "/api/v1/echo",
                "/api/v1/sink",
                "/api/v1/slow",
                "/api/v1/nap",
            ]),
            extra_paths: vec!["/api/v1/extra/{*rest}".to_string()],
            body_limits: Vec::new(),
            backend: Backend::Remote(urls),
        };
        let mut upstreams = others;
        upstreams.push(upstream);
        let router = chorus_gateway::router(&config, deps, upstreams).expect("gateway router");
        let listener = within(TcpListener::bind("127.0.0.1:0"))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let stop = shutdown.clone().cancelled_owned();
        tokio::spawn(async move {
            let service = router.into_make_service_with_connect_info::<SocketAddr>();
            let _ = axum::serve(listener, service)
                .with_graceful_shutdown(stop)
                .await;
        });
        let http = reqwest::Client::builder()
            .timeout(PATIENCE)
            .build()
            .expect("client");
        Self {
            addr,
            http,
            shutdown,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url(path))
            .send()
            .await
            .expect("gateway answers");
        let status = StatusCode::from_u16(response.status().as_u16()).expect("status");
        (status, response.json().await.expect("JSON body"))
    }

    /// The status and body text of a `method` request with `body`.
    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &'static str,
    ) -> (StatusCode, String) {
        let response = self
            .http
            .request(method, self.url(path))
            .body(body)
            .send()
            .await
            .expect("gateway answers");
        let status = StatusCode::from_u16(response.status().as_u16()).expect("status");
        (status, response.text().await.expect("body"))
    }

    /// Waits until `/ready` answers `status`.
    pub(crate) async fn await_ready_status(&self, status: StatusCode) {
        within(async {
            loop {
                let response = self
                    .http
                    .get(self.url("/ready"))
                    .send()
                    .await
                    .expect("answers");
                if response.status().as_u16() == status.as_u16() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

#[tokio::test]
async fn requests_spread_over_both_instances() {
    let (a, b) = (Instance::start("a").await, Instance::start("b").await);
    let gateway = Gateway::start(&[&a, &b], |_| {}).await;
    for _ in 0..20 {
        let (status, body) = gateway.get("/api/v1/where").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert_eq!(a.hits() + b.hits(), 20);
    assert!(
        a.hits() >= 5 && b.hits() >= 5,
        "a: {}, b: {}",
        a.hits(),
        b.hits()
    );
}

#[tokio::test]
async fn requests_keep_succeeding_when_an_instance_stops() {
    let (a, b) = (Instance::start("a").await, Instance::start("b").await);
    let gateway = Gateway::start(&[&a, &b], |_| {}).await;
    for _ in 0..4 {
        assert_eq!(gateway.get("/api/v1/where").await.0, StatusCode::OK);
    }
    b.stop().await;
    // At once, before any health check: a GET that meets the dead instance is retried.
    for _ in 0..10 {
        let (status, body) = gateway.get("/api/v1/where").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["instance"], "a");
    }
    // After health checks too; and the gateway stays ready on one instance.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..4 {
        assert_eq!(gateway.get("/api/v1/where").await.0, StatusCode::OK);
    }
    gateway.await_ready_status(StatusCode::OK).await;
}

#[tokio::test]
async fn an_ejected_instance_gets_traffic_again_once_it_is_healthy() {
    let (a, b) = (Instance::start("a").await, Instance::start("b").await);
    let gateway = Gateway::start(&[&a, &b], |_| {}).await;
    let addr = b.stop().await;
    gateway.get("/api/v1/where").await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let b = Instance::restart("b", addr).await;
    within(async {
        while b.hits() == 0 {
            gateway.get("/api/v1/where").await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn with_every_instance_down_the_gateway_answers_503_and_is_not_ready() {
    let (a, b) = (Instance::start("a").await, Instance::start("b").await);
    let gateway = Gateway::start(&[&a, &b], |_| {}).await;
    gateway.await_ready_status(StatusCode::OK).await;
    a.stop().await;
    b.stop().await;

    let (status, body) = gateway.get("/api/v1/where").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");
    let (status, body) = gateway.get("/api/v1/where").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "unavailable");

    gateway
        .await_ready_status(StatusCode::SERVICE_UNAVAILABLE)
        .await;
    let (_, body) = gateway.get("/ready").await;
    assert!(
        body["error"]["details"]["upstream:places"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn the_instance_learns_who_asked_and_who_is_signed_in() {
    let a = Instance::start("a").await;
    let gateway = Gateway::start(&[&a], |_| {}).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let now = i64::try_from(now).expect("fits");
    let token = token_keys().issue(&chorus_core::token::AccessClaims {
        sub: USER,
        sid: chorus_core::Id(1),
        iat: now,
        exp: now + 600,
        csrf: None,
    });
    let response = gateway
        .http
        .get(gateway.url("/api/v1/where"))
        .bearer_auth(token)
        .header("x-request-id", "trace-me-1")
        .header("x-chorus-identity", "forged")
        .header("connection", "keep-alive, x-hop")
        .header("x-hop", "secret")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.headers()["x-request-id"], "trace-me-1");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["user_id"], USER.to_string(), "{body}");
    assert_eq!(body["x-forwarded-for"], "127.0.0.1");
    assert_eq!(body["x-forwarded-proto"], "http");
    assert_eq!(body["x-forwarded-host"], gateway.addr.to_string());
    assert_eq!(body["x-request-id"], "trace-me-1");
    assert!(
        body["x-hop"].is_null(),
        "a header named by Connection is hop-by-hop: {body}"
    );
}

#[tokio::test]
async fn in_process_and_remote_services_mix_behind_one_gateway() {
    let a = Instance::start("a").await;
    let local = Upstream {
        service: "local".to_string(),
        openapi: document(&["/api/v1/local"]),
        extra_paths: Vec::new(),
        body_limits: Vec::new(),
        backend: Backend::InProcess(Router::new().route("/api/v1/local", get(|| async { "here" }))),
    };
    let gateway = Gateway::start_with(&[&a], |_| {}, vec![local]).await;
    let response = gateway
        .http
        .get(gateway.url("/api/v1/local"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.text().await.expect("text"), "here");
    let (status, body) = gateway.get("/api/v1/where").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["instance"], "a");
    let (_, document) = gateway.get("/api/v1/openapi.json").await;
    assert!(document["paths"]["/api/v1/local"].is_object());
    assert!(document["paths"]["/api/v1/where"].is_object());
}

#[tokio::test]
async fn extra_paths_are_proxied_too() {
    let a = Instance::start("a").await;
    let gateway = Gateway::start(&[&a], |_| {}).await;
    let (status, body) = gateway.get("/api/v1/extra/deep/path").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["instance"], "a");
}

#[tokio::test]
async fn a_slow_instance_answers_504_in_the_error_shape() {
    let a = Instance::start("a").await;
    let gateway = Gateway::start(&[&a], |config| config.upstream_timeout_ms = 200).await;
    let (status, body) = gateway.get("/api/v1/slow").await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert_eq!(body["error"]["code"], "timeout");
}

#[tokio::test]
async fn a_large_post_body_arrives_intact() {
    let (a, b) = (Instance::start("a").await, Instance::start("b").await);
    let gateway = Gateway::start(&[&a, &b], |_| {}).await;
    let payload: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
    let response = gateway
        .http
        .post(gateway.url("/api/v1/echo"))
        .body(payload.clone())
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 200);
    let echoed = response.bytes().await.expect("body");
    assert!(
        echoed == payload,
        "{} bytes back of {}",
        echoed.len(),
        payload.len()
    );
}

type Feed = mpsc::Sender<Bytes>;
type FedBody = StreamBody<
    futures::stream::Map<mpsc::Receiver<Bytes>, fn(Bytes) -> Result<Frame<Bytes>, Infallible>>,
>;

fn data_frame(bytes: Bytes) -> Result<Frame<Bytes>, Infallible> {
    Ok(Frame::data(bytes))
}

/// A raw HTTP/1 connection to the gateway whose request body the test feeds by hand.
async fn streaming_post(
    gateway: SocketAddr,
    path: &str,
) -> (
    Feed,
    impl Future<Output = hyper::Result<http::Response<hyper::body::Incoming>>>,
) {
    let stream = within(TcpStream::connect(gateway)).await.expect("connect");
    let (mut sender, connection) = within(hyper::client::conn::http1::handshake::<_, FedBody>(
        TokioIo::new(stream),
    ))
    .await
    .expect("handshake");
    tokio::spawn(connection);
    let (feed, chunks) = mpsc::channel::<Bytes>(4);
    let body: FedBody = StreamBody::new(chunks.map(data_frame as fn(Bytes) -> _));
    let request = http::Request::post(path)
        .header("host", gateway.to_string())
        .body(body)
        .expect("request");
    (feed, sender.send_request(request))
}

#[tokio::test]
async fn a_post_body_streams_through_both_ways_without_buffering() {
    let a = Instance::start("a").await;
    let gateway = Gateway::start(&[&a], |_| {}).await;
    let (mut feed, response) = streaming_post(gateway.addr, "/api/v1/echo").await;
    let response = tokio::spawn(response);
    within(feed.send(Bytes::from_static(b"first chunk;")))
        .await
        .expect("send");
    let response = within(response)
        .await
        .expect("task")
        .expect("response head");
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();

    // The first chunk comes back while the request body is still open.
    let frame = within(body.frame())
        .await
        .expect("a frame")
        .expect("no error");
    assert_eq!(frame.into_data().expect("data"), "first chunk;");

    within(feed.send(Bytes::from_static(b"second chunk")))
        .await
        .expect("send");
    drop(feed);
    let rest = within(body.collect()).await.expect("rest").to_bytes();
    assert_eq!(rest, "second chunk");
}

#[tokio::test]
async fn an_oversize_streamed_body_answers_413_in_the_error_shape() {
    let a = Instance::start("a").await;
    let gateway = Gateway::start(&[&a], |config| config.body_limit_bytes = 64 * 1024).await;
    let (mut feed, response) = streaming_post(gateway.addr, "/api/v1/sink").await;
    let response = tokio::spawn(response);
    for _ in 0..16 {
        if within(feed.send(Bytes::from(vec![b'x'; 16 * 1024])))
            .await
            .is_err()
        {
            break;
        }
    }
    drop(feed);
    let response = within(response)
        .await
        .expect("task")
        .expect("response head");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body = within(response.into_body().collect())
        .await
        .expect("body")
        .to_bytes();
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(body["error"]["code"], "payload_too_large");
}
