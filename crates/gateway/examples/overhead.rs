//! Temporary: requests per second of GET /api/v1/auth/me, bare vs through the gateway.
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::FromRef;
use axum::routing::get;
use chorus_core::token::{AccessClaims, TokenKeys};
use chorus_core::{Id, Identity, IdentityKey, Secret};
use chorus_gateway::{Backend, GatewayConfig, GatewayDeps, Upstream};
use chorus_ports::cache::MemoryCache;
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;

#[derive(Clone)]
struct S(IdentityKey);
impl FromRef<S> for IdentityKey {
    fn from_ref(s: &S) -> Self {
        s.0.clone()
    }
}
async fn me(identity: Identity) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"id": identity.user_id.to_string(), "username": "alice", "email": "alice@example.com", "display_name": "Alice", "created_at": "2026-01-01T00:00:00Z"}))
}
fn service(key: IdentityKey) -> Router {
    Router::new().route("/api/v1/auth/me", get(me)).with_state(S(key))
}

async fn serve(router: Router) -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, router.into_make_service_with_connect_info::<SocketAddr>()).await });
    a
}

async fn load(addr: SocketAddr, header: (&'static str, String), secs: u64) -> f64 {
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = vec![];
    for _ in 0..64 {
        let count = count.clone();
        let header = header.clone();
        tasks.push(tokio::spawn(async move {
            let s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.set_nodelay(true).unwrap();
            let (mut tx, conn) = hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(s)).await.unwrap();
            tokio::spawn(conn);
            while Instant::now() < deadline {
                let req = http::Request::get("/api/v1/auth/me").header("host", "x").header(header.0, &header.1).body(Body::empty()).unwrap();
                let r = tx.send_request(req).await.unwrap();
                assert_eq!(r.status(), 200);
                r.into_body().collect().await.unwrap();
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks { t.await.unwrap(); }
    count.load(Ordering::Relaxed) as f64 / secs as f64
}

#[tokio::main(worker_threads = 2)]
async fn main() {
    chorus_telemetry::init_logs(chorus_telemetry::LogFormat::Text, "info");
    let key = IdentityKey::new(&Secret::new("k"));
    let keys = TokenKeys::new(&Secret::new("t"));
    let bare = serve(service(key.clone())).await;
    let deps = GatewayDeps { token_keys: keys.clone(), identity_key: key.clone(), cache: Arc::new(MemoryCache::new("b")), readiness: Default::default(), shutdown: Default::default() };
    let up = Upstream { service: "auth".into(), openapi: utoipa::openapi::OpenApi::new(utoipa::openapi::Info::new("a", "1"), utoipa::openapi::Paths::new()), extra_paths: vec![], backend: Backend::InProcess(service(key.clone())) };
    let gw = serve(chorus_gateway::router(&GatewayConfig::default(), deps, vec![up]).unwrap()).await;
    let now = chrono_now();
    let token = keys.issue(&AccessClaims { sub: Id(1), sid: Id(2), iat: now, exp: now + 600, csrf: None });
    let signed = key.sign(Identity { user_id: Id(1), session_id: Id(2) });
    let secs = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    for _ in 0..2 {
        let b = load(bare, ("x-chorus-identity", signed.clone()), secs).await;
        let g = load(gw, ("authorization", format!("Bearer {token}")), secs).await;
        println!("bare {b:.0} req/s, gateway {g:.0} req/s, ratio {:.2}", g / b);
    }
}
fn chrono_now() -> i64 { std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 }
