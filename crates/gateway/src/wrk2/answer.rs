//! Answers as DeathStarBench's front end gives them: a line of text
//! (`ngx.say` adds the newline), or a JSON array for timelines.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::CONTENT_TYPE;
use serde::Serialize;

use super::form::Refused;

const TEXT: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// 200 with one line of text.
pub(crate) fn text(line: &str) -> Response {
    (StatusCode::OK, [(CONTENT_TYPE, TEXT)], format!("{line}\n")).into_response()
}

/// 200 with `value` as JSON.
pub(crate) fn json(value: &impl Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => (StatusCode::OK, [(CONTENT_TYPE, JSON)], format!("{body}\n")).into_response(),
        Err(error) => Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot encode the answer: {error}"),
        )
        .into_response(),
    }
}

/// A request that failed: a status and one line of text.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: StatusCode,
    pub(crate) text: String,
}

impl Failure {
    pub(crate) fn new(status: StatusCode, text: impl Into<String>) -> Self {
        Self {
            status,
            text: text.into(),
        }
    }

    /// The front end's own wording for what went wrong in `operation`,
    /// e.g. `Follow Failed: no such user`.
    pub(crate) fn during(self, operation: &str) -> Self {
        Self {
            status: self.status,
            text: format!("{operation}: {}", self.text),
        }
    }

    /// The id map in the cache cannot be used right now.
    pub(crate) fn cache(error: &anyhow::Error) -> Self {
        tracing::warn!(%error, "wrk2: cannot use the id map in the cache");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the id map cannot be reached right now",
        )
    }
}

impl From<Refused> for Failure {
    fn from(refused: Refused) -> Self {
        Self::new(StatusCode::BAD_REQUEST, refused.to_string())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (
            self.status,
            [(CONTENT_TYPE, TEXT)],
            format!("{}\n", self.text),
        )
            .into_response()
    }
}
