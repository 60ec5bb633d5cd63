//! Answers that depend on who asks.

use axum::response::Response;
use http::HeaderValue;
use http::header::CACHE_CONTROL;

/// Response middleware (`axum::middleware::map_response`) for routes whose
/// answers depend on the caller: no shared cache may keep them.
pub async fn private_answers(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}
