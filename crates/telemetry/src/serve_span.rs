//! One span per request a service serves (HTTP or gRPC), continuing the
//! caller's trace from its `traceparent` header (see [`crate::trace_context`]).

use std::task::{Context, Poll};

use axum::extract::MatchedPath;
use http::Request;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing::instrument::Instrumented;

use crate::trace_context::{TRACEPARENT, set_parent_from};

/// Layer: runs each request of `service` in a `serve` span (HTTP routes) or
/// a `grpc` span (internal calls), whose parent is the incoming `traceparent`.
#[derive(Clone, Copy)]
pub struct ServeSpanLayer {
    service: &'static str,
    grpc: bool,
}

impl ServeSpanLayer {
    /// For a service's public HTTP routes.
    pub fn http(service: &'static str) -> Self {
        Self {
            service,
            grpc: false,
        }
    }

    /// For a service's gRPC routes.
    pub fn grpc(service: &'static str) -> Self {
        Self {
            service,
            grpc: true,
        }
    }
}

impl<S> Layer<S> for ServeSpanLayer {
    type Service = ServeSpan<S>;

    fn layer(&self, inner: S) -> ServeSpan<S> {
        ServeSpan {
            inner,
            config: *self,
        }
    }
}

#[derive(Clone)]
pub struct ServeSpan<S> {
    inner: S,
    config: ServeSpanLayer,
}

impl<S, B> Service<Request<B>> for ServeSpan<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Instrumented<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let service = self.config.service;
        let span = if self.config.grpc {
            // The path names the method: `/chorus.posts.v1.Posts/Bodies`.
            tracing::info_span!(
                "grpc",
                otel.kind = "server",
                service,
                method = request.uri().path()
            )
        } else {
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map_or("unmatched", |path| path.as_str());
            tracing::info_span!("serve", otel.kind = "server", service, method = %request.method(), route)
        };
        let incoming = request
            .headers()
            .get(TRACEPARENT)
            .and_then(|value| value.to_str().ok());
        set_parent_from(&span, incoming);
        let future = span.in_scope(|| self.inner.call(request));
        future.instrument(span)
    }
}
