//! Request ids, and one tracing span per request.
//!
//! The span continues the caller's trace from an incoming `traceparent`, and
//! the request goes on to the service with a `traceparent` naming this span
//! (or, when nothing exports, the incoming one passed through): the proxy
//! forwards request headers as they are. See `chorus_telemetry::trace_context`.
//!
//! Logging every request at INFO would cost the hot path a formatted line per
//! request, so a request is logged at DEBUG and only a 5xx at WARN. Errors
//! that services log inside the span carry its request id.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use std::task::{Context, Poll};

use axum::extract::{MatchedPath, Request};
use chorus_telemetry::otlp;
use chorus_telemetry::trace_context::{self, set_parent_from, traceparent_of};
use futures::future::BoxFuture;
use http::header::HeaderName;
use http::{HeaderValue, Response};
use tower::{Layer, Service};
use tracing::Instrument;

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const TRACEPARENT: HeaderName = HeaderName::from_static(trace_context::TRACEPARENT);

/// Layer: keeps a sane incoming `x-request-id` or mints one, passes it on to
/// the service, echoes it on the response, and runs the request in a span.
///
/// A hand-written service rather than `from_fn`: it calls the inner service
/// in place instead of cloning the whole stack beneath it per request.
#[derive(Clone, Copy)]
pub(crate) struct ObserveLayer;

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe { inner }
    }
}

#[derive(Clone)]
pub(crate) struct Observe<S> {
    inner: S,
}

impl<S, B> Service<Request> for Observe<S>
where
    S: Service<Request, Response = Response<B>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<B>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let request_id = match request.headers().get(&REQUEST_ID) {
            Some(incoming) if is_sane(incoming) => incoming.clone(),
            _ => {
                let minted = mint();
                request.headers_mut().insert(REQUEST_ID, minted.clone());
                minted
            }
        };
        let span = tracing::info_span!(
            "request",
            otel.kind = "server",
            method = %request.method(),
            route = request
                .extensions()
                .get::<MatchedPath>()
                .map_or("unmatched", |path| path.as_str()),
            request_id = request_id.to_str().unwrap_or_default(),
        );
        let incoming = request.headers().get(TRACEPARENT);
        // Without an exporter and without an incoming value there is nothing to pass on.
        if incoming.is_some() || otlp::is_installed() {
            let incoming = incoming.and_then(|value| value.to_str().ok());
            set_parent_from(&span, incoming);
            match traceparent_of(&span).and_then(|tp| HeaderValue::try_from(tp).ok()) {
                Some(outgoing) => {
                    request.headers_mut().insert(TRACEPARENT, outgoing);
                }
                // An invalid one is not passed on.
                None => {
                    request.headers_mut().remove(TRACEPARENT);
                }
            }
        }
        let started = Instant::now();
        let future = span.in_scope(|| self.inner.call(request));
        Box::pin(async move {
            let mut response = future.instrument(span.clone()).await?;
            let status = response.status();
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            span.in_scope(|| {
                if status.is_server_error() {
                    tracing::warn!(status = status.as_u16(), micros, "request failed");
                } else {
                    tracing::debug!(status = status.as_u16(), micros, "request served");
                }
            });
            response.headers_mut().insert(REQUEST_ID, request_id);
            Ok(response)
        })
    }
}

/// An id a client or an outer proxy chose is kept if it is short and plain,
/// so that it cannot inject anything into logs.
fn is_sane(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=128).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// A random per-process prefix and a counter: unique across gateway
/// instances without a random draw per request.
fn mint() -> HeaderValue {
    static PREFIX: OnceLock<u32> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(rand::random);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    HeaderValue::try_from(format!("{prefix:08x}{count:016x}"))
        .unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_ids_are_kept() {
        for id in ["abc", "4f1c2e9a-1b2c-4d5e-8f90-123456789abc", "trace:1.2_3"] {
            assert!(is_sane(&HeaderValue::from_static(id)), "{id}");
        }
    }

    #[test]
    fn odd_ids_are_replaced() {
        let long = "a".repeat(129);
        for id in ["", "has space", "quote\"", long.as_str()] {
            let value = HeaderValue::from_str(id).expect("header value");
            assert!(!is_sane(&value), "{id}");
        }
    }

    /// The `traceparent` the service behind the layer receives.
    async fn forwarded(incoming: Option<&'static str>) -> Option<String> {
        use tower::ServiceExt;
        let inner = tower::service_fn(|request: Request| async move {
            let seen = request.headers().get(&TRACEPARENT).cloned();
            Ok::<_, std::convert::Infallible>(Response::new(seen))
        });
        let mut request = Request::new(axum::body::Body::empty());
        if let Some(value) = incoming {
            request
                .headers_mut()
                .insert(TRACEPARENT, HeaderValue::from_static(value));
        }
        let response = ObserveLayer.layer(inner).oneshot(request).await;
        let seen = response.expect("infallible").into_body();
        seen.map(|value| value.to_str().expect("ascii").to_owned())
    }

    #[tokio::test(flavor = "current_thread")]
    async fn without_an_exporter_a_valid_traceparent_is_passed_through() {
        let _subscriber = tracing::subscriber::set_default(tracing_subscriber::registry());
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(forwarded(Some(valid)).await.as_deref(), Some(valid));
        assert_eq!(forwarded(Some("00-zz-bad-01")).await, None, "dropped");
        assert_eq!(forwarded(None).await, None);
    }

    #[test]
    fn minted_ids_are_sane_and_distinct() {
        let (a, b) = (mint(), mint());
        assert!(is_sane(&a));
        assert_ne!(a, b);
    }
}
