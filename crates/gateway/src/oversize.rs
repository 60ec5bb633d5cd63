//! The request body limit: the gateway's own (`gateway.body_limit_bytes`),
//! or a larger one a service declares for an upload route it streams and
//! bounds itself ([`crate::Upstream::body_limits`]).
//!
//! A body declared larger than its limit is refused at once, so that the
//! client sees the 413: hyper closes a connection whose request body was
//! left unread, so a client still uploading would get a reset instead of
//! the answer. So what it sends is read (and dropped) first, within bounds,
//! so that a huge upload is not read to its end. A body that does not say
//! its length is cut off where it passes the limit.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chorus_core::ApiError;
use futures::StreamExt;
use http::header::CONTENT_LENGTH;
use http_body_util::Limited;

/// Bodies declared larger than this are refused without reading them.
const DRAIN_MAX_BYTES: u64 = 16 * 1024 * 1024;
/// The longest a refused upload is read for.
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// The limit of each request's body, by path.
#[derive(Debug, Clone)]
pub(crate) struct BodyLimits {
    pub(crate) default: usize,
    /// Exact paths with a limit of their own.
    pub(crate) paths: HashMap<String, usize>,
}

impl BodyLimits {
    fn of(&self, path: &str) -> usize {
        self.paths.get(path).copied().unwrap_or(self.default)
    }
}

pub(crate) async fn limit_body(
    State(limits): State<Arc<BodyLimits>>,
    request: Request,
    next: Next,
) -> Response {
    let limit = limits.of(request.uri().path());
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let Some(declared) = declared.filter(|&length| length > limit as u64) else {
        return next
            .run(request.map(|body| Body::new(Limited::new(body, limit))))
            .await;
    };
    if declared <= DRAIN_MAX_BYTES {
        let mut body = request.into_body().into_data_stream();
        let drain = async { while let Some(Ok(_chunk)) = body.next().await {} };
        let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    }
    ApiError::payload_too_large("the request body is too large").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_path_has_its_own_limit_and_others_the_default() {
        let limits = BodyLimits {
            default: 10,
            paths: HashMap::from([("/api/v1/media".to_string(), 1000)]),
        };
        assert_eq!(limits.of("/api/v1/media"), 1000);
        assert_eq!(limits.of("/api/v1/media/1"), 10);
        assert_eq!(limits.of("/api/v1/posts"), 10);
    }
}
