//! Real sockets for the realtime proxy tests: upstream instances as axum
//! apps on 127.0.0.1:0, and a gateway in front of them on its own port.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use chorus_gateway::{Backend, GatewayConfig, GatewayDeps, Upstream};
use chorus_ports::Cache;
use chorus_ports::cache::MemoryCache;
use chorus_telemetry::Readiness;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::helpers::{document, identity_key, token_keys};

/// Every wait in these tests ends within this.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(PATIENCE, future)
        .await
        .expect("finished in time")
}

/// One upstream instance serving `app` on its own port.
pub struct Instance {
    pub addr: SocketAddr,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl Instance {
    pub async fn serve(app: Router) -> Self {
        let listener = within(TcpListener::bind("127.0.0.1:0"))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        let stop = CancellationToken::new();
        let shutdown = stop.clone().cancelled_owned();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await;
        });
        Self { addr, stop, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, closes its connections, and is gone.
    pub async fn stop(self) {
        self.stop.cancel();
        within(self.task).await.expect("instance task");
    }
}

/// A gateway on 127.0.0.1:0 in front of one remote service.
pub struct Gateway {
    pub addr: SocketAddr,
    shutdown: CancellationToken,
}

/// The remote service behind a test gateway.
pub struct Remote<'a> {
    pub instances: &'a [&'a Instance],
    /// Paths of its OpenAPI document.
    pub paths: &'a [&'a str],
    /// Paths outside it (like Socket.IO's).
    pub extra_paths: &'a [&'a str],
}

impl Gateway {
    pub async fn start(remote: Remote<'_>, tune: impl FnOnce(&mut GatewayConfig)) -> Self {
        Self::start_sharing(remote, tune, Arc::new(MemoryCache::new("t"))).await
    }

    /// With `cache` as its shared cache (which several gateways may share).
    pub async fn start_sharing(
        remote: Remote<'_>,
        tune: impl FnOnce(&mut GatewayConfig),
        cache: Arc<dyn Cache>,
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
            cache,
            readiness: Readiness::new(),
            shutdown: shutdown.clone(),
        };
        let upstream = Upstream {
            service: "realtime".to_string(),
            openapi: document(remote.paths),
            extra_paths: remote.extra_paths.iter().map(|p| p.to_string()).collect(),
            body_limits: Vec::new(),
            backend: Backend::Remote(remote.instances.iter().map(|i| i.url()).collect()),
        };
        let router = chorus_gateway::router(&config, deps, vec![upstream]).expect("gateway router");
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
        Self { addr, shutdown }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(PATIENCE)
        .build()
        .expect("client")
}
