//! A gateway in front of a tiny in-process service, driven with `oneshot`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::FromRef;
use axum::response::Response;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chorus_core::token::{AccessClaims, TokenKeys};
use chorus_core::{Id, Identity, IdentityKey, MaybeIdentity, Secret};
use chorus_gateway::{Backend, GatewayConfig, GatewayDeps, Upstream};
use chorus_ports::Cache;
use chorus_ports::cache::MemoryCache;
use chorus_telemetry::Readiness;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;
use utoipa::openapi::path::{HttpMethod, Operation, PathItem};
use utoipa::openapi::{Info, OpenApi, Paths};

pub const USER: Id = Id(7001);
pub const SESSION: Id = Id(7002);

/// The service's state: it verifies the gateway's identity header with the
/// internal key, found through `FromRef` as in every real service.
#[derive(Clone)]
struct EchoState {
    identity_key: IdentityKey,
}

impl FromRef<EchoState> for IdentityKey {
    fn from_ref(state: &EchoState) -> Self {
        state.identity_key.clone()
    }
}

pub fn identity_key() -> IdentityKey {
    IdentityKey::new(&Secret::new("internal-test-key"))
}

pub fn token_keys() -> TokenKeys {
    TokenKeys::new(&Secret::new("access-test-key"))
}

/// The in-process service behind the gateway.
fn echo_service() -> Router {
    Router::new()
        .route("/api/v1/auth/me", get(me))
        .route("/api/v1/auth/login", post(whoever))
        .route("/api/v1/whoever", get(whoever).post(whoever))
        .route("/api/v1/echo", post(echo))
        .route("/api/v1/slow", get(slow))
        .route("/api/v1/big", get(big))
        .with_state(EchoState {
            identity_key: identity_key(),
        })
}

/// Needs a caller.
async fn me(identity: Identity) -> axum::Json<Value> {
    axum::Json(json!({
        "user_id": identity.user_id.to_string(),
        "session_id": identity.session_id.to_string(),
    }))
}

/// Open to all; says who it saw, and which request id.
async fn whoever(MaybeIdentity(identity): MaybeIdentity, headers: HeaderMap) -> axum::Json<Value> {
    axum::Json(json!({
        "user_id": identity.map(|identity| identity.user_id.to_string()),
        "request_id": headers.get("x-request-id").and_then(|v| v.to_str().ok()),
    }))
}

async fn echo(body: Bytes) -> Bytes {
    body
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(2)).await;
    "late"
}

async fn big() -> String {
    "chorus ".repeat(1000)
}

pub fn document(paths: &[&str]) -> OpenApi {
    let paths = paths.iter().fold(Paths::builder(), |builder, path| {
        builder.path(*path, PathItem::new(HttpMethod::Get, Operation::new()))
    });
    OpenApi::new(Info::new("echo", "1"), paths.build())
}

pub struct TestApp {
    pub router: Router,
    pub cache: Arc<dyn Cache>,
    keys: TokenKeys,
}

impl TestApp {
    pub fn new() -> Self {
        Self::with_config(GatewayConfig::default())
    }

    pub fn with_config(config: GatewayConfig) -> Self {
        Self::build(config, Arc::new(MemoryCache::new("t")))
    }

    pub fn build(config: GatewayConfig, cache: Arc<dyn Cache>) -> Self {
        Self::build_with(config, cache, Vec::new())
    }

    /// The echo service declaring `body_limits` of its own.
    pub fn build_with(
        config: GatewayConfig,
        cache: Arc<dyn Cache>,
        body_limits: Vec<(String, usize)>,
    ) -> Self {
        chorus_testkit::init_test_logs();
        let deps = GatewayDeps {
            token_keys: token_keys(),
            identity_key: identity_key(),
            cache: Arc::clone(&cache),
            readiness: Readiness::new(),
            shutdown: CancellationToken::new(),
        };
        let upstream = Upstream {
            service: "echo".to_string(),
            openapi: document(&["/api/v1/auth/me", "/api/v1/whoever"]),
            extra_paths: Vec::new(),
            body_limits,
            backend: Backend::InProcess(echo_service()),
        };
        let router = chorus_gateway::router(&config, deps, vec![upstream]).expect("gateway router");
        Self {
            router,
            cache,
            keys: token_keys(),
        }
    }

    /// An access token for `USER` in `SESSION`, expiring `expires_in` seconds from now.
    pub fn token(&self, expires_in: i64, csrf: Option<&str>) -> String {
        let now = chrono_now();
        self.keys.issue(&AccessClaims {
            sub: USER,
            sid: SESSION,
            iat: now,
            exp: now + expires_in,
            csrf: csrf.map(str::to_string),
        })
    }

    pub async fn send(&self, request: Request<Body>) -> Response {
        self.router
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails")
    }

    pub async fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        self.send(request("GET", path, headers, Body::empty()))
            .await
    }
}

pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: Body) -> Request<Body> {
    let builder = headers.iter().fold(
        Request::builder().method(method).uri(path),
        |builder, (name, value)| builder.header(*name, *value),
    );
    builder.body(body).expect("valid request")
}

fn chrono_now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs(),
    )
    .expect("fits")
}

/// A token whose claims were changed after signing.
pub fn tampered(token: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).expect("base64")).expect("json");
    claims["sub"] = json!("1");
    let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("json"));
    parts[1] = &forged;
    parts.join(".")
}

/// A token that claims no signature is needed.
pub fn unsigned() -> String {
    let now = chrono_now();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = json!({"sub": USER, "sid": SESSION, "iat": now, "exp": now + 600});
    let claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("json"));
    format!("{header}.{claims}.")
}

/// Status and JSON body of a response.
pub async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let bytes = body_of(response).await;
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&bytes)));
    (status, value)
}

pub async fn body_of(response: Response) -> Bytes {
    response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
}

/// Asserts the contract's error shape and code.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) {
    let (actual, body) = json_of(response).await;
    assert_eq!(actual, status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}
