//! The gateway's own error answers, all in the contract's shape
//! (`{"error": {"code", "message", "details"}}`): unknown routes, wrong
//! methods, timeouts, and the plain-text 405/413 that axum and tower-http
//! produce on their own.

use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use chorus_core::ApiError;
use futures::future::BoxFuture;
use http::header::{ALLOW, CONTENT_TYPE};
use http::{HeaderMap, StatusCode};
use tower::{Layer, Service};

/// Fallback for paths no route matches.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("no route matches this path")
}

/// Fallback for a known path asked with a method it does not serve.
pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::method_not_allowed()
}

/// Layer: bounds the time until a response starts (504) and puts the
/// framework's plain-text 405 and 413 answers into the contract's shape.
///
/// Only the time to the response head is bounded, so a long stream (SSE)
/// that has started keeps flowing; engine.io requests get at least
/// [`crate::proxy::LONG_POLL_TIMEOUT`]. Hand-written, like `observe`, so the
/// inner service is called in place rather than cloned per request.
#[derive(Clone, Copy)]
pub(crate) struct EdgeLayer {
    pub(crate) timeout: Duration,
}

impl<S> Layer<S> for EdgeLayer {
    type Service = Edge<S>;

    fn layer(&self, inner: S) -> Edge<S> {
        Edge {
            inner,
            timeout: self.timeout,
        }
    }
}

#[derive(Clone)]
pub(crate) struct Edge<S> {
    inner: S,
    timeout: Duration,
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Error = Infallible>,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // engine.io holds a poll open until it has news or pings (25 s).
        let timeout = match crate::proxy::is_engine_io(request.uri()) {
            true => self.timeout.max(crate::proxy::LONG_POLL_TIMEOUT),
            false => self.timeout,
        };
        let future = self.inner.call(request);
        Box::pin(async move {
            Ok(match tokio::time::timeout(timeout, future).await {
                Ok(Ok(response)) => in_contract_shape(response.into_response()),
                Ok(Err(never)) => match never {},
                Err(_) => ApiError::gateway_timeout(format!(
                    "no answer within {} ms",
                    timeout.as_millis()
                ))
                .into_response(),
            })
        })
    }
}

/// Rewrites a 405 or 413 whose body is not JSON (the body-limit layer's,
/// axum's extractors', a proxied service's bare 405), keeping `Allow`.
fn in_contract_shape(response: Response) -> Response {
    let error = match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::payload_too_large("the request body is too large")
        }
        StatusCode::METHOD_NOT_ALLOWED => ApiError::method_not_allowed(),
        _ => return response,
    };
    if is_json(response.headers()) {
        return response;
    }
    let allow = response.headers().get(ALLOW).cloned();
    let mut rewritten = error.into_response();
    if let Some(allow) = allow {
        rewritten.headers_mut().insert(ALLOW, allow);
    }
    rewritten
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_text_413_becomes_the_error_shape() {
        let plain = (StatusCode::PAYLOAD_TOO_LARGE, "length limit exceeded").into_response();
        let rewritten = in_contract_shape(plain);
        assert_eq!(rewritten.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(is_json(rewritten.headers()));
    }

    #[test]
    fn a_bare_405_keeps_its_allow_header() {
        let mut bare = StatusCode::METHOD_NOT_ALLOWED.into_response();
        bare.headers_mut()
            .insert(ALLOW, http::HeaderValue::from_static("GET,HEAD"));
        let rewritten = in_contract_shape(bare);
        assert!(is_json(rewritten.headers()));
        assert_eq!(rewritten.headers()[ALLOW], "GET,HEAD");
    }

    #[test]
    fn other_answers_pass_untouched() {
        let teapot = (StatusCode::IM_A_TEAPOT, "short and stout").into_response();
        assert!(!is_json(in_contract_shape(teapot).headers()));
    }
}
