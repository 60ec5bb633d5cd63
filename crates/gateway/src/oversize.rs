//! Refusing a body declared larger than the limit so that the client sees
//! the 413. hyper closes a connection whose request body was left unread, so
//! a client still uploading would get a reset instead of the answer: read
//! (and drop) what it sends first, within bounds, so that a huge upload is
//! not read to its end.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chorus_core::ApiError;
use futures::StreamExt;
use http::header::CONTENT_LENGTH;

/// Bodies declared larger than this are refused without reading them.
const DRAIN_MAX_BYTES: u64 = 16 * 1024 * 1024;
/// The longest a refused upload is read for.
const DRAIN_TIME: Duration = Duration::from_secs(5);

pub async fn refuse_declared_oversize(
    State(limit): State<usize>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let Some(declared) = declared.filter(|&length| length > limit as u64) else {
        return next.run(request).await;
    };
    if declared <= DRAIN_MAX_BYTES {
        let mut body = request.into_body().into_data_stream();
        let drain = async { while let Some(Ok(_chunk)) = body.next().await {} };
        let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
    }
    ApiError::payload_too_large("the request body is too large").into_response()
}
