//! The gateway: the one public entry of Chorus.
//!
//! [`router`] puts every service behind the same layers. Outermost first:
//!
//! 1. request id and a tracing span (`observe`),
//! 2. CORS (from [`GatewayConfig::cors_allowed_origins`]),
//! 3. gzip of responses above 1 KiB (not images, SSE or gRPC),
//! 4. per-route metrics (`chorus_telemetry::metrics::track_http`; being a
//!    `from_fn`, it clones the stack beneath it per request, so it sits low),
//! 5. the request timeout (504; at least a minute for engine.io's long
//!    polls) and JSON for framework-made 405/413 (`errors`),
//! 6. the request body limit (413): the gateway's, or a larger one a
//!    service declares for an upload route ([`Upstream::body_limits`]),
//!
//! then, on service routes only, authentication (`auth`). With the
//! benchmark-only `gateway.wrk2_api`, DeathStarBench's `/wrk2-api/*` routes
//! (`wrk2`) sit beside the services and call them directly. A service runs
//! in this process ([`Backend::InProcess`], `chorus up`) or as instances
//! behind the reverse proxy ([`Backend::Remote`], `chorus serve`), which also
//! carries WebSocket upgrades, server-sent events and sticky Socket.IO
//! sessions; both may mix.
//! Every error the gateway itself answers uses the contract's error shape.

mod auth;
mod config;
mod errors;
mod observe;
mod openapi;
mod oversize;
mod proxy;
mod revocations;
mod wrk2;

use std::collections::BTreeSet;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use chorus_core::IdentityKey;
use chorus_core::token::TokenKeys;
use chorus_ports::Cache;
use chorus_telemetry::{Readiness, ops_router};
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};

pub use config::GatewayConfig;
pub use openapi::openapi;

use auth::Authenticator;
use oversize::BodyLimits;
use proxy::{Balancer, Proxy, Sessions};

/// Where a service's requests go.
pub enum Backend {
    /// The service's router, called in process (its routes carry full paths).
    InProcess(Router),
    /// Base URLs of the service's instances, e.g. `http://users-1:8080`.
    Remote(Vec<String>),
}

/// One service behind the gateway.
pub struct Upstream {
    pub service: String,
    /// The service's API; for a remote service, also the routes to proxy.
    pub openapi: utoipa::openapi::OpenApi,
    /// Routes the document does not list (e.g. `/graphql`), in axum syntax.
    pub extra_paths: Vec<String>,
    /// Exact paths whose request bodies may pass `gateway.body_limit_bytes`,
    /// with their own limit: uploads the service streams and bounds itself.
    pub body_limits: Vec<(String, usize)>,
    pub backend: Backend,
}

/// What the gateway gets from the process running it.
pub struct GatewayDeps {
    pub token_keys: TokenKeys,
    pub identity_key: IdentityKey,
    /// Holds the revoked sessions.
    pub cache: Arc<dyn Cache>,
    /// The process's checks; the gateway adds one per remote service.
    pub readiness: Readiness,
    /// Stops the upstream health checks.
    pub shutdown: CancellationToken,
}

/// The public router: every upstream behind the gateway's layers, plus
/// `/health`, `/ready`, `/metrics` and `/api/v1/openapi.json`.
///
/// With remote upstreams it starts their health checks, so it must be called
/// inside a Tokio runtime. Fails on bad config or routes that collide.
pub fn router(
    config: &GatewayConfig,
    deps: GatewayDeps,
    upstreams: Vec<Upstream>,
) -> anyhow::Result<Router> {
    config.validate()?;
    config.validate_services(upstreams.iter().map(|upstream| upstream.service.as_str()))?;
    let cors = config.cors_layer()?;
    let document = openapi::route(&openapi(&upstreams))?;
    let GatewayDeps {
        token_keys,
        identity_key,
        cache,
        mut readiness,
        shutdown,
    } = deps;

    let client = proxy::http_client(config.upstream_timeout().min(Duration::from_secs(2)));
    let body_limits = Arc::new(BodyLimits {
        default: config.body_limit_bytes,
        paths: upstreams
            .iter()
            .flat_map(|upstream| upstream.body_limits.iter().cloned())
            .collect(),
    });
    let mut services = Router::new();
    let mut balancers = Vec::new();
    for upstream in upstreams {
        let service = upstream.service;
        let routes = match upstream.backend {
            Backend::InProcess(router) => router,
            Backend::Remote(urls) => {
                let balancer = Arc::new(Balancer::new(
                    &service,
                    &urls,
                    config.breaker_failures,
                    config.breaker_cooldown(),
                )?);
                readiness = readiness.check(
                    format!("upstream:{service}"),
                    proxy::readiness_check(Arc::clone(&balancer)),
                );
                balancers.push(Arc::clone(&balancer));
                let paths: BTreeSet<&str> = upstream
                    .openapi
                    .paths
                    .paths
                    .keys()
                    .chain(&upstream.extra_paths)
                    .map(String::as_str)
                    .collect();
                let sessions = Sessions::new(Arc::clone(&balancer), Arc::clone(&cache));
                let proxy = Proxy::new(client.clone(), balancer, sessions, config);
                without_panic(|| proxy.routes(paths))
                    .with_context(|| format!("routes of upstream {service:?}"))?
            }
        };
        services = without_panic(|| services.merge(routes))
            .with_context(|| format!("routes of upstream {service:?} collide with others"))?;
    }
    let wrk2 = config.wrk2_api.then(|| {
        tracing::warn!("{}", wrk2::WARNING);
        wrk2::routes(services.clone(), identity_key.clone(), Arc::clone(&cache))
    });
    let authenticator = Arc::new(Authenticator {
        token_keys,
        identity_key,
        cache,
        outage: revocations::OutageGrace::new(config.revocation_outage_grace()),
    });
    let services = services.layer(from_fn_with_state(authenticator, auth::authenticate));
    let mut own = ops_router(readiness).merge(document);
    if let Some(wrk2) = wrk2 {
        own = without_panic(|| own.merge(wrk2))
            .context("a service route collides with the /wrk2-api routes")?;
    }
    let app = without_panic(|| own.merge(services))
        .context("a service route collides with /health, /ready, /metrics or the OpenAPI route")?
        .fallback(errors::not_found)
        .method_not_allowed_fallback(errors::method_not_allowed)
        .layer(
            ServiceBuilder::new()
                .layer(observe::ObserveLayer)
                .layer(cors)
                .layer(CompressionLayer::new().compress_when(compressible()))
                .layer(from_fn(chorus_telemetry::metrics::track_http))
                .layer(errors::EdgeLayer {
                    timeout: config.request_timeout(),
                })
                .layer(from_fn_with_state(body_limits, oversize::limit_body)),
        );
    // Last, so that a router that fails to build leaves no task behind.
    if !balancers.is_empty() {
        let every = config.health_check_interval();
        let timeout = every.min(config.upstream_timeout());
        proxy::spawn_health_checks(client, balancers, every, timeout, shutdown)?;
    }
    Ok(app)
}

/// Small answers gain nothing from gzip; images and videos are compressed
/// already; SSE and gRPC must not be buffered by a compressor.
fn compressible() -> impl Predicate {
    SizeAbove::new(1024)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::const_new("video/"))
        .and(NotForContentType::SSE)
        .and(NotForContentType::GRPC)
}

/// axum reports colliding or malformed routes by panicking; at start-up
/// they should be errors that name the upstream.
fn without_panic<T>(build: impl FnOnce() -> T) -> anyhow::Result<T> {
    std::panic::catch_unwind(AssertUnwindSafe(build)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|message| (*message).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "invalid route".to_string());
        anyhow!(message)
    })
}
