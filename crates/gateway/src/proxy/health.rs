//! Active health checks: every instance's `/health`, polled on an interval
//! until shutdown. A failing check ejects an instance at once; an ejected
//! one is checked only as its breaker's probe, once its cool-down is over,
//! and comes back when that check passes.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::body::Body;
use futures::FutureExt;
use futures::future::{BoxFuture, join_all};
use http::uri::PathAndQuery;
use http_body_util::BodyExt;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::balancer::{Balancer, Base};
use super::client::HttpClient;

/// Starts the checker on the current Tokio runtime; it stops with `shutdown`.
pub(crate) fn spawn_health_checks(
    client: HttpClient,
    balancers: Vec<Arc<Balancer>>,
    every: Duration,
    timeout: Duration,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Handle::try_current().context(
        "the gateway router must be built inside a Tokio runtime: it starts health checks",
    )?;
    runtime.spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = ticks.tick() => {}
            }
            let round =
                balancers.iter().flat_map(|balancer| {
                    let client = &client;
                    balancer.instances().iter().enumerate().map(
                        move |(index, instance)| async move {
                            if balancer.begin_check(index) {
                                let healthy = probe(client, &instance.base, timeout).await;
                                balancer.end_check(index, healthy);
                            }
                        },
                    )
                });
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = join_all(round) => {}
            }
        }
    });
    Ok(())
}

/// Does `{base}/health` answer 2xx within `timeout`? The body is read so the
/// connection goes back to the pool.
async fn probe(client: &HttpClient, base: &Base, timeout: Duration) -> bool {
    let Ok(uri) = base.uri(&PathAndQuery::from_static("/health")) else {
        return false;
    };
    let mut request = http::Request::new(Body::empty());
    *request.uri_mut() = uri;
    let answer = async {
        let response = client.request(request).await.ok()?;
        let success = response.status().is_success();
        response.into_body().collect().await.ok()?;
        Some(success)
    };
    matches!(tokio::time::timeout(timeout, answer).await, Ok(Some(true)))
}

/// A `/ready` check: the service has at least one healthy instance.
pub(crate) fn readiness_check(
    balancer: Arc<Balancer>,
) -> impl Fn() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync + 'static {
    move || {
        let balancer = Arc::clone(&balancer);
        async move {
            if balancer.has_healthy() {
                Ok(())
            } else {
                anyhow::bail!("no healthy instance of {}", balancer.service())
            }
        }
        .boxed()
    }
}
