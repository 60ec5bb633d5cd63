//! `/health` (the process lives), `/ready` (its dependencies answer) and
//! `/metrics` (Prometheus text).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::future::BoxFuture;
use serde_json::json;

type Check = Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// The dependencies a process needs, each with a check that they answer.
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Vec<(String, Check)>,
}

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn check<F>(mut self, name: impl Into<String>, check: F) -> Self
    where
        F: Fn() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync + 'static,
    {
        self.checks.push((name.into(), Arc::new(check)));
        self
    }

    pub fn merge(mut self, other: Readiness) -> Self {
        for (name, check) in other.checks {
            if !self.checks.iter().any(|(n, _)| *n == name) {
                self.checks.push((name, check));
            }
        }
        self
    }

    /// Runs every check (each bounded to 2 s); the failures, by name.
    pub async fn failures(&self) -> Vec<(String, String)> {
        let runs = self.checks.iter().map(|(name, check)| async move {
            match tokio::time::timeout(Duration::from_secs(2), check()).await {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some((name.clone(), format!("{error:#}"))),
                Err(_) => Some((name.clone(), "no answer within 2 s".to_string())),
            }
        });
        futures::future::join_all(runs)
            .await
            .into_iter()
            .flatten()
            .collect()
    }
}

pub fn ops_router(readiness: Readiness) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(readiness)
}

async fn health() -> Response {
    axum::Json(json!({ "status": "ok" })).into_response()
}

async fn ready(State(readiness): State<Readiness>) -> Response {
    let failures = readiness.failures().await;
    if failures.is_empty() {
        return axum::Json(json!({ "status": "ready" })).into_response();
    }
    for (name, error) in &failures {
        tracing::warn!(dependency = %name, %error, "not ready");
    }
    let failing: serde_json::Map<String, serde_json::Value> = failures
        .into_iter()
        .map(|(name, error)| (name, json!(error)))
        .collect();
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({
            "error": {
                "code": "not_ready",
                "message": "a dependency does not answer",
                "details": failing,
            }
        })),
    )
        .into_response()
}

async fn metrics() -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        crate::metrics::handle().render(),
    )
        .into_response()
}
