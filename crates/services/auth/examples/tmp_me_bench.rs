// Throwaway: in-process throughput of GET /auth/me (deleted after measuring).
#![allow(clippy::unwrap_used)]
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use chorus_auth::{AuthConfig, AuthService};
use chorus_core::token::TokenKeys;
use chorus_core::{IdGenerator, Identity, IdentityKey, Secret};
use chorus_ports::bus::MemoryBus;
use chorus_ports::cache::MemoryCache;
use chorus_ports::pubsub::MemoryPubSub;
use chorus_ports::{Infra, InfraConfig, ServiceContext};
use http::Request;
use http_body_util::BodyExt;
use tower::ServiceExt;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = std::env::temp_dir().join(format!("tmp_me_bench_{}", std::process::id()));
    let ctx = ServiceContext {
        infra: Infra {
            cache: Arc::new(MemoryCache::new("b")),
            pubsub: Arc::new(MemoryPubSub::new("b")),
            bus: Arc::new(MemoryBus::new()),
        },
        infra_config: InfraConfig::default(),
        data_dir: dir.clone(),
        ids: Arc::new(IdGenerator::new(1)),
        identity_key: IdentityKey::new(&Secret::new("k")),
        token_keys: TokenKeys::new(&Secret::new("t")),
        access_ttl: Duration::from_secs(900),
        shutdown: Default::default(),
        tasks: Default::default(),
    };
    let service = AuthService::start(&ctx, AuthConfig::default()).await.unwrap();
    let router = service.router();
    let body = r#"{"username":"alice","email":"a@example.com","password":"correct horse battery"}"#;
    let response = router
        .clone()
        .oneshot(Request::post("/api/v1/auth/signup").header("content-type", "application/json").body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let claims = ctx.token_keys.verify(json["access_token"].as_str().unwrap()).unwrap();
    let identity = ctx.identity_key.sign(Identity { user_id: claims.sub, session_id: claims.sid });
    let n = 200_000;
    let started = Instant::now();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let router = router.clone();
            let identity = identity.clone();
            tokio::spawn(async move {
                for _ in 0..n / 4 {
                    let r = router
                        .clone()
                        .oneshot(Request::get("/api/v1/auth/me").header("x-chorus-identity", &identity).body(Body::empty()).unwrap())
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    let _ = r.into_body().collect().await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!("{n} requests in {secs:.2}s: {:.0}/s", n as f64 / secs);
    let _ = std::fs::remove_dir_all(dir);
}
