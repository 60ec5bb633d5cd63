//! Reverse proxy to services that run as their own processes.
//!
//! Each remote service gets a [`Balancer`] over its instances and one route
//! per path of its OpenAPI document (and its extra paths), for every method
//! but CONNECT and TRACE, with its own time to a response head
//! (`gateway.upstream_timeouts_ms`, else `upstream_timeout_ms`; then 504).
//! Bodies stream both ways, never buffered (server-sent events included).
//!
//! Each instance has a circuit breaker ([`breaker`]): `breaker_failures`
//! failures in a row (broken connection, timeout, or a 502/503/504 from
//! the instance), a refused connection or a failing `/health` eject it.
//! After `breaker_cooldown_ms` one probe, a real request or the health
//! check, may try it: success brings it back, failure keeps it out twice as
//! long (up to 30 s). The health task checks in-service instances on every
//! round, ejected ones only as their probe.
//!
//! A failed attempt may go to another instance ([`retry`]): any request
//! whose connection was refused (never delivered; its body, never read, goes
//! along), and an idempotent body-less one whose connection broke or timed
//! out; at most `max_retries` times, and only while the service's retry
//! budget lasts, so that a failing cluster does not get twice the load.
//!
//! Upgrades (WebSocket) are spliced through ([`upgrade`]); engine.io
//! (Socket.IO) sessions stick to the instance that opened them and their
//! long polls get a longer time to answer ([`engine_io`]).

mod balancer;
mod breaker;
mod client;
mod engine_io;
mod health;
mod retry;
mod upgrade;

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use chorus_core::ApiError;
use http::header::ACCEPT_ENCODING;
use http::uri::PathAndQuery;
use http::{HeaderMap, Method, StatusCode};
use http_body_util::LengthLimitError;
use hyper::body::Incoming;
use hyper::upgrade::OnUpgrade;

pub(crate) use balancer::Balancer;
use balancer::Lease;
use breaker::Outcome;
pub(crate) use client::{HttpClient, http_client};
use client::{LeasedBody, add_forwarding, strip_hop_by_hop};
use engine_io::{EngineIo, HandshakeBody, session_unknown};
pub(crate) use engine_io::{LONG_POLL_TIMEOUT, Sessions, is_engine_io};
pub(crate) use health::{readiness_check, spawn_health_checks};
use retry::{Reclaimable, SharedBudget};

use crate::GatewayConfig;

/// Methods a service may serve; CONNECT and TRACE have no business there.
///
/// Listed rather than `any`, whose catch-all would silently share a path with
/// another service's route instead of failing as a collision at start.
const PROXIED_METHODS: MethodFilter = MethodFilter::DELETE
    .or(MethodFilter::GET)
    .or(MethodFilter::HEAD)
    .or(MethodFilter::OPTIONS)
    .or(MethodFilter::PATCH)
    .or(MethodFilter::POST)
    .or(MethodFilter::PUT);

/// Everything the proxy route of one service needs; cheap to clone.
#[derive(Clone)]
pub(crate) struct Proxy {
    client: HttpClient,
    balancer: Arc<Balancer>,
    timeout: Duration,
    sessions: Sessions,
    max_retries: usize,
    budget: SharedBudget,
}

/// Why an attempt on an instance gave no response.
enum Failure {
    /// The instance refused or did not accept the connection.
    Refused,
    /// The connection broke before a response head arrived.
    Broken,
    /// No response head within this time.
    Timeout(Duration),
    /// The client's body went over the limit while streaming.
    TooLarge,
    /// The client's body broke off while streaming.
    ClientBody,
}

impl Proxy {
    /// The proxy of `balancer`'s service, with that service's timeout and retries.
    pub(crate) fn new(
        client: HttpClient,
        balancer: Arc<Balancer>,
        sessions: Sessions,
        config: &GatewayConfig,
    ) -> Self {
        Self {
            client,
            timeout: config.upstream_timeout_of(balancer.service()),
            balancer,
            sessions,
            max_retries: usize::try_from(config.max_retries).unwrap_or(usize::MAX),
            budget: SharedBudget::new(config.retry_budget_percent, config.retry_budget_min_per_sec),
        }
    }

    /// A router sending every one of `paths` (axum syntax) to this service.
    pub(crate) fn routes<'a>(self, paths: impl IntoIterator<Item = &'a str>) -> Router {
        paths
            .into_iter()
            .fold(Router::new(), |router, path| {
                router.route(path, on(PROXIED_METHODS, forward))
            })
            .with_state(self)
    }

    /// One attempt on the lease's instance; its outcome goes to the
    /// instance's breaker. The lease comes back with the response.
    async fn attempt(
        &self,
        mut lease: Lease,
        request: &Outgoing,
        headers: HeaderMap,
        body: Body,
    ) -> Result<(http::Response<Incoming>, Lease), Failure> {
        let Outgoing {
            method,
            path_and_query,
            timeout,
        } = request;
        let uri = lease.base().uri(path_and_query).map_err(|error| {
            tracing::warn!(%error, "cannot build the upstream URI");
            Failure::Broken
        })?;
        let mut request = http::Request::new(body);
        *request.method_mut() = method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        let result = match tokio::time::timeout(*timeout, self.client.request(request)).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(error)) => Err(self.classify(&error, &lease)),
            Err(_) => Err(Failure::Timeout(*timeout)),
        };
        let outcome = match &result {
            // The instance's own "bad gateway", "unavailable" or "timeout".
            Ok(response) if matches!(response.status().as_u16(), 502..=504) => {
                Some(Outcome::Failure)
            }
            Ok(_) => Some(Outcome::Success),
            Err(Failure::Refused) => Some(Outcome::Down),
            Err(Failure::Broken | Failure::Timeout(_)) => Some(Outcome::Failure),
            // The client's fault, not the instance's.
            Err(Failure::TooLarge | Failure::ClientBody) => None,
        };
        if let Some(outcome) = outcome {
            lease.record(outcome);
        }
        result.map(|response| (response, lease))
    }

    fn classify(&self, error: &hyper_util::client::legacy::Error, lease: &Lease) -> Failure {
        let service = self.balancer.service();
        let instance = lease.base().url();
        if error.is_connect() {
            tracing::warn!(service, instance, ?error, "upstream connection failed");
            return Failure::Refused;
        }
        if causes(error).any(|cause| cause.is::<LengthLimitError>()) {
            return Failure::TooLarge;
        }
        if causes(error).any(|cause| {
            cause
                .downcast_ref::<hyper::Error>()
                .is_some_and(hyper::Error::is_user)
        }) {
            return Failure::ClientBody;
        }
        tracing::warn!(service, instance, ?error, "upstream connection broke");
        Failure::Broken
    }

    fn answer(&self, failure: Failure) -> Response {
        let service = self.balancer.service();
        match failure {
            Failure::Refused => {
                ApiError::unavailable(format!("the {service} service cannot be reached"))
            }
            Failure::Broken => {
                ApiError::bad_gateway(format!("the {service} service dropped the request"))
            }
            Failure::Timeout(timeout) => ApiError::gateway_timeout(format!(
                "the {service} service gave no answer within {} ms",
                timeout.as_millis()
            )),
            Failure::TooLarge => ApiError::payload_too_large("the request body is too large"),
            Failure::ClientBody => ApiError::malformed("the request body broke off"),
        }
        .into_response()
    }

    fn no_instance(&self) -> Response {
        let mut error = ApiError::unavailable(format!(
            "no healthy instance of the {} service",
            self.balancer.service()
        ));
        error.retry_after = Some(1);
        error.into_response()
    }
}

/// What is sent upstream, whichever instance gets it.
struct Outgoing {
    method: Method,
    path_and_query: PathAndQuery,
    /// Until the response head.
    timeout: Duration,
}

/// The proxy handler. A request of an engine.io session goes to the
/// session's instance only; any other may go to other instances after a
/// failed attempt, as far as [`retry`] allows.
async fn forward(State(proxy): State<Proxy>, mut request: Request) -> Response {
    let upgrade = upgrade::requested(request.headers());
    let client_upgrade = upgrade.is_some().then(|| hyper::upgrade::on(&mut request));
    let (parts, body) = request.into_parts();
    let engine_io = EngineIo::of(&parts.method, &parts.uri);
    let mut headers = parts.headers;
    strip_hop_by_hop(&mut headers);
    if let Some(protocol) = upgrade {
        upgrade::keep(&mut headers, protocol);
    }
    if engine_io == EngineIo::Handshake {
        // Its answer is read for the sid: keep it uncompressed.
        headers.remove(ACCEPT_ENCODING);
    }
    add_forwarding(&mut headers, &parts.extensions);
    let outgoing = Outgoing {
        method: parts.method,
        path_and_query: parts
            .uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/")),
        timeout: match engine_io.is_engine_io() {
            true => proxy.timeout.max(LONG_POLL_TIMEOUT),
            false => proxy.timeout,
        },
    };
    if let EngineIo::Session(sid) = &engine_io {
        let index = proxy.sessions.find(sid).await;
        let Some(lease) = index.and_then(|index| proxy.balancer.lease(index)) else {
            return session_unknown();
        };
        return match proxy.attempt(lease, &outgoing, headers, body).await {
            Ok((response, lease)) => proxy.respond(response, lease, client_upgrade, &engine_io),
            // The session's instance is gone, and the session with it.
            Err(Failure::Refused) => session_unknown(),
            Err(failure) => proxy.answer(failure),
        };
    }

    proxy.budget.request();
    let bodiless = body.size_hint().exact() == Some(0);
    let mut body = body;
    let mut tried = Vec::new();
    let Some(mut lease) = proxy.balancer.pick(&tried) else {
        return proxy.no_instance();
    };
    loop {
        let last = tried.len() >= proxy.max_retries;
        let sent = match last {
            true => std::mem::take(&mut headers),
            false => headers.clone(),
        };
        tried.push(lease.index());
        let (reclaimable, reclaim) = Reclaimable::new(body);
        let failure = match proxy
            .attempt(lease, &outgoing, sent, Body::new(reclaimable))
            .await
        {
            Ok((response, lease)) => {
                return proxy.respond(response, lease, client_upgrade, &engine_io);
            }
            Err(failure) => failure,
        };
        let delivered_maybe = match failure {
            Failure::Refused => false,
            Failure::Broken | Failure::Timeout(_) => true,
            Failure::TooLarge | Failure::ClientBody => return proxy.answer(failure),
        };
        if last || !retry::may_retry(&outgoing.method, bodiless, delivered_maybe) {
            return proxy.answer(failure);
        }
        // Never read if refused; an empty body is the same on every attempt.
        let Some(again) = reclaim.take().or_else(|| bodiless.then(Body::empty)) else {
            return proxy.answer(failure);
        };
        let Some(next) = proxy.balancer.pick(&tried) else {
            return proxy.answer(failure);
        };
        if !proxy.budget.try_retry() {
            tracing::debug!(service = proxy.balancer.service(), "retry budget spent");
            return proxy.answer(failure);
        }
        metrics::counter!("chorus_gateway_upstream_retries_total", "service" => proxy.balancer.service().to_string())
            .increment(1);
        (body, lease) = (again, next);
    }
}

impl Proxy {
    /// The instance's answer to the client: a `101` splices the upgraded
    /// connections; a handshake's answer teaches the session's instance.
    fn respond(
        &self,
        response: http::Response<Incoming>,
        lease: Lease,
        client_upgrade: Option<OnUpgrade>,
        engine_io: &EngineIo,
    ) -> Response {
        if response.status() == StatusCode::SWITCHING_PROTOCOLS
            && let Some(client_upgrade) = client_upgrade
        {
            return upgrade::splice(client_upgrade, response, lease);
        }
        let learns = *engine_io == EngineIo::Handshake && response.status() == StatusCode::OK;
        let index = lease.index();
        let response = relay(response, lease);
        if !learns {
            return response;
        }
        let sessions = self.sessions.clone();
        response.map(|body| Body::new(HandshakeBody::new(body, sessions, index)))
    }
}

/// An error and the errors that caused it, outermost first.
fn causes<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(error), |&error| error.source())
}

/// The instance's response, minus hop-by-hop headers, its body streamed on.
fn relay(response: http::Response<Incoming>, lease: Lease) -> Response {
    let (mut parts, body) = response.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    Response::from_parts(
        parts,
        Body::new(LeasedBody {
            inner: body,
            _lease: lease,
        }),
    )
}
