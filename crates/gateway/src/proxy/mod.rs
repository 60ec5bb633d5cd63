//! Reverse proxy to services that run as their own processes.
//!
//! Each remote service gets a [`Balancer`] over its instances and one route
//! per path of its OpenAPI document (and its extra paths), for every method
//! but CONNECT and TRACE.
//! Bodies stream both ways, never buffered. A refused connection ejects the
//! instance at once; a body-less GET or HEAD that got no response (refused,
//! or the connection dropped) tries once more on another healthy instance.
//! The health task ejects failing instances and brings them back.
//!
//! Upgrades (WebSocket, Socket.IO) belong in [`forward`]: today `Upgrade`
//! is hop-by-hop and removed, so such a request reaches the service as plain
//! HTTP (Socket.IO then stays on long-polling). Proxying them means keeping
//! `Upgrade`/`Connection` when the client asks, taking the client side with
//! `hyper::upgrade::on(&mut request)`, and on the instance's `101` splicing
//! it to `hyper::upgrade::on(response)` with `tokio::io::copy_bidirectional`,
//! the lease held for the connection's life so the balancer sees it.

mod balancer;
mod client;
mod health;

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use chorus_core::ApiError;
use http::uri::PathAndQuery;
use http::{HeaderMap, Method};
use http_body_util::LengthLimitError;
use hyper::body::Incoming;

pub(crate) use balancer::Balancer;
use balancer::Lease;
pub(crate) use client::{HttpClient, http_client};
use client::{LeasedBody, add_forwarding, strip_hop_by_hop};
pub(crate) use health::{readiness_check, spawn_health_checks};

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
}

/// Why an attempt on an instance gave no response.
enum Failure {
    /// The instance refused or did not accept the connection.
    Refused,
    /// The connection broke before a response head arrived.
    Broken,
    /// No response head within the upstream timeout.
    Timeout,
    /// The client's body went over the limit while streaming.
    TooLarge,
    /// The client's body broke off while streaming.
    ClientBody,
}

impl Proxy {
    pub(crate) fn new(client: HttpClient, balancer: Arc<Balancer>, timeout: Duration) -> Self {
        Self {
            client,
            balancer,
            timeout,
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

    async fn attempt(
        &self,
        lease: &Lease,
        method: &Method,
        path_and_query: &PathAndQuery,
        headers: HeaderMap,
        body: Body,
    ) -> Result<http::Response<Incoming>, Failure> {
        let uri = lease.base().uri(path_and_query).map_err(|error| {
            tracing::warn!(%error, "cannot build the upstream URI");
            Failure::Broken
        })?;
        let mut request = http::Request::new(body);
        *request.method_mut() = method.clone();
        *request.uri_mut() = uri;
        *request.headers_mut() = headers;
        match tokio::time::timeout(self.timeout, self.client.request(request)).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(error)) => Err(self.classify(&error, lease)),
            Err(_) => Err(Failure::Timeout),
        }
    }

    fn classify(&self, error: &hyper_util::client::legacy::Error, lease: &Lease) -> Failure {
        let service = self.balancer.service();
        let instance = lease.base().url();
        if error.is_connect() {
            tracing::warn!(service, instance, ?error, "upstream connection failed");
            lease.mark_down();
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
            Failure::Timeout => ApiError::gateway_timeout(format!(
                "the {service} service gave no answer within {} ms",
                self.timeout.as_millis()
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

/// The proxy handler: one attempt, and for a body-less GET or HEAD one retry
/// on another instance if the first never got a response.
async fn forward(State(proxy): State<Proxy>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let retryable =
        matches!(parts.method, Method::GET | Method::HEAD) && body.size_hint().exact() == Some(0);
    let mut headers = parts.headers;
    strip_hop_by_hop(&mut headers);
    add_forwarding(&mut headers, &parts.extensions);
    let path_and_query = parts
        .uri
        .path_and_query()
        .cloned()
        .unwrap_or_else(|| PathAndQuery::from_static("/"));
    let spare_headers = retryable.then(|| headers.clone());

    let Some(lease) = proxy.balancer.pick(None) else {
        return proxy.no_instance();
    };
    let failure = match proxy
        .attempt(&lease, &parts.method, &path_and_query, headers, body)
        .await
    {
        Ok(response) => return relay(response, lease),
        Err(failure) => failure,
    };
    let (Some(headers), Failure::Refused | Failure::Broken) = (spare_headers, &failure) else {
        return proxy.answer(failure);
    };
    let Some(retry) = proxy.balancer.pick(Some(lease.index())) else {
        return proxy.answer(failure);
    };
    drop(lease);
    match proxy
        .attempt(
            &retry,
            &parts.method,
            &path_and_query,
            headers,
            Body::empty(),
        )
        .await
    {
        Ok(response) => relay(response, retry),
        Err(failure) => proxy.answer(failure),
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
